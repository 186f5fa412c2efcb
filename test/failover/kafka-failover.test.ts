// Kafka failover under a running exactly-once pipeline, on a real three-node KRaft cluster
// (RF 3, min ISR 2): a node is SIGKILLed mid-run and restarted later — the leader of the busiest
// frames partition (once with its data, once with its data directory wiped), the leader of that
// camera's tracks partition, and the transaction coordinator (the leader of __transaction_state,
// one partition here). Producers keep publishing during the outage. Every frame must be tracked
// exactly once, in order, identical to the offline tracker (`vsp track`); the pause the failover
// causes is measured and printed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestKafkaCluster, type TestKafkaCluster } from '../helpers/kafka.js';
import { REPO, stopAll, vspRun } from '../helpers/processes.js';
import { startBroker, startProcessor, waitForGroupDone } from '../helpers/pipeline.js';
import { freePort } from '../../common/kafka/local.js';
import type { TrackedFrame__Output } from '../../common/gen/vsp/v1/TrackedFrame.js';
import { createKafka, partitionForKey } from '../../common/kafka/client.js';
import { kafkaConnection } from '../../common/kafka/connection.js';
import { topicNames } from '../../common/kafka/topics.js';
import { checkTopics } from '../../common/kafka/topic-check.js';
import { TrackedFrameCodec } from '../../common/proto.js';
import type { KafkaClientName } from '../../common/kafka/types.js';
import { KAFKA_CLIENTS, requireKafkaClient } from '../helpers/kafka-clients.js';

const DETS = path.join(REPO, 'test/fixtures/mot15/det');
const SEQUENCES: Record<string, number> = { 'TUD-Campus': 71, 'KITTI-17': 145, 'ETH-Sunnyday': 354, 'PETS09-S2L1': 795 };
const CAMERAS = Object.keys(SEQUENCES);
/** Published before the kill; the other two cameras publish while the node is down. */
const EARLY = ['ETH-Sunnyday', 'PETS09-S2L1'];
const LATE = CAMERAS.filter((c) => !EARLY.includes(c));
const PARTITIONS = 4;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reads the tracks topic live (read_committed) and notes when each tracked frame arrived. */
async function watchTracks(bootstrap: string, prefix: string) {
  const arrivals: { camera: string; seq: number; at: number }[] = [];
  const seen = new Set<string>();
  let redelivered = 0;
  const consumer = createKafka(kafkaConnection(bootstrap, 'vsp-test-watch')).consumer({ groupId: `${prefix}-watch`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: topicNames(prefix).tracks, fromBeginning: true });
  void consumer.run({
    eachMessage: async ({ message }) => {
      if (!message.value) return;
      const f = TrackedFrameCodec.decode(message.value) as TrackedFrame__Output;
      // This reader's own group may re-read a few records when its commit fails over: first arrivals only.
      const key = `${f.cameraId}/${f.seq}`;
      if (seen.has(key)) return void redelivered++;
      seen.add(key);
      arrivals.push({ camera: f.cameraId, seq: Number(f.seq), at: Date.now() });
    },
  });
  return {
    arrivals,
    redelivered: () => redelivered,
    /** The longest time without any tracked frame arriving, from `since` until the last arrival. */
    longestGap(since: number, camera?: string): number {
      const times = [since, ...arrivals.filter((a) => a.at >= since && (!camera || a.camera === camera)).map((a) => a.at)];
      return Math.max(0, ...times.slice(1).map((t, i) => t - times[i]!));
    },
    stop: () => consumer.disconnect(),
  };
}

for (const library of KAFKA_CLIENTS) {
  describe(`Kafka failover on ${library} (3-node KRaft cluster, exactly-once pipeline)`, function () {
    // A guard only: the test's own deadlines (240 s for the group to finish) make the assertions.
    this.timeout(600_000);
    failoverTests(library);
  });
}

function failoverTests(library: KafkaClientName): void {
  let cluster: TestKafkaCluster;
  const work = mkdtempSync(path.join(os.tmpdir(), 'vsp-failover-'));
  const expected = new Map<string, string>();

  before(async () => {
    requireKafkaClient(library);
    cluster = await startTestKafkaCluster(3);
    for (const camera of CAMERAS) {
      const r = await vspRun(['track', '--mot', path.join(DETS, `${camera}.txt`)]);
      assert.equal(r.code, 0, r.stderr);
      expected.set(camera, r.stdout);
    }
  });
  const logSavers: NodeJS.Timeout[] = [];
  afterEach(async () => {
    for (const timer of logSavers.splice(0)) clearInterval(timer);
    await stopAll();
  });
  after(async () => {
    await cluster?.stop();
  });

  const publish = (common: string[], state: string, cameras: string[]) =>
    Promise.all(cameras.map((c) => vspRun(['producer', ...common, '--source', `mot:${path.join(DETS, `${c}.txt`)}`, '--state-dir', state])));

  /** The partition whose leader is killed: one of the frames or tracks topic (of PETS09-S2L1's partition), the transaction state or the group offsets. */
  type Role = 'frames' | 'tracks' | 'transactions' | 'groups';
  const INTERNAL: Partial<Record<Role, string>> = { transactions: '__transaction_state', groups: '__consumer_offsets' };

  async function failover(name: string, role: Role, wipe: boolean): Promise<string> {
    const prefix = await cluster.topics(PARTITIONS);
    const common = ['--brokers', cluster.bootstrap, '--kafka-client', library, '--prefix', prefix];
    // (A node may learn of the new topics a moment after the one that created them.)
    for (let deadline = Date.now() + 15_000; ; await sleep(250)) {
      const problems = await checkTopics(createKafka(kafkaConnection(cluster.bootstrap, 'vsp-test')), prefix).then(
        (r) => r.problems,
        (err: Error) => [{ topic: prefix, problem: err.message }],
      );
      if (problems.length === 0) break;
      assert.ok(Date.now() < deadline, `RF 3 / min ISR 2 topics pass vsp topics check: ${JSON.stringify(problems)}`);
    }

    const watch = await watchTracks(cluster.bootstrap, prefix);
    // A slow processor (window 2, 40-60 ms per frame) keeps the run going well past the outage.
    const procs = await Promise.all([1, 2].map((seed) => startProcessor(['--impl', 'replay', '--mot-dets', DETS, '--latency-ms', '40-60', '--seed', String(seed)])));
    const list = procs.map((p) => p.address).join(',');
    // Its metrics port tells, should the run stall, whether its event loop still answers.
    const metricsPort = await freePort();
    const broker = await startBroker([...common, '--processor', list, '--window', '2', '--batch', '1', '--group', name, '--exactly-once', '--commit-every', '20', '--metrics-port', String(metricsPort)]);
    // The broker's log, kept in the work folder as it goes (a test timing out still leaves it).
    const logFile = path.join(work, `${name}.broker.log`);
    const saveLog = setInterval(() => writeFileSync(logFile, broker.stderr()), 2000);
    logSavers.push(saveLog);
    const state = path.join(work, prefix);
    for (const r of await publish(common, state, EARLY)) assert.equal(r.code, 0, r.stderr);

    const frames = topicNames(prefix).frames;
    const victimPartition = partitionForKey('PETS09-S2L1', PARTITIONS);
    const internal = INTERNAL[role];
    const [ledTopic, ledPartition] = internal ? [internal, 0] : [topicNames(prefix)[role as 'frames' | 'tracks'], victimPartition];
    while (watch.arrivals.length < 200) await sleep(50);
    const victim = await cluster.leaderOf(ledTopic, ledPartition);
    assert.ok(victim > 0, `${ledTopic}[${ledPartition}] has a leader`);
    const led = [frames, topicNames(prefix).tracks, '__transaction_state', '__consumer_offsets'].map((t) => [t, t.startsWith('__') ? 0 : victimPartition] as const);
    const alsoLed = (await Promise.all(led.map(async ([t, p]) => ((await cluster.leaderOf(t, p).catch(() => -1)) === victim ? `${t}[${p}]` : undefined)))).filter(Boolean);

    const killedAt = Date.now();
    await cluster.kill(victim);
    // Published while the node is down, starting at once: before the controller has fenced the
    // dead node, so clients still find it in the metadata at first.
    const late = publish(common, state, LATE);
    let newLeader = -1;
    let electedAt = 0;
    let restartedAt = 0;
    try {
      if (wipe) await cluster.wipe(victim);
      // The controller fences the dead node after broker.session.timeout.ms (9 s) and elects a new leader.
      for (; newLeader < 0 || newLeader === victim; await sleep(100)) newLeader = await cluster.leaderOf(ledTopic, ledPartition).catch(() => -1);
      electedAt = Date.now();
      await sleep(Math.max(0, killedAt + 15_000 - Date.now()));
      for (const r of await late) assert.equal(r.code, 0, r.stderr);
    } finally {
      await cluster.restart(victim);
      restartedAt = Date.now();
    }

    // The broker's own warnings and errors (not the client library's retry noise), and any plain line; the whole log is kept in the work folder.
    const complaints = () => {
      writeFileSync(logFile, broker.stderr());
      const lines = broker.stderr().split('\n').filter((l) => (/"level":(40|50|60)/.test(l) && !l.includes('"logger":"kafkajs"')) || (l.trim() !== '' && !l.startsWith('{')));
      return `${lines.slice(-15).join('\n')}\n(whole log: ${logFile})`;
    };
    await waitForGroupDone(cluster.bootstrap, prefix, name, 240_000).catch(async (err: Error) => {
      const running = broker.child.exitCode === null ? `running, ${await stallState(broker.child.pid!, metricsPort, path.join(work, `${name}.broker.threads.txt`))}` : `exited ${broker.child.exitCode}`;
      throw new Error(`${err.message}; broker ${running}, its warnings:\n${complaints()}`);
    });
    assert.equal(broker.child.exitCode, null, `the broker survived the failover: ${broker.stderr().slice(-2000)}`);
    await broker.stop();
    clearInterval(saveLog);
    writeFileSync(logFile, broker.stderr());
    const total = Object.values(SEQUENCES).reduce((a, b) => a + b, 0);
    for (let deadline = Date.now() + 30_000; watch.arrivals.length < total && Date.now() < deadline; ) await sleep(100);
    await watch.stop();

    const jsonl = path.join(work, `${name}.jsonl`);
    const mot = path.join(work, `${name}.{camera}.txt`);
    const r = await vspRun(['consumer', ...common, '--report', `jsonl:${jsonl}`, '--report', `mot:${mot}`, '--exit-when-idle', '3']);
    assert.equal(r.code, 0, r.stderr);
    const tracked = readFileSync(jsonl, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as TrackedFrame__Output);
    for (const camera of CAMERAS) {
      const seqs = tracked.filter((f) => f.cameraId === camera).map((f) => Number(f.seq));
      assert.deepEqual(seqs, Array.from({ length: SEQUENCES[camera]! }, (_, i) => i + 1), `${camera}: every frame once, in order; broker warnings:\n${complaints()}`);
      assert.equal(readFileSync(mot.replace('{camera}', camera), 'utf8'), expected.get(camera), `${camera}: MOT output identical to vsp track`);
      assert.equal(tracked.filter((f) => f.cameraId === camera && f.status !== 'OK').length, 0, `${camera}: every frame processed`);
    }
    assert.equal(watch.arrivals.length, total, 'the live read_committed reader saw every frame');

    const gap = watch.longestGap(killedAt);
    const victimGap = watch.longestGap(killedAt, 'PETS09-S2L1');
    const afterRestart = watch.longestGap(restartedAt);
    console.log(
      `      ${name}: node ${victim} (leader of ${alsoLed.join(', ')}) SIGKILLed${wipe ? ', data wiped' : ''}; new leader of ${ledTopic} ${newLeader}; ` +
        `new leader elected after ${((electedAt - killedAt) / 1000).toFixed(1)} s; longest pause in tracked output: ${(gap / 1000).toFixed(1)} s (PETS09-S2L1 ${(victimGap / 1000).toFixed(1)} s); after its restart: ${(afterRestart / 1000).toFixed(1)} s; ` +
        `records the live reader's own group re-read: ${watch.redelivered()}`,
    );
    return prefix;
  }

  it('the frames partition leader SIGKILLed mid-run and restarted: every frame tracked exactly once, in order, as vsp track', async () => {
    await failover('failover-kill', 'frames', false);
  });

  it("the leader of the camera's tracks partition SIGKILLed mid-run and restarted: the same", async () => {
    await failover('failover-tracks', 'tracks', false);
  });

  it('the transaction coordinator SIGKILLed mid-run and restarted: the same', async () => {
    await failover('failover-txn', 'transactions', false);
  });

  it('the group coordinator SIGKILLed mid-run and restarted: the same', async () => {
    await failover('failover-groups', 'groups', false);
  });

  it('the same with the node data directory wiped before restart: it rejoins empty and re-replicates', async () => {
    const prefix = await failover('failover-wipe', 'frames', true);
    // The wiped node catches up: no partition of the deployment stays under-replicated.
    for (let deadline = Date.now() + 60_000; ; await sleep(500)) {
      const { underReplicated } = await checkTopics(createKafka(kafkaConnection(cluster.bootstrap, 'vsp-test')), prefix);
      if (underReplicated.length === 0) break;
      assert.ok(Date.now() < deadline, `still under-replicated: ${JSON.stringify(underReplicated)}`);
    }
  });
}

/**
 * What a stalled broker is doing: whether its event loop answers (its /metrics), and the native
 * stacks of its threads (gdb, when installed) in threadsFile — a native call that never returns
 * leaves nothing in the log, nor does a full libuv pool (the log is written through it).
 */
async function stallState(pid: number, metricsPort: number, threadsFile: string): Promise<string> {
  const answers = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { signal: AbortSignal.timeout(5000) }).then((r) => r.ok, () => false);
  const loop = answers ? 'its event loop answering' : 'its event loop not answering /metrics in 5 s';
  const gdb = spawnSync('gdb', ['-p', String(pid), '-batch', '-ex', 'thread apply all bt'], { encoding: 'utf8', timeout: 60_000 });
  if (gdb.error) return `${loop} (no native stacks: ${gdb.error.message})`;
  writeFileSync(threadsFile, gdb.stdout + gdb.stderr);
  return `${loop} (native stacks: ${threadsFile})`;
}
