// One run of the end-to-end pipeline bench: one `vsp producer --config` process for all cameras
// (as an ingest host runs them) → Kafka → `vsp broker` →
// `vsp processor --impl replay` (fixed latency; 0 with no detections is a null processor) →
// tracks topic → this process's own Kafka consumer, which checks delivery and timestamps each
// tracked frame on arrival. End-to-end latency = arrival − captureTime (set by the producer at
// capture; both clocks are this machine's, via common/time.js). Every Kafka client in the run —
// producer, broker, this consumer — is on the spec's library (kafkajs or rdkafka).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createKafka, partitionForKey } from '../common/kafka/client.js';
import { kafkaConnection } from '../common/kafka/connection.js';
import { createTopics, topicNames } from '../common/kafka/topics.js';
import type { KafkaClientName } from '../common/kafka/types.js';
import { TrackedFrameCodec } from '../common/proto.js';
import { nowMs, timestampToMs } from '../common/time.js';
import { startBroker, startProcessor } from '../test/helpers/pipeline.js';
import { vsp, type VspProcess } from '../test/helpers/processes.js';
import { CpuSampler } from './cpu.js';
import { SequenceCheck } from './sequence-check.js';
import { median, percentile } from './stats.js';

export interface RunSpec {
  /** The Kafka client library of every process in the run. */
  client: KafkaClientName;
  /** throughput: producers unthrottled; load: each camera paced at `fps`. */
  scenario: 'throughput' | 'load';
  cameras: number;
  /** Frames per second per camera (load runs). */
  fps: number;
  /** Frames per camera. */
  frames: number;
  latencyMs: number;
  window: number;
  batch: number;
}

export interface RunContext {
  bootstrap: string;
  kafkaPid: number;
  work: string;
  /** Folder of JPEGs for a camera id (rendered on first use). */
  framesDir: (camera: string) => Promise<string>;
  log: (line: string) => void;
}

export interface RunResult {
  spec: RunSpec;
  partitions: number;
  /** Frames per second through the whole pipeline in the steady interval. */
  fps: number;
  /** Frames that arrived in the steady interval (what fps and the percentiles are over). */
  steadyFrames: number;
  /** The steady interval ended while the producers were still sending: the rate is sustained, not a backlog drained. */
  sustained: boolean;
  /** End-to-end latency percentiles (ms) of the frames that arrived in the steady interval. */
  p50: number;
  p95: number;
  p99: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  /** Tracked frames whose status is not OK (processor errors): must be 0 too. */
  failed: number;
  /** Medians of the broker's own stage timings (TrackedFrame.timings), ms. */
  stages: { queueMs: number; processorMs: number; reorderMs: number };
  /** CPU % (100 = one core) per process group over the steady interval. */
  cpu: Record<string, number>;
}

/** Before this long after every camera's first frame arrived, start-up still shows. */
const WARMUP_MS = 2000;
/** A run that delivers nothing new for this long has lost what is missing. */
const IDLE_GIVE_UP_MS = 20_000;

export async function runPipeline(ctx: RunContext, spec: RunSpec, id: string): Promise<RunResult> {
  const partitions = spec.cameras;
  const prefix = `bench-${id}`;
  const topics = topicNames(prefix);
  const connection = (clientId: string) => ({ ...kafkaConnection(ctx.bootstrap, clientId), client: spec.client });
  await createTopics(createKafka(connection('bench')), prefix, partitions);
  const cameras = spreadCameras(spec.cameras, partitions);
  // Rendered before anything starts, so that producers start together and nothing else competes.
  const sources = await Promise.all(cameras.map(ctx.framesDir));
  const dets = path.join(ctx.work, 'dets');
  mkdirSync(dets, { recursive: true });
  // An empty detections file per camera: the replay processor answers "no detections".
  for (const camera of cameras) writeFileSync(path.join(dets, `${camera}.txt`), '');

  // Enough gRPC calls in flight that the window, not the call limit, bounds the pipelining.
  const calls = Math.ceil(spec.window / spec.batch) * partitions;
  const processor = await startProcessor(['--impl', 'replay', '--mot-dets', dets, '--latency-ms', String(spec.latencyMs), '--concurrency', String(calls)]);
  const group = `${prefix}-broker`;
  const broker = await startBroker(['--brokers', ctx.bootstrap, '--kafka-client', spec.client, '--prefix', prefix, '--group', group, '--processor', processor.address,
    '--window', String(spec.window), '--batch', String(spec.batch), '--calls-per-processor', String(calls)]);

  const check = new SequenceCheck();
  const arrivals: number[] = [];
  const latencies: number[] = [];
  const stages: Array<[number, number, number]> = [];
  const firstArrival = new Map<string, number>();
  let failed = 0;
  const reader = createKafka(connection('vsp-bench')).consumer({ groupId: `${prefix}-reader`, maxWaitTimeInMs: 20 });
  await reader.connect();
  await reader.subscribe({ topic: topics.tracks, fromBeginning: true });
  await reader.run({
    eachBatch: async ({ batch }) => {
      const at = performance.now();
      const wall = nowMs();
      for (const message of batch.messages) {
        const t = TrackedFrameCodec.decode(message.value!);
        check.add(t.cameraId, t.seq);
        if (!firstArrival.has(t.cameraId)) firstArrival.set(t.cameraId, at);
        if (t.status !== 'OK') failed += 1;
        arrivals.push(at);
        latencies.push(wall - timestampToMs(t.captureTime));
        stages.push([t.timings?.queueMs ?? NaN, t.timings?.processorMs ?? NaN, t.timings?.reorderMs ?? NaN]);
      }
    },
  });

  const cpu = new CpuSampler();
  cpu.add('kafka', ctx.kafkaPid);
  cpu.add('broker', broker.child.pid);
  cpu.add('processor', processor.proc.child.pid);
  cpu.add('consumer', process.pid);
  // Every camera in one producer process: the paced load of an ingest host, not one process per camera.
  const config = path.join(ctx.work, `cameras-${id}.json`);
  const paced = spec.scenario === 'load' ? { realtime: true, fps: spec.fps } : {};
  writeFileSync(config, JSON.stringify({
    defaults: { loop: true, frames: spec.frames, ...paced },
    cameras: cameras.map((camera, i) => ({ id: camera, source: `images:${sources[i]}` })),
  }));
  let producer: VspProcess | undefined;
  try {
    producer = vsp(['producer', '--config', config, '--brokers', ctx.bootstrap, '--kafka-client', spec.client, '--prefix', prefix,
      '--state-dir', path.join(ctx.work, `state-${id}`)]);
    cpu.add('producers', producer.child.pid);
    cpu.start();
    const code = await producer.exited;
    if (code !== 0) throw new Error(`the producer exited ${code}: ${producer.stderr().slice(-1000)}`);
    const producersDoneAt = performance.now();
    const lastSeqs = new Map(cameras.map((c) => [c, spec.frames]));
    let seen = -1;
    let progressAt = Date.now();
    while (!check.complete(lastSeqs) && Date.now() - progressAt < IDLE_GIVE_UP_MS) {
      if (arrivals.length !== seen) [seen, progressAt] = [arrivals.length, Date.now()];
      await new Promise((r) => setTimeout(r, 200));
    }
    // A little longer, so that a duplicate sent after the last frame is still counted.
    await new Promise((r) => setTimeout(r, 1000));
    cpu.stop();

    // Steady interval: from the 10 % mark (load runs: the 50 % mark, as at a few frames a second
    // per process V8 takes many seconds to optimise fresh processes' code: 15 s into an 80
    // frames/s run, 30 % of the broker's CPU was still compilation), or WARMUP_MS after the last
    // camera's first frame arrived if later, to the 90 % mark. A run too short for that keeps at
    // least its last 20 % before the mark (steadyFrames says how many frames the figures rest on).
    // When the producers were still running at its start, it ends with the last frame that
    // arrived while they ran (if at least 10 % of the frames are left): a broker draining a
    // backlog after the producers are gone has their CPU to itself, which is not sustained
    // throughput. (Slow configurations, whose producers are done before it starts, are bound by
    // the processor's latency, not by CPU.)
    const total = arrivals.length;
    if (total < 10) throw new Error(`only ${total} tracked frames arrived; see the broker's log: ${broker.stderr().slice(-1000)}`);
    const warm = Math.max(...cameras.map((c) => firstArrival.get(c) ?? Infinity)) + WARMUP_MS;
    let to = Math.floor(total * 0.9);
    let from = Math.floor(total * (spec.scenario === 'load' ? 0.5 : 0.1));
    while (from < to && arrivals[from]! < warm) from += 1;
    from = Math.min(from, Math.floor(total * 0.7));
    let lastWhileProducing = total - 1;
    while (lastWhileProducing > 0 && arrivals[lastWhileProducing]! > producersDoneAt) lastWhileProducing -= 1;
    if (lastWhileProducing < to && lastWhileProducing - from >= total * 0.1) to = lastWhileProducing;
    const span = (arrivals[to]! - arrivals[from]!) / 1000;
    const steady = latencies.slice(from, to);
    const stage = (k: number) => round(median(stages.slice(from, to).map((s) => s[k]!)));
    return {
      spec,
      partitions,
      fps: Math.round((to - from) / span),
      steadyFrames: to - from,
      sustained: to <= lastWhileProducing,
      p50: round(percentile(steady, 50)),
      p95: round(percentile(steady, 95)),
      p99: round(percentile(steady, 99)),
      ...check.counts(lastSeqs),
      failed,
      stages: { queueMs: stage(0), processorMs: stage(1), reorderMs: stage(2) },
      cpu: cpu.usage(arrivals[from]!, arrivals[to]!),
    };
  } finally {
    cpu.stop();
    await producer?.stop('SIGKILL');
    await reader.disconnect();
    await broker.stop();
    await processor.proc.stop();
  }
}

/**
 * Camera ids that the producers' partitioner (murmur2, as Kafka's Java client) spreads evenly over
 * the partitions, so that every partition carries a camera and the window applies to each.
 */
function spreadCameras(count: number, partitions: number): string[] {
  const perPartition = new Array<number>(partitions).fill(0);
  const ids: string[] = [];
  for (let n = 1; ids.length < count; n++) {
    const id = `cam-${n}`;
    const p = partitionForKey(id, partitions);
    if (perPartition[p]! < Math.ceil(count / partitions)) {
      perPartition[p]! += 1;
      ids.push(id);
    }
  }
  return ids;
}

const round = (x: number) => Math.round(x * 10) / 10;
