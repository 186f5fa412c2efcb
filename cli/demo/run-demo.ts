// `vsp demo`: starts every component as its own process against a local Kafka, prints what is
// being tracked, and on Ctrl-C (or when a file source ends) stops them all, Kafka last.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { startKafka, stopKafka, freePort } from '../../common/kafka/local.js';
import { createKafka } from '../../common/kafka/client.js';
import { kafkaConnection } from '../../common/kafka/connection.js';
import { topicNames } from '../../common/kafka/topics.js';
import { createTopics } from '../../common/kafka/topics.js';
import { createLogger } from '../../common/log.js';
import { spawnVsp, type VspProcess } from '../../common/vsp-process.js';
import { readTracks } from '../../consumer/tracks-reader.js';
import type { TrackedFrame__Output } from '../../common/gen/vsp/v1/TrackedFrame.js';

export interface DemoOptions {
  source: string;
  camera: string;
  realtime: boolean;
  loop: boolean;
  impl: string;
  out: string;
  webPort: number;
  kafkaPort: number;
  data: string;
}

const PREFIX = 'demo';

export async function runDemo(o: DemoOptions): Promise<void> {
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const log = createLogger('demo');
  const children: VspProcess[] = [];
  const abort = new AbortController();
  const interrupted = new Promise<void>((resolve) => {
    const stop = () => {
      say('\nstopping…');
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  const dataDir = path.resolve(o.data, 'kafka');
  // Every demo starts from scratch: a previous one may have left its broker running, and its
  // topics and seq state would otherwise mix into this run.
  await stopKafka(dataDir);
  await rm(path.resolve(o.data), { recursive: true, force: true });

  try {
    say(`starting Kafka on 127.0.0.1:${o.kafkaPort} (data in ${dataDir}; jars from Maven Central the first time)…`);
    const kafka = await startKafka({ port: o.kafkaPort, controllerPort: o.kafkaPort + 1, dataDir, log: say });
    await createTopics(createKafka(kafkaConnection(kafka.bootstrap, 'vsp-demo')), PREFIX, 1);
    const common = ['--brokers', kafka.bootstrap, '--prefix', PREFIX];
    const start = (name: string, args: string[]) => {
      const child = spawnVsp(args, { VSP_LOG_FORMAT: 'json' });
      children.push(child);
      void child.exited.then((code) => {
        if (code !== 0 && code !== null && !abort.signal.aborted) say(`${name} exited with code ${code}: ${lastLine(child.stderr())}`);
      });
      return child;
    };

    say(`starting the ${o.impl} processor (the NanoDet model is converted once on first use)…`);
    const port = await freePort();
    const processor = start('processor', ['processor', '--impl', o.impl, '--port', String(port)]);
    await processor.waitForStdout(/^127\.0\.0\.1:\d+$/, 300_000);
    start('broker', ['broker', ...common, '--processor', `127.0.0.1:${port}`, '--window', '8', '--group', 'demo-broker', '--max-age', '5']);
    const reports = [`jsonl:${path.join(o.out, 'tracks.jsonl')}`, `mot:${path.join(o.out, '{camera}.mot.txt')}`];
    const consumer = start('consumer', ['consumer', ...common, ...reports.flatMap((r) => ['--report', r]), '--display', `web:${o.webPort}`, '--from', 'earliest']);
    const url = (await consumer.waitForStdout(/^http:\/\//)).trim();
    const producerArgs = ['producer', ...common, '--camera', o.camera, '--source', o.source, '--state-dir', path.resolve(o.data, 'producer')];
    if (o.realtime && o.source.startsWith('file:')) producerArgs.push('--realtime');
    if (o.loop && (o.source.startsWith('file:') || o.source.startsWith('images:'))) producerArgs.push('--loop');
    const producer = start('producer', producerArgs);
    say(`streaming ${o.source} as camera '${o.camera}'; reports go to ${o.out}/`);
    say(`watch it live: ${url}`);
    say('Ctrl-C stops everything.');

    const progress = new Progress(say);
    const reading = readTracks({
      kafka: createKafka(kafkaConnection(kafka.bootstrap, 'vsp-demo-progress')),
      topics: topicNames(PREFIX),
      from: 'earliest',
      onFrame: (f) => progress.add(f),
      log,
      signal: abort.signal,
    });
    const finished = producer.exited.then(async (code) => {
      if (code !== 0) return;
      // The file is fully published; wait until the last frame has been tracked.
      while (Date.now() - progress.lastAt < 3000) await new Promise((r) => setTimeout(r, 250));
    });
    await Promise.race([interrupted, finished]);
    abort.abort();
    await reading;
    progress.summary();
  } finally {
    abort.abort();
    await Promise.all(children.map((c) => c.stop('SIGTERM')));
    await stopKafka(dataDir);
    say('all stopped.');
  }
}

/** One line per second: what the tracker sees now. */
class Progress {
  private frames = 0;
  private lastPrint = 0;
  private readonly ids = new Set<number>();
  private latencies: number[] = [];
  lastAt = Date.now();

  constructor(private readonly say: (line: string) => void) {}

  add(f: TrackedFrame__Output): void {
    this.frames += 1;
    this.lastAt = Date.now();
    for (const t of f.tracks) this.ids.add(t.trackId);
    this.latencies.push(Date.now() - (f.captureTime ? f.captureTime.seconds * 1000 + f.captureTime.nanos / 1e6 : Date.now()));
    if (Date.now() - this.lastPrint < 1000) return;
    this.lastPrint = Date.now();
    const labels = new Map<string, number>();
    for (const t of f.tracks) labels.set(t.label, (labels.get(t.label) ?? 0) + 1);
    const now = [...labels].map(([l, n]) => `${n} ${l}`).join(', ') || 'nothing';
    const p50 = [...this.latencies].sort((a, b) => a - b)[this.latencies.length >> 1] ?? 0;
    this.say(`${f.cameraId} frame ${f.seq}: ${now} tracked (ids ${f.tracks.map((t) => t.trackId).join(' ') || '-'}); latency p50 ${p50.toFixed(0)} ms`);
    this.latencies = [];
  }

  summary(): void {
    this.say(`tracked ${this.frames} frames; ${this.ids.size} distinct track ids`);
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}
