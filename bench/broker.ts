// Pipelining benchmark (`npm run bench:broker [-- --json]`): one camera, one partition, the
// replay processor answering after a fixed latency; frames/s through the broker for several
// windows. With latency L and window W the ceiling is W / L frames/s, so throughput should grow
// almost linearly with W until the machine, not the window, is the limit.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, startKafka, stopKafka } from '../common/kafka/local.js';
import { createKafka } from '../common/kafka/client.js';
import { kafkaConnection } from '../common/kafka/connection.js';
import { topicNames } from '../common/kafka/topics.js';
import { createTopics } from '../common/kafka/topics.js';
import { startBroker, startProcessor, waitForGroupDone } from '../test/helpers/pipeline.js';
import { stopAll, vspRun } from '../test/helpers/processes.js';
import { report } from './stats.js';

const jsonOnly = process.argv.includes('--json');
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 20);
const WINDOWS = (process.env.BENCH_WINDOWS ?? '1,4,16,64').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const log = (line: string) => jsonOnly || console.error(line);

const work = mkdtempSync(path.join(os.tmpdir(), 'vsp-bench-broker-'));
const kafka = await startKafka({ port: await freePort(), controllerPort: await freePort(), dataDir: path.join(work, 'kafka') });
const rows: Array<Record<string, string | number>> = [];
try {
  for (const window of WINDOWS) {
    // Enough frames for ~SECONDS at the ideal rate, capped by what 2 cores can move.
    const frames = Math.max(100, Math.min(8000, Math.round((window / LATENCY_MS) * 1000 * SECONDS)));
    const prefix = `bench-w${window}`;
    const camera = `cam-w${window}`;
    const dets = path.join(work, 'dets');
    rmSync(dets, { recursive: true, force: true });
    mkdirSync(dets, { recursive: true });
    // One detection on the last frame makes the mot: source emit frames 1..frames.
    writeFileSync(path.join(dets, `${camera}.txt`), `${frames},-1,10,10,20,40,0.9\n`);
    await createTopics(createKafka(kafkaConnection(kafka.bootstrap, 'bench')), prefix, 1);
    const common = ['--brokers', kafka.bootstrap, '--prefix', prefix];
    const produced = await vspRun(['producer', ...common, '--source', `mot:${path.join(dets, `${camera}.txt`)}`, '--state-dir', path.join(work, 'state')]);
    if (produced.code !== 0) throw new Error(produced.stderr);

    const processor = await startProcessor(['--impl', 'replay', '--mot-dets', dets, '--latency-ms', String(LATENCY_MS), '--concurrency', '256']);
    const arrivals: number[] = [];
    const reader = createKafka(kafkaConnection(kafka.bootstrap, 'vsp-bench')).consumer({ groupId: `bench-reader-${window}`, maxWaitTimeInMs: 20 });
    await reader.connect();
    await reader.subscribe({ topic: topicNames(prefix).tracks, fromBeginning: true });
    await reader.run({ eachBatch: async ({ batch }) => {
      const now = performance.now();
      for (let i = 0; i < batch.messages.length; i++) arrivals.push(now);
    } });
    // One call per frame (batch 1): enough calls allowed that the window, not the call limit, bounds it.
    const broker = await startBroker([...common, '--processor', processor.address, '--window', String(window), '--calls-per-processor', String(window), '--group', `bench-${window}`]);
    await waitForGroupDone(kafka.bootstrap, prefix, `bench-${window}`, 600_000);
    while (arrivals.length < frames) await new Promise((r) => setTimeout(r, 20));
    await broker.stop();
    await processor.proc.stop();
    await reader.disconnect();
    // Throughput over the middle 80 % of arrivals: start-up and the tail are not steady state.
    const a = arrivals[Math.floor(frames * 0.1)]!;
    const b = arrivals[Math.floor(frames * 0.9)]!;
    const fps = (Math.floor(frames * 0.9) - Math.floor(frames * 0.1)) / ((b - a) / 1000);
    rows.push({ window, latencyMs: LATENCY_MS, frames, fps: Math.round(fps), idealFps: Math.round((window * 1000) / LATENCY_MS) });
    log(`window ${window}: ${Math.round(fps)} frames/s`);
  }
} finally {
  await stopAll();
  await stopKafka(path.join(work, 'kafka'));
  rmSync(work, { recursive: true, force: true });
}
const base = rows[0]?.fps as number;
report('broker-window', rows.map((r) => ({ ...r, speedup: Number(((r.fps as number) / base).toFixed(2)) })), { latencyMs: LATENCY_MS }, jsonOnly);
