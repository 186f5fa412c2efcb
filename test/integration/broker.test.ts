// The processing broker under concurrency, crashes, outages and scale-out, on a real Kafka and
// real gRPC processors, on each Kafka client library (every vsp process gets --kafka-client).
// Ground truth: the offline tracker (`vsp track`) on the same detections, which the tracker tests
// prove identical to the reference SORT.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestKafka, type TestKafka } from '../helpers/kafka.js';
import { REPO, stopAll, vspRun, type VspProcess } from '../helpers/processes.js';
import { committedOffsets, endOffsets, startBroker, startProcessor, tracksProduced, waitForGroupDone } from '../helpers/pipeline.js';
import type { TrackedFrame__Output } from '../../common/gen/vsp/v1/TrackedFrame.js';
import { createKafka, partitionForKey } from '../../common/kafka/client.js';
import { kafkaConnection } from '../../common/kafka/connection.js';
import { topicNames } from '../../common/kafka/topics.js';
import { snapshotKey } from '../../broker/state-store.js';
import { createTracker, defaultParams } from '../../broker/tracker/registry.js';
import { detectionsPerFrame, formatSortRow } from '../../broker/tracker/mot-track.js';
import { readMotFile } from '../../common/mot/read-file.js';
import { snapshotRecords } from '../../broker/snapshot-codec.js';
import type { KafkaClientName } from '../../common/kafka/types.js';
import { KAFKA_CLIENTS, requireKafkaClient } from '../helpers/kafka-clients.js';
import { logLines } from '../helpers/producer.js';

const DETS = path.join(REPO, 'test/fixtures/mot15/det');
const SEQUENCES: Record<string, number> = { 'TUD-Campus': 71, 'KITTI-17': 145, 'ETH-Sunnyday': 354, 'PETS09-S2L1': 795 };
const CAMERAS = Object.keys(SEQUENCES);
const TOTAL = Object.values(SEQUENCES).reduce((a, b) => a + b, 0);

for (const library of KAFKA_CLIENTS) describe(`broker on ${library} (real Kafka, real gRPC processors)`, () => brokerTests(library));

function brokerTests(library: KafkaClientName): void {
  let kafka: TestKafka;
  const work = mkdtempSync(path.join(os.tmpdir(), 'vsp-broker-'));
  const expected = new Map<string, string>();

  before(async () => {
    requireKafkaClient(library);
    kafka = await startTestKafka();
    for (const camera of CAMERAS) {
      const r = await vspRun(['track', '--mot', path.join(DETS, `${camera}.txt`)]);
      assert.equal(r.code, 0, r.stderr);
      expected.set(camera, r.stdout);
    }
  });
  afterEach(stopAll);
  after(async () => {
    await kafka?.stop();
  });

  /** Fresh topics, the four sequences published as blank frames, and the flags every command shares. */
  async function publishSequences(partitions = 4): Promise<{ prefix: string; common: string[] }> {
    const prefix = await kafka.topics(partitions);
    const common = ['--brokers', kafka.bootstrap, '--kafka-client', library, '--prefix', prefix];
    const state = path.join(work, prefix);
    const runs = await Promise.all(CAMERAS.map((c) => vspRun(['producer', ...common, '--source', `mot:${path.join(DETS, `${c}.txt`)}`, '--state-dir', state])));
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    return { prefix, common };
  }

  async function readResults(common: string[], name: string): Promise<{ frames: TrackedFrame__Output[]; mot: (camera: string) => string }> {
    const jsonl = path.join(work, `${name}.jsonl`);
    const mot = path.join(work, `${name}.{camera}.txt`);
    const r = await vspRun(['consumer', ...common, '--report', `jsonl:${jsonl}`, '--report', `mot:${mot}`, '--exit-when-idle', '3']);
    assert.equal(r.code, 0, r.stderr);
    const frames = readFileSync(jsonl, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as TrackedFrame__Output);
    return { frames, mot: (camera) => readFileSync(mot.replace('{camera}', camera), 'utf8') };
  }

  function seqsOf(frames: TrackedFrame__Output[], camera: string): number[] {
    return frames.filter((f) => f.cameraId === camera).map((f) => f.seq);
  }

  const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

  async function replayProcessors(n: number, latency: string): Promise<{ procs: VspProcess[]; list: string; ports: number[] }> {
    const started = await Promise.all(Array.from({ length: n }, (_, i) => startProcessor(['--impl', 'replay', '--mot-dets', DETS, '--latency-ms', latency, '--seed', String(i + 1)])));
    return { procs: started.map((s) => s.proc), list: started.map((s) => s.address).join(','), ports: started.map((s) => s.port) };
  }

  it('keeps per-camera order under concurrency: output identical to the offline tracker', async () => {
    const { prefix, common } = await publishSequences();
    const { list } = await replayProcessors(2, '0-40');
    const broker = await startBroker([...common, '--processor', list, '--window', '32', '--batch', '2', '--group', 'order']);
    await waitForGroupDone(kafka.bootstrap, prefix, 'order');
    await broker.stop();
    const { frames, mot } = await readResults(common, 'order');
    for (const camera of CAMERAS) {
      assert.deepEqual(seqsOf(frames, camera), range(SEQUENCES[camera]!), `${camera}: every frame once, in order`);
      assert.equal(mot(camera), expected.get(camera), `${camera}: MOT output identical to vsp track`);
    }
  });

  /** Kills the broker with SIGKILL at three random points of the run, restarting it each time. */
  async function runWithCrashes(common: string[], prefix: string, args: string[]): Promise<void> {
    let broker = await startBroker([...common, ...args]);
    const points = [0.2, 0.45, 0.7].map((p) => Math.round(TOTAL * (p + Math.random() * 0.1)));
    for (const point of points) {
      while ((await tracksProduced(kafka.bootstrap, prefix)) < BigInt(point)) await new Promise((r) => setTimeout(r, 50));
      await broker.stop('SIGKILL');
      broker = await startBroker([...common, ...args]);
    }
    await waitForGroupDone(kafka.bootstrap, prefix, args[args.indexOf('--group') + 1]!);
    await broker.stop();
  }

  it('at-least-once: a snapshot written just before a crash, ahead of the commit, is committed on restore', async () => {
    // The state a broker killed between writing its snapshot and committing leaves behind: the
    // outputs of all 20 frames acknowledged, the snapshot saying so, the offset still at 0.
    const prefix = await kafka.topics(1);
    const common = ['--brokers', kafka.bootstrap, '--kafka-client', library, '--prefix', prefix];
    const produced = await vspRun(['producer', ...common, '--source', `mot:${path.join(DETS, 'TUD-Campus.txt')}`, '--frames', '20', '--state-dir', path.join(work, prefix)]);
    assert.equal(produced.code, 0, produced.stderr);
    const topics = topicNames(prefix);
    const client = createKafka({ ...kafkaConnection(kafka.bootstrap, 'test'), client: library });
    const admin = client.admin();
    await admin.connect();
    await admin.setOffsets({ groupId: 'resume', topic: topics.frames, partitions: [{ partition: 0, offset: '0' }] });
    await admin.disconnect();
    const producer = client.producer();
    await producer.connect();
    const messages = snapshotRecords(snapshotKey('resume', topics.frames, 0), { version: 2, nextOffset: '20', cameras: {} }, 0);
    await producer.send({ topic: topics.trackerState, acks: -1, messages });
    await producer.disconnect();

    const { address } = await startProcessor(['--impl', 'replay', '--mot-dets', DETS]);
    const broker = await startBroker([...common, '--processor', address, '--group', 'resume']);
    // Nothing is left to process, yet the group catches up with the end of the partition.
    await waitForGroupDone(kafka.bootstrap, prefix, 'resume', 30_000);
    await broker.stop();
    assert.equal(await tracksProduced(kafka.bootstrap, prefix), 0n, 'the frames the snapshot covers are not processed again');
  });

  it('SIGTERM right after the last output: the final commit lands (committed offset = end of partition)', async () => {
    const prefix = await kafka.topics(1);
    const common = ['--brokers', kafka.bootstrap, '--kafka-client', library, '--prefix', prefix];
    const produced = await vspRun(['producer', ...common, '--source', `mot:${path.join(DETS, 'TUD-Campus.txt')}`, '--frames', '40', '--state-dir', path.join(work, prefix)]);
    assert.equal(produced.code, 0, produced.stderr);
    const { address } = await startProcessor(['--impl', 'replay', '--mot-dets', DETS]);
    // Commits are due only every 100 frames or 60 s: only the shutdown commits.
    const broker = await startBroker([...common, '--processor', address, '--group', 'term', '--commit-every', '100', '--commit-interval-ms', '60000']);
    while ((await tracksProduced(kafka.bootstrap, prefix)) < 40n) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await broker.stop('SIGTERM'), 0, broker.stderr());
    assert.doesNotMatch(broker.stderr(), /offset commit failed/);
    const committed = await committedOffsets(kafka.bootstrap, 'term', topicNames(prefix).frames);
    assert.equal(committed.get(0), 40n);
  });

  it('exactly-once: SIGKILLed three times, every frame is committed exactly once and tracking is unchanged', async () => {
    const { prefix, common } = await publishSequences();
    const { list } = await replayProcessors(2, '10-30');
    await runWithCrashes(common, prefix, ['--processor', list, '--window', '16', '--batch', '2', '--group', 'eos', '--exactly-once', '--commit-every', '20']);
    const { frames, mot } = await readResults(common, 'eos');
    for (const camera of CAMERAS) {
      assert.deepEqual(seqsOf(frames, camera), range(SEQUENCES[camera]!), `${camera}: committed tracks hold every frame exactly once, in order`);
      assert.equal(mot(camera), expected.get(camera), `${camera}: same track ids and boxes as without crashes`);
    }
  });

  it('--tracker bytetrack, exactly-once, SIGKILLed three times: output identical to ByteTrack offline', async () => {
    const { prefix, common } = await publishSequences();
    const { list } = await replayProcessors(2, '0-30');
    await runWithCrashes(common, prefix, ['--processor', list, '--window', '32', '--batch', '2', '--group', 'bt', '--exactly-once', '--commit-every', '20', '--tracker', 'bytetrack']);
    const { frames, mot } = await readResults(common, 'bt');
    for (const camera of CAMERAS) {
      assert.deepEqual(seqsOf(frames, camera), range(SEQUENCES[camera]!), `${camera}: every frame exactly once, in order`);
      // Offline, with the scores as the processors deliver them (float32 on the wire).
      const tracker = createTracker({ kind: 'bytetrack', params: defaultParams('bytetrack') });
      const rows = detectionsPerFrame(readMotFile(path.join(DETS, `${camera}.txt`), 'det')).flatMap((dets, i) =>
        tracker.update(dets.map((d) => ({ ...d, score: Math.fround(d.score) }))).tracks.map((t) => formatSortRow(i + 1, t)),
      );
      assert.equal(mot(camera), rows.length ? `${rows.join('\n')}\n` : '', `${camera}: same ByteTrack ids and boxes as offline`);
    }
  });

  it('at-least-once: SIGKILLed three times, nothing is missing, order holds, duplicates only replay a tail', async () => {
    const { prefix, common } = await publishSequences();
    const { list } = await replayProcessors(2, '10-30');
    await runWithCrashes(common, prefix, ['--processor', list, '--window', '16', '--batch', '2', '--group', 'alo', '--commit-every', '20']);
    const { frames, mot } = await readResults(common, 'alo');
    for (const camera of CAMERAS) {
      const seqs = seqsOf(frames, camera);
      // In order, except that after a crash the stream may step back to the last commit and
      // repeat from there, in order again.
      for (let i = 1; i < seqs.length; i++) {
        assert.ok(seqs[i] === seqs[i - 1]! + 1 || seqs[i]! <= seqs[i - 1]!, `${camera}: seq ${seqs[i]} after ${seqs[i - 1]}`);
      }
      assert.deepEqual([...new Set(seqs)].sort((a, b) => a - b), range(SEQUENCES[camera]!), `${camera}: no frame missing`);
      assert.equal(mot(camera), expected.get(camera), `${camera}: report (last record per seq) identical to vsp track`);
    }
  });

  async function outage(policy: 'block' | 'skip'): Promise<TrackedFrame__Output[]> {
    const { prefix, common } = await publishSequences();
    const { procs, ports } = await replayProcessors(2, '20');
    const list = ports.map((p) => `127.0.0.1:${p}`).join(',');
    const group = `outage-${policy}`;
    const broker = await startBroker([...common, '--processor', list, '--window', '8', '--group', group, '--on-failure', policy, '--max-retries', '2', '--deadline-ms', '2000']);
    while ((await tracksProduced(kafka.bootstrap, prefix)) < BigInt(Math.round(TOTAL * 0.3))) await new Promise((r) => setTimeout(r, 50));
    await Promise.all(procs.map((p) => p.stop('SIGKILL')));
    await new Promise((r) => setTimeout(r, 10_000));
    for (const port of ports) await startProcessor(['--impl', 'replay', '--mot-dets', DETS, '--latency-ms', '20'], port);
    await waitForGroupDone(kafka.bootstrap, prefix, group);
    await broker.stop();
    const { frames, mot } = await readResults(common, group);
    for (const camera of CAMERAS) {
      assert.deepEqual(seqsOf(frames, camera), range(SEQUENCES[camera]!), `${camera}: every frame, once, in order`);
      if (policy === 'block') assert.equal(mot(camera), expected.get(camera), `${camera}: nothing skipped`);
    }
    return frames;
  }

  it('processor outage with --on-failure block: frames wait, nothing is missing or skipped', async () => {
    const frames = await outage('block');
    assert.ok(frames.every((f) => f.status === 'OK'));
  });

  it('processor outage with --on-failure skip: every frame appears, the failed ones marked', async () => {
    const frames = await outage('skip');
    const failed = frames.filter((f) => f.status === 'PROCESSOR_FAILED');
    assert.ok(failed.length > 0, 'frames during the outage are marked failed');
    assert.ok(failed.every((f) => f.error.length > 0 && f.detections.length === 0 && f.tracks.length === 0));
    assert.ok(frames.some((f) => f.status === 'OK'));
  });

  it('scale-out: two brokers share the partitions; when one stops the other takes over, output unchanged', async () => {
    const { prefix, common } = await publishSequences();
    const { list } = await replayProcessors(2, '10-30');
    const args = [...common, '--processor', list, '--window', '8', '--group', 'scale', '--commit-every', '20'];
    const first = await startBroker(args);
    const second = await startBroker(args);
    while ((await tracksProduced(kafka.bootstrap, prefix)) < BigInt(Math.round(TOTAL * 0.4))) await new Promise((r) => setTimeout(r, 50));
    await second.stop('SIGTERM');
    await waitForGroupDone(kafka.bootstrap, prefix, 'scale');
    await first.stop();
    const { frames, mot } = await readResults(common, 'scale');
    for (const camera of CAMERAS) {
      assert.deepEqual([...new Set(seqsOf(frames, camera))].sort((a, b) => a - b), range(SEQUENCES[camera]!), `${camera}: complete`);
      assert.equal(mot(camera), expected.get(camera), `${camera}: identical to vsp track`);
    }
  });

  it('a partition slow to open holds up no other: they are all done before it opens, output unchanged', async () => {
    const { prefix, common } = await publishSequences();
    const frames = topicNames(prefix).frames;
    // A committed offset with no snapshot behind it: opening that partition waits 15 s for one,
    // then starts fresh trackers from the offset (0: every frame, so the output is unchanged).
    const slow = partitionForKey('TUD-Campus', 4);
    const admin = createKafka({ ...kafkaConnection(kafka.bootstrap, 'test'), client: library }).admin();
    await admin.connect();
    await admin.setOffsets({ groupId: 'slow-open', topic: frames, partitions: [{ partition: slow, offset: '0' }] });
    await admin.disconnect();
    const { list } = await replayProcessors(2, '0-20');
    const broker = await startBroker([...common, '--processor', list, '--window', '4', '--group', 'slow-open']);
    const openedSlow = () => logLines(broker.stderr()).some((l) => l.msg === 'partition opened' && l.partition === slow);
    for (;;) {
      const [ends, committed] = await Promise.all([endOffsets(kafka.bootstrap, frames), committedOffsets(kafka.bootstrap, 'slow-open', frames)]);
      const othersDone = [...ends].every(([p, end]) => p === slow || end === 0n || (committed.get(p) ?? -1n) >= end);
      // Read after the offsets: when the others were done, the slow partition was still opening.
      const opened = openedSlow();
      if (othersDone) {
        assert.ok(!opened, `the other partitions finished only after partition ${slow} opened: ${broker.stderr().slice(-2000)}`);
        break;
      }
      assert.ok(!opened, `partition ${slow} opened before the others were done (committed ${[...committed].join(' ')} of ${[...ends].join(' ')})`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await waitForGroupDone(kafka.bootstrap, prefix, 'slow-open');
    await broker.stop();
    const { frames: tracked, mot } = await readResults(common, 'slow-open');
    for (const camera of CAMERAS) {
      assert.deepEqual(seqsOf(tracked, camera), range(SEQUENCES[camera]!), `${camera}: every frame once, in order`);
      assert.equal(mot(camera), expected.get(camera), `${camera}: identical to vsp track`);
    }
  });

  if (library === 'rdkafka') {
    it('cooperative-sticky: a third broker joins under load; the partitions that stay keep their pipeline and trackers, output identical, exactly-once', async () => {
      // Six partitions: the four cameras land on 2, 3, 4 and 5 (0 and 1 stay empty).
      const { prefix, common } = await publishSequences(6);
      const { list } = await replayProcessors(2, '10-30');
      const args = [...common, '--processor', list, '--window', '16', '--batch', '2', '--group', 'coop', '--exactly-once', '--commit-every', '20'];
      const first = await startBroker(args);
      const second = await startBroker(args);
      const active = new Set(CAMERAS.map((c) => partitionForKey(c, 6)));
      await untilLogged(() => [first, second].every((b) => (assignedOf(b) ?? []).length === 3), 'the first two brokers hold three partitions each');
      // A partition that moved to the second broker opens there (at assignment, even when its
      // camera is done) only after its snapshot is read: that restore must not be mistaken for one
      // caused by the third broker.
      await untilLogged(
        () => [first, second].every((b) => assignedOf(b)!.every((p) => openedSinceAssigned(b, p))),
        'the first two brokers open every partition they hold',
      );
      while ((await tracksProduced(kafka.bootstrap, prefix)) < BigInt(Math.round(TOTAL * 0.3))) await new Promise((r) => setTimeout(r, 50));
      const before = new Map([first, second].map((b) => [b, assignedOf(b)!]));
      const joined = Date.now();
      const third = await startBroker(args);
      await untilLogged(() => (assignedOf(third) ?? []).length === 2, 'the third broker gets two partitions');
      await waitForGroupDone(kafka.bootstrap, prefix, 'coop');
      // Stopping revokes every partition (leaving the group): what is checked below happened before.
      const stopping = Date.now();
      await Promise.all([first, second, third].map((b) => b.stop()));

      const { frames, mot } = await readResults(common, 'coop');
      for (const camera of CAMERAS) {
        assert.deepEqual(seqsOf(frames, camera), range(SEQUENCES[camera]!), `${camera}: every frame exactly once, in order`);
        assert.equal(mot(camera), expected.get(camera), `${camera}: identical to vsp track`);
      }
      let keptActive = 0;
      for (const [broker, held] of before) {
        const after = logsOf(broker).filter((l) => l.time >= joined && l.time < stopping);
        const revoked = new Set(after.filter((l) => l.msg === 'partitions assigned').flatMap((l) => l.revoked ?? []));
        assert.equal(revoked.size, 1, `each of the first two gives up one partition: ${[...revoked].join(',')}`);
        const kept = held.filter((p) => !revoked.has(p));
        keptActive += kept.filter((p) => active.has(p)).length;
        for (const line of after) {
          if (line.partition === undefined || !kept.includes(line.partition)) continue;
          const history = () =>
            logsOf(broker)
              .filter((l) => l.partition === line.partition || l.msg === 'partitions assigned')
              .map((l) => `${l.time - joined} ms: ${JSON.stringify({ ...l, time: undefined })}`)
              .join('\n');
          if (/tracker state restored|no tracker snapshot|output failed|invalid tracker snapshot/.test(line.msg)) {
            assert.fail(`partition ${line.partition} stayed, yet: ${line.msg}; this broker's log (ms after the third broker started):\n${history()}`);
          }
        }
      }
      assert.ok(keptActive > 0, 'some partitions with frames stayed where they were');
      // What moved with a camera is restored by the third broker from the snapshots committed with
      // its offsets (an empty partition has no committed offset: nothing to restore).
      for (const { partition } of logsOf(third).filter((l) => l.msg === 'partition opened' && active.has(l.partition!))) {
        assert.ok(logsOf(third).some((l) => l.msg === 'tracker state restored' && l.partition === partition), `partition ${partition} restored by its new owner`);
      }
    });
  }
}

interface LogLine {
  time: number;
  msg: string;
  partition?: number;
  partitions?: number[];
  revoked?: number[];
  added?: number[];
}

/** A vsp process's JSON log lines (stderr). */
function logsOf(proc: VspProcess): LogLine[] {
  return proc
    .stderr()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as LogLine];
      } catch {
        return [];
      }
    });
}

/** The partitions a broker last logged as assigned to it. */
function assignedOf(proc: VspProcess): number[] | undefined {
  return logsOf(proc).filter((l) => l.msg === 'partitions assigned').at(-1)?.partitions?.slice().sort((a, b) => a - b);
}

/** Whether a broker has opened the partition (restored its state) since it was last assigned it. */
function openedSinceAssigned(proc: VspProcess, partition: number): boolean {
  const lines = logsOf(proc);
  const assigned = lines.map((l) => l.msg === 'partitions assigned' && (l.added ?? l.partitions ?? []).includes(partition)).lastIndexOf(true);
  return assigned >= 0 && lines.slice(assigned + 1).some((l) => l.msg === 'partition opened' && l.partition === partition);
}

async function untilLogged(done: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
