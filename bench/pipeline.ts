// End-to-end benchmark (`npm run bench:pipeline [-- --json]`): 640x480 synthetic-scene JPEGs from
// one multi-camera `vsp producer` → Kafka → `vsp broker` → `vsp processor --impl replay` (fixed
// latency; latency 0 with no detections is the null processor) → tracks topic → the bench's own
// consumer (bench/pipeline-run.ts). Two parts, on one Kafka started here:
//   throughput: producers unthrottled, window × batch × processor latency;
//   load: BENCH_LOAD_CAMERAS cameras each paced at each of BENCH_LOAD_FPS, for latency vs load.
// Then Kafka alone (bench/kafka-perf.ts) on the same record size and count as the fastest null
// run, so the pipeline's share of Kafka's own ceiling is measured in the same run. Every run is made
// once per Kafka client library (BENCH_KAFKA_CLIENTS), one after the other: the backends side by side.
// Env (defaults in brackets): BENCH_WINDOWS [1,16,64], BENCH_BATCHES [1,8,32], BENCH_LATENCIES [0,50],
// BENCH_CAMERAS [2], BENCH_FRAMES [24000 per run], BENCH_SECONDS [8: caps a slow run's frames at
// its ideal rate × this], BENCH_LOAD_CAMERAS [8], BENCH_LOAD_FPS [10,20,30], BENCH_LOAD_SECONDS [30],
// BENCH_LOAD_WINDOW [64], BENCH_LOAD_BATCH [1], BENCH_KAFKA_LIMIT [1; 0 skips it], BENCH_WARMUP_FRAMES
// [12000: an unrecorded run first; 0 skips it], BENCH_KAFKA_CLIENTS [kafkajs,rdkafka; rdkafka only
// where it is installed].
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, startKafka, stopKafka } from '../common/kafka/local.js';
import { KAFKA_VERSION } from '../common/kafka/jars.js';
import { parseKafkaClientChoice } from '../common/kafka/client.js';
import { loadRdKafka } from '../common/kafka/rdkafka/load.js';
import type { KafkaClientName } from '../common/kafka/types.js';
import { stopAll } from '../test/helpers/processes.js';
import { renderCameraFrames, WIDTH, HEIGHT } from './frames.js';
import { measureKafkaLimit, type KafkaLimit } from './kafka-perf.js';
import { runPipeline, type RunResult, type RunSpec } from './pipeline-run.js';
import { report } from './stats.js';

const jsonOnly = process.argv.includes('--json');
const list = (name: string, fallback: string) => (process.env[name] ?? fallback).split(',').filter((x) => x.trim() !== '').map(Number);
const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const WINDOWS = list('BENCH_WINDOWS', '1,16,64');
const BATCHES = list('BENCH_BATCHES', '1,8,32');
const LATENCIES = list('BENCH_LATENCIES', '0,50');
const CAMERAS = num('BENCH_CAMERAS', 2);
const FRAMES = num('BENCH_FRAMES', 24000);
const SECONDS = num('BENCH_SECONDS', 8);
const LOAD_CAMERAS = num('BENCH_LOAD_CAMERAS', 8);
const LOAD_FPS = list('BENCH_LOAD_FPS', '10,20,30');
const LOAD_SECONDS = num('BENCH_LOAD_SECONDS', 30);
const LOAD_WINDOW = num('BENCH_LOAD_WINDOW', 64);
const LOAD_BATCH = num('BENCH_LOAD_BATCH', 1);
const KAFKA_LIMIT = process.env.BENCH_KAFKA_LIMIT !== '0';
const WARMUP_FRAMES = num('BENCH_WARMUP_FRAMES', 12000);
const log = (line: string) => jsonOnly || console.error(line);
const CLIENTS = kafkaClients();

const specs: RunSpec[] = [];
for (const latencyMs of LATENCIES) {
  for (const window of WINDOWS) {
    for (const batch of BATCHES.filter((b) => b <= window)) {
      // The window caps a processor with latency L at window / L frames/s per partition: size a
      // slow run by that so that every run takes about SECONDS at most.
      const ideal = latencyMs > 0 ? (window * CAMERAS * 1000) / latencyMs : Infinity;
      const total = Math.max(20 * CAMERAS, Math.min(FRAMES, Math.round(ideal * SECONDS)));
      for (const client of CLIENTS) specs.push({ client, scenario: 'throughput', cameras: CAMERAS, fps: 0, frames: Math.ceil(total / CAMERAS), latencyMs, window, batch });
    }
  }
}
for (const fps of LOAD_FPS) {
  for (const client of CLIENTS) specs.push({ client, scenario: 'load', cameras: LOAD_CAMERAS, fps, frames: Math.round(fps * LOAD_SECONDS), latencyMs: 0, window: LOAD_WINDOW, batch: LOAD_BATCH });
}

const work = mkdtempSync(path.join(os.tmpdir(), 'vsp-bench-pipeline-'));
const kafkaDir = path.join(work, 'kafka');
const rendered = new Map<string, Promise<{ dir: string; recordBytes: number }>>();
const render = (camera: string) => {
  let r = rendered.get(camera);
  if (!r) {
    r = renderCameraFrames(path.join(work, 'frames'), camera, Number(camera.replace(/\D/g, '')) || 1);
    rendered.set(camera, r);
  }
  return r;
};
const results: RunResult[] = [];
let kafkaLimit: KafkaLimit | undefined;
let recordBytes = 0;
try {
  const kafka = await startKafka({ port: await freePort(), controllerPort: await freePort(), dataDir: kafkaDir, log });
  const ctx = { bootstrap: kafka.bootstrap, kafkaPid: kafka.pid, work, framesDir: async (c: string) => (await render(c)).dir, log };
  if (WARMUP_FRAMES > 0) {
    // Kafka's JVM spends its first minutes compiling its hot paths (C2 took half its CPU 30 s after
    // start here): a run that is not recorded gets that out of the measured ones.
    log(`warm-up: ${WARMUP_FRAMES} frames, not recorded`);
    for (const client of CLIENTS) await runPipeline(ctx, { client, scenario: 'throughput', cameras: CAMERAS, fps: 0, frames: Math.ceil(WARMUP_FRAMES / CAMERAS), latencyMs: 0, window: 64, batch: 8 }, `warmup-${client}`);
  }
  for (const [i, spec] of specs.entries()) {
    const r = await runPipeline(ctx, spec, `r${i}`);
    results.push(r);
    log(`${describe(spec)}: ${r.fps} frames/s, p50/p99 ${r.p50}/${r.p99} ms, lost ${r.lost}, dup ${r.duplicated}, ooo ${r.outOfOrder}, failed ${r.failed}`);
  }
  const sizes = await Promise.all([...rendered.values()]);
  recordBytes = Math.round(sizes.reduce((n, s) => n + s.recordBytes, 0) / sizes.length);
  const best = fastest(results.filter((r) => r.spec.scenario === 'throughput' && r.spec.latencyMs === 0));
  if (KAFKA_LIMIT && best) {
    kafkaLimit = await measureKafkaLimit({ bootstrap: kafka.bootstrap, workDir: work, recordBytes, records: best.spec.frames * best.spec.cameras,
      partitions: best.partitions, prefix: 'bench-limit', log });
  }
} finally {
  await stopAll();
  await stopKafka(kafkaDir);
  rmSync(work, { recursive: true, force: true });
}

const rows = results.map((r) => ({
  client: r.spec.client,
  scenario: r.spec.scenario,
  cameras: r.spec.cameras,
  offeredFps: r.spec.scenario === 'load' ? r.spec.fps * r.spec.cameras : 'max',
  latencyMs: r.spec.latencyMs,
  window: r.spec.window,
  batch: r.spec.batch,
  frames: r.spec.frames * r.spec.cameras,
  fps: r.fps,
  steady: r.steadyFrames,
  sustained: r.sustained ? 'yes' : 'no',
  p50: r.p50,
  p95: r.p95,
  p99: r.p99,
  lost: r.lost,
  dup: r.duplicated,
  ooo: r.outOfOrder,
  failed: r.failed,
  queueMs: r.stages.queueMs,
  procMs: r.stages.processorMs,
  reorderMs: r.stages.reorderMs,
  cpuKafka: r.cpu.kafka ?? NaN,
  cpuBroker: r.cpu.broker ?? NaN,
  cpuProcessor: r.cpu.processor ?? NaN,
  cpuProducers: r.cpu.producers ?? NaN,
  cpuConsumer: r.cpu.consumer ?? NaN,
  cpuOther: r.cpu.other ?? NaN,
  // CPU of all the pipeline's processes per frame: what bounds frames/s on 2 idle cores (2000 / this).
  // Exact for paced runs; unthrottled producers run ahead of the broker, so theirs is only partly inside.
  cpuMsPerFrame: Math.round(((['kafka', 'broker', 'processor', 'producers', 'consumer'].reduce((n, g) => n + (r.cpu[g] ?? 0), 0) * 10) / r.fps) * 100) / 100,
}));

const limitFps = kafkaLimit?.produceConsume.framesPerS;
/** The targets, per client library: sustained null-processor rate (producers running), its share of Kafka alone, 8 × 30 fps latency, replay 50 ms. */
const targets = Object.fromEntries(CLIENTS.map((client) => {
  const mine = results.filter((r) => r.spec.client === client);
  const sustained = fastest(mine.filter((r) => r.spec.scenario === 'throughput' && r.spec.latencyMs === 0 && r.sustained));
  const at8x30 = mine.find((r) => r.spec.scenario === 'load' && r.spec.cameras === 8 && r.spec.fps === 30);
  const replay50 = fastest(mine.filter((r) => r.spec.scenario === 'throughput' && r.spec.latencyMs === 50 && r.spec.window === 64));
  const total = (f: (r: RunResult) => number) => mine.reduce((n, r) => n + f(r), 0);
  return [client, {
    sustainedNullFps: sustained && { value: sustained.fps, target: 2500, window: sustained.spec.window, batch: sustained.spec.batch },
    kafkaLimitShare: sustained && limitFps ? { value: Math.round((sustained.fps / limitFps) * 100) / 100, target: 0.35, kafkaLimitFps: Math.round(limitFps) } : undefined,
    p50At8x30: at8x30 && { value: at8x30.p50, target: 8 },
    p99At8x30: at8x30 && { value: at8x30.p99, target: 25 },
    replay50Window64Fps: replay50 && { value: replay50.fps, target: 1800, batch: replay50.spec.batch },
    delivery: { lost: total((r) => r.lost), duplicated: total((r) => r.duplicated), outOfOrder: total((r) => r.outOfOrder), failed: total((r) => r.failed) },
  }];
}));
if (!jsonOnly && kafkaLimit) {
  console.log(`kafka alone (${kafkaLimit.records} records of ${kafkaLimit.recordBytes} B): produce ${Math.round(kafkaLimit.produce.framesPerS)}/s, ` +
    `consume ${Math.round(kafkaLimit.consume.framesPerS)}/s, produce+consume ${Math.round(kafkaLimit.produceConsume.framesPerS)}/s`);
}
if (!jsonOnly) console.log(`targets: ${JSON.stringify(targets)}`);
report('pipeline', rows, {
  machine: { cpus: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30), kafka: KAFKA_VERSION },
  // Other work on a shared machine shows in the figures (and in cpuOther); this records how much there was.
  loadAverage: Math.round(os.loadavg()[0]! * 100) / 100,
  frameSize: `${WIDTH}x${HEIGHT}`,
  recordBytes,
  kafkaLimit,
  targets,
}, jsonOnly);

function fastest(rs: RunResult[]): RunResult | undefined {
  return rs.reduce<RunResult | undefined>((a, b) => (a && a.fps >= b.fps ? a : b), undefined);
}

/** BENCH_KAFKA_CLIENTS, or both libraries (kafkajs alone where rdkafka is not installed). */
function kafkaClients(): KafkaClientName[] {
  const named = process.env.BENCH_KAFKA_CLIENTS;
  if (!named) return loadRdKafka().ok ? ['kafkajs', 'rdkafka'] : ['kafkajs'];
  const clients = named.split(',').map((c) => parseKafkaClientChoice(c.trim(), 'BENCH_KAFKA_CLIENTS'));
  if (clients.includes('auto')) throw new Error('BENCH_KAFKA_CLIENTS: name the libraries (kafkajs, rdkafka), not auto');
  return clients as KafkaClientName[];
}

function describe(s: RunSpec): string {
  const load = s.scenario === 'load' ? `${s.cameras}x${s.fps} fps` : `${s.cameras} cameras unthrottled`;
  return `${s.client}: ${load}, latency ${s.latencyMs} ms, window ${s.window}, batch ${s.batch}`;
}
