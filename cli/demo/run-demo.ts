// `vsp demo`: starts every component as its own process against a local Kafka, prints what is
// being tracked, and on Ctrl-C (or when a file source ends) stops them all, Kafka last.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { startKafka, stopKafka, freePort } from '../../common/kafka/local.js';
import { createKafka } from '../../common/kafka/client.js';
import { connectionFromOptions, kafkaConnection } from '../../common/kafka/connection.js';
import { topicNames } from '../../common/kafka/topics.js';
import { createTopics } from '../../common/kafka/topics.js';
import { createLogger } from '../../common/log.js';
import { ffmpeg, requireTools } from '../../common/requirements.js';
import { spawnVsp, type VspProcess } from '../../common/vsp-process.js';
import { readTracks } from '../../consumer/tracks-reader.js';
import { sourceTools } from '../../producer/sources/index.js';
import type { TrackedFrame__Output } from '../../common/gen/vsp/v1/TrackedFrame.js';
import type { Role } from '../../common/kafka/secure.js';

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
  /** Kafka with TLS, SASL/SCRAM and ACLs; each component uses its role's client properties. */
  secure: boolean;
}

const PREFIX = 'demo';

export async function runDemo(o: DemoOptions): Promise<void> {
  const say = (line: string) => process.stdout.write(`${line}\n`);
  // Before anything starts: every program the demo needs, all that is missing named in one line.
  const tools = sourceTools(o.source);
  await requireTools(['java', 'mvn', ...(o.secure ? ['openssl' as const] : []), ...tools]);
  const ff = tools.includes('ffmpeg') ? await ffmpeg() : undefined;
  if (ff?.origin === 'npm') say(`no ffmpeg on PATH: using the one npm installed (${ff.command})`);
  // The components run the ffmpeg found here rather than look again.
  const env: Record<string, string> = { VSP_LOG_FORMAT: 'json', ...(ff ? { VSP_FFMPEG: ff.command } : {}) };

  const log = createLogger('demo');
  const children: VspProcess[] = [];
  const abort = new AbortController(); // aborted once the demo stops: components exit then
  const interrupted = new Promise<void>((resolve) => {
    const stop = () => {
      say('\nstopping…');
      abort.abort();
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  // A component that exits while the demo runs fails it, naming the component; only the producer
  // may end (with 0), when a file source without --loop is done.
  let fail: (err: Error) => void = () => {};
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => {}); // observed by the races below
  /** A step of the start: rejects when a component fails, undefined on Ctrl-C. */
  const step = <T>(p: Promise<T>): Promise<T | undefined> => Promise.race([p, failed, interrupted.then(() => undefined)]);
  const start = (name: string, args: string[]) => {
    const child = spawnVsp(args, env);
    children.push(child);
    void child.exited.then((code) => {
      if (abort.signal.aborted || (name === 'producer' && code === 0)) return;
      const how = code === null ? 'was killed' : `exited with code ${code}`;
      fail(new Error(`demo: the ${name} ${how}: ${lastLine(child.stderr()) || '(no output)'}`));
    });
    return child;
  };

  const dataDir = path.resolve(o.data, 'kafka');
  // Every demo starts from scratch: a previous one may have left its broker running, and its
  // topics and seq state would otherwise mix into this run.
  await stopKafka(dataDir);
  await rm(path.resolve(o.data), { recursive: true, force: true });

  let reading: Promise<unknown> | undefined;
  try {
    const secureDir = path.resolve(o.data, 'secure');
    const secure = o.secure ? ` with TLS, SASL/SCRAM and ACLs (certificates and role files in ${secureDir})` : '';
    say(`starting Kafka on 127.0.0.1:${o.kafkaPort}${secure} (data in ${dataDir}; jars from Maven Central the first time)…`);
    const kafka = await startKafka({
      port: o.kafkaPort,
      controllerPort: o.kafkaPort + 1,
      dataDir,
      log: say,
      ...(o.secure && { secure: { dir: secureDir, prefix: PREFIX } }),
    }).catch((err: Error) => {
      throw new Error(`demo: Kafka did not start: ${err.message}`);
    });
    if (abort.signal.aborted) return;
    const roles = kafka.roleFiles;
    /** How a component of `role` reaches Kafka: its role's client properties when secure. */
    const connect = (role: Role, clientId: string) => (roles ? connectionFromOptions({ kafkaConfig: roles[role] }, clientId) : kafkaConnection(kafka.bootstrap, clientId));
    const kafkaArgs = (role: Role) => [...(roles ? ['--kafka-config', roles[role]] : ['--brokers', kafka.bootstrap]), '--prefix', PREFIX];
    await createTopics(createKafka(connect('admin', 'vsp-demo')), PREFIX, 1);

    say(`starting the ${o.impl} processor (the NanoDet model is converted once on first use)…`);
    const port = await freePort();
    const processor = start('processor', ['processor', '--impl', o.impl, '--port', String(port)]);
    if ((await step(processor.waitForStdout(/^127\.0\.0\.1:\d+$/, 300_000))) === undefined) return;
    // The group (and so its transactional ids) under the broker role's ACLs.
    start('broker', ['broker', ...kafkaArgs('broker'), '--processor', `127.0.0.1:${port}`, '--window', '8', '--group', 'vsp-broker-demo', '--max-age', '5']);
    const reports = [`jsonl:${path.join(o.out, 'tracks.jsonl')}`, `mot:${path.join(o.out, '{camera}.mot.txt')}`];
    const consumer = start('consumer', ['consumer', ...kafkaArgs('consumer'), ...reports.flatMap((r) => ['--report', r]), '--display', `web:${o.webPort}`, '--from', 'earliest']);
    const url = (await step(consumer.waitForStdout(/^http:\/\//)))?.trim();
    if (url === undefined) return;
    const producerArgs = ['producer', ...kafkaArgs('producer'), '--camera', o.camera, '--source', o.source, '--state-dir', path.resolve(o.data, 'producer')];
    if (o.realtime && o.source.startsWith('file:')) producerArgs.push('--realtime');
    if (o.loop && (o.source.startsWith('file:') || o.source.startsWith('images:'))) producerArgs.push('--loop');
    const producer = start('producer', producerArgs);
    say(`streaming ${o.source} as camera '${o.camera}'; reports go to ${o.out}/`);
    say(`watch it live: ${url}`);
    say('Ctrl-C stops everything.');

    const progress = new Progress(say);
    reading = readTracks({
      kafka: createKafka(connect('consumer', 'vsp-demo-progress')),
      topics: topicNames(PREFIX),
      from: 'earliest',
      onFrame: (f) => progress.add(f),
      log,
      signal: abort.signal,
    });
    const finished = producer.exited.then(async (code) => {
      if (code !== 0) return failed; // the producer's failure is what the demo reports
      // The file is fully published; wait until the last frame has been tracked.
      while (Date.now() - progress.lastAt < 3000) await new Promise((r) => setTimeout(r, 250));
    });
    await Promise.race([interrupted, finished, failed]);
    abort.abort();
    await reading;
    progress.summary();
  } finally {
    abort.abort();
    await reading?.catch(() => {});
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
