// Producer benchmark (`npm run bench:producer [-- --json]`), into a real single-node Kafka:
//  - file:samples/vtest.avi through `vsp producer` as fast as Kafka takes it: frames/s (from the
//    first and last frame's capture time) and CPU per frame of the producer with its ffmpeg;
//  - ffmpeg alone, decoding the file and encoding JPEGs as the file: source has it do;
//  - the passthrough path in-process (JPEG → Frame → Kafka, nothing decoded) from JPEGs held in
//    memory: the producer's own CPU per frame, target < 1 ms; then the same from an images:DIR
//    of the file's frames (adds the file reads), and with --width 384 (sharp decode, resize,
//    re-encode).
// Medians of RUNS runs each; CPU from process.cpuUsage() in-process, from bash's `times` for
// child processes (which counts their children, i.e. ffmpeg, too).
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { freePort, startKafka, stopKafka } from '../common/kafka/local.js';
import { createKafka } from '../common/kafka/client.js';
import { kafkaConnection } from '../common/kafka/connection.js';
import { topicNames } from '../common/kafka/topics.js';
import { createTopics } from '../common/kafka/topics.js';
import { FrameCodec } from '../common/proto.js';
import { timestampToMs } from '../common/time.js';
import { REPO } from '../common/vsp-process.js';
import { publishFrames, type PublishOptions } from '../producer/publish.js';
import { SeqStore } from '../producer/seq-store.js';
import { fileArgs } from '../producer/sources/file.js';
import { imagesSource } from '../producer/sources/images.js';
import type { FrameSource } from '../producer/sources/types.js';
import { jpegSize } from '../common/jpeg.js';
import type { SizeLimit } from '../producer/resize.js';
import { median, report } from './stats.js';

const jsonOnly = process.argv.includes('--json');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
// In-process runs loop over the extracted frames this many times, for a steadier CPU figure.
const PASSES = Number(process.env.BENCH_PASSES ?? 3);
const VTEST = path.join(REPO, 'samples/vtest.avi');
const run = promisify(execFile);
const progress = (line: string) => jsonOnly || console.error(line);
const silent = pino({ level: 'silent' });

/** CPU seconds (user + sys) of a shell command's children, from bash's `times`. */
async function childCpuS(command: string): Promise<number> {
  const { stdout } = await run('bash', ['-c', `${command}; times`], { cwd: REPO });
  // `times` prints the shell's own user and sys time, then its children's: "0m1.234s 0m0.056s".
  const children = stdout.trim().split('\n').at(-1)!;
  return [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce((s, m) => s + Number(m[1]) * 60 + Number(m[2]), 0);
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

const work = mkdtempSync(path.join(os.tmpdir(), 'vsp-bench-producer-'));
const kafkaDir = path.join(work, 'kafka');
const loadAverage = os.loadavg()[0]!.toFixed(2);
const kafka = await startKafka({ port: await freePort(), controllerPort: await freePort(), dataDir: kafkaDir });
const client = createKafka(kafkaConnection(kafka.bootstrap, 'vsp-bench'));
let topicCounter = 0;
async function freshTopic(): Promise<{ prefix: string; topic: string }> {
  const prefix = `bench-${++topicCounter}`;
  await createTopics(client, prefix, 1);
  return { prefix, topic: topicNames(prefix).frames };
}

/** First and last capture time (ms) of the topic's records. */
async function captureSpan(topic: string): Promise<{ frames: number; spanMs: number }> {
  const admin = client.admin();
  await admin.connect();
  const total = Number((await admin.fetchTopicOffsets(topic))[0]!.high);
  await admin.disconnect();
  const consumer = client.consumer({ groupId: `bench-${topic}`, maxWaitTimeInMs: 100 });
  const times: number[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        times.push(timestampToMs(FrameCodec.decode(message.value!).captureTime));
        if (times.length >= total) resolve();
      },
    });
  });
  await consumer.disconnect();
  return { frames: total, spanMs: times.at(-1)! - times[0]! };
}

/** The JPEGs of a folder from memory, over and over: the producer's cost without any source's. */
function memorySource(jpegs: Buffer[]): FrameSource {
  return {
    description: 'memory',
    live: false,
    paced: false,
    async *frames() {
      for (;;) for (const image of jpegs) yield { image, ...jpegSize(image) };
    },
  };
}

async function inProcess(source: FrameSource, frames: number, sizeLimit?: SizeLimit): Promise<{ fps: number; cpuMsPerFrame: number }> {
  const { topic } = await freshTopic();
  const o: PublishOptions = {
    cameraId: 'bench',
    source,
    kafka: client,
    topic,
    seqs: new SeqStore(path.join(work, 'state', `${topic}.seq`)),
    maxFrames: frames,
    bufferBytes: 64 * 1024 * 1024,
    sizeLimit,
    statsIntervalMs: 0,
    log: silent,
    signal: new AbortController().signal,
  };
  const cpu = process.cpuUsage();
  const start = performance.now();
  const result = await publishFrames(o);
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { fps: result.published / seconds, cpuMsPerFrame: (used.user + used.system) / 1000 / result.published };
}

const rows: Array<Record<string, string | number>> = [];
const row = (name: string, frames: number, fps: number[], cpu: number[]) => {
  rows.push({ path: name, frames, fps: Math.round(median(fps)), cpuMsPerFrame: Number(median(cpu).toFixed(3)) });
  progress(`${name}: ${Math.round(median(fps))} frames/s, ${median(cpu).toFixed(3)} CPU ms/frame`);
};

try {
  const framesDir = path.join(work, 'frames');
  mkdirSync(framesDir);
  // The JPEGs ffmpeg makes for file: sources, as files, so the images: source passes them through.
  await run('ffmpeg', ['-v', 'error', '-i', VTEST, '-q:v', '3', path.join(framesDir, '%04d.jpg')]);
  const fileFrames = readdirSync(framesDir).length;

  const fps: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const { prefix, topic } = await freshTopic();
    const args = ['producer', '--brokers', kafka.bootstrap, '--prefix', prefix, '--camera', 'bench', '--source', `file:${VTEST}`, '--stats-interval', '0', '--state-dir', path.join(work, 'state')];
    // Through its #! line, as `vsp` runs for a user: with vsp's node flags and environment.
    const cpuS = await childCpuS(`VSP_LOG_LEVEL=warn ./bin/vsp.js ${args.map(quote).join(' ')}`);
    const { frames, spanMs } = await captureSpan(topic);
    fps.push(((frames - 1) * 1000) / spanMs);
    cpu.push((cpuS * 1000) / frames);
  }
  row('file: via vsp producer (ffmpeg decode+encode, publish; whole process)', fileFrames, fps, cpu);

  const ffFps: number[] = [];
  const ffCpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    const cpuS = await childCpuS(`ffmpeg ${fileArgs(VTEST, false).map(quote).join(' ')} >/dev/null 2>&1`);
    ffFps.push(fileFrames / ((performance.now() - start) / 1000));
    ffCpu.push((cpuS * 1000) / fileFrames);
  }
  row('ffmpeg alone (decode + JPEG encode)', fileFrames, ffFps, ffCpu);

  const jpegs = readdirSync(framesDir).sort().map((f) => readFileSync(path.join(framesDir, f)));
  const cases: Array<[string, () => FrameSource, SizeLimit | undefined]> = [
    ['passthrough: JPEG in memory → Frame → Kafka (in-process)', () => memorySource(jpegs), undefined],
    ['passthrough from images:DIR (file reads included)', () => imagesSource(framesDir, { log: silent, loop: true }), undefined],
    ['downscale to 384 px wide (sharp; JPEG in memory)', () => memorySource(jpegs), { width: 384 }],
  ];
  for (const [name, source, limit] of cases) {
    await inProcess(source(), fileFrames, limit); // warm-up: JIT, connections
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await inProcess(source(), fileFrames * PASSES, limit));
    row(name, fileFrames * PASSES, runs.map((r) => r.fps), runs.map((r) => r.cpuMsPerFrame));
  }
} finally {
  await stopKafka(kafkaDir);
  rmSync(work, { recursive: true, force: true });
}

const passthrough = rows.find((r) => String(r.path).startsWith('passthrough: JPEG in memory'))?.cpuMsPerFrame;
report('producer', rows, { runs: RUNS, cpus: os.cpus().length, loadAverage, frame: '768x576 JPEG (vtest.avi)', passthroughCpuMsPerFrame: passthrough, targetCpuMsPerFrame: 1 }, jsonOnly);
