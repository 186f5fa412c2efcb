// Kafka alone, measured with Apache Kafka's own perf tools (run with `java -cp`), on frames of a
// given size and count: the ceiling the pipeline bench compares itself with.
//   produce: ProducerPerformance alone, as fast as it goes;
//   consume: ConsumerPerformance alone, reading what was produced;
//   produce+consume: both at once on a fresh topic (the pipeline's shape: every frame is written
//     and read while both sides share the cores); frames/s over the middle 80 % of what the
//     consumer read, as the pipeline bench measures its own output.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createKafka } from '../common/kafka/client.js';
import { kafkaConnection } from '../common/kafka/connection.js';
import { createTopics } from '../common/kafka/topics.js';
import { ensureKafkaToolsJars } from '../common/kafka/jars.js';

const MIB = 1024 * 1024;
/** The producer settings: acks=all like vsp's producers, and batches of many frames like theirs. */
export const PRODUCER_PROPS = ['acks=all', 'batch.size=1048576', 'linger.ms=5', 'max.request.size=16777216'];

export interface Rate {
  framesPerS: number;
  mibPerS: number;
}

export interface ProducerSummary extends Rate {
  avgLatencyMs: number;
  p99LatencyMs: number;
}

export interface KafkaLimit {
  recordBytes: number;
  records: number;
  partitions: number;
  producerProps: string[];
  produce: ProducerSummary;
  consume: Rate;
  produceConsume: Rate & { producerFramesPerS: number };
}

const LOG4J = `log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
`;

/** Runs the three measurements on the Kafka at bootstrap, on topics of its own under `prefix`. */
export async function measureKafkaLimit(o: { bootstrap: string; workDir: string; recordBytes: number; records: number; partitions: number; prefix: string; log?: (line: string) => void }): Promise<KafkaLimit> {
  const libs = await ensureKafkaToolsJars(undefined, o.log);
  const log4j = path.join(o.workDir, 'kafka-tools-log4j.properties');
  writeFileSync(log4j, LOG4J);
  const java = (main: string, args: string[]) => startJava(['-Xmx512m', `-Dlog4j.configuration=file:${log4j}`, '-cp', `${libs}/*`, `org.apache.kafka.tools.${main}`, ...args]);
  const kafka = createKafka(kafkaConnection(o.bootstrap, 'bench-kafka-limit'));
  const alone = `${o.prefix}-alone`;
  const both = `${o.prefix}-both`;
  await createTopics(kafka, alone, o.partitions);
  await createTopics(kafka, both, o.partitions);
  const produceArgs = (topic: string) => ['--topic', topic, '--num-records', String(o.records), '--record-size', String(o.recordBytes),
    '--throughput', '-1', '--producer-props', `bootstrap.servers=${o.bootstrap}`, ...PRODUCER_PROPS];
  const consumeArgs = (topic: string, group: string) => ['--topic', topic, '--messages', String(o.records), '--bootstrap-server', o.bootstrap,
    '--group', group, '--timeout', '60000'];

  o.log?.('kafka-limit: produce');
  const produce = parseProducerSummary(await java('ProducerPerformance', produceArgs(`${alone}.frames`)).output);
  o.log?.('kafka-limit: consume');
  const consume = parseConsumerSummary(await java('ConsumerPerformance', consumeArgs(`${alone}.frames`, `${alone}-consumer`)).output);

  o.log?.('kafka-limit: produce+consume');
  const group = `${both}-consumer`;
  const consumer = java('ConsumerPerformance', [...consumeArgs(`${both}.frames`, group), '--show-detailed-stats', '--reporting-interval', '100']);
  // The consumer must be in its group, polling, before the first frame is sent; else it would
  // read a backlog and overstate the rate.
  try {
    await waitForStableGroup(kafka, group, consumer.output);
  } catch (err) {
    consumer.kill();
    throw err;
  }
  const producer = java('ProducerPerformance', produceArgs(`${both}.frames`));
  const [consumerOut, producerOut] = await Promise.all([consumer.output, producer.output]);
  const sustained = sustainedRate(parseConsumerProgress(consumerOut), o.records);
  return {
    recordBytes: o.recordBytes,
    records: o.records,
    partitions: o.partitions,
    producerProps: PRODUCER_PROPS,
    produce,
    consume,
    produceConsume: { framesPerS: sustained, mibPerS: (sustained * o.recordBytes) / MIB, producerFramesPerS: parseProducerSummary(producerOut).framesPerS },
  };
}

async function waitForStableGroup(kafka: ReturnType<typeof createKafka>, group: string, running: Promise<unknown>): Promise<void> {
  let exited = false;
  void running.then(() => (exited = true), () => (exited = true));
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const groups = await admin.describeGroups([group]);
      if (groups[0]?.state === 'Stable' && groups[0].members.length > 0) return;
      if (exited) throw new Error(`ConsumerPerformance exited before joining group ${group}`);
      if (Date.now() > deadline) throw new Error(`ConsumerPerformance did not join group ${group} within 60 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await admin.disconnect();
  }
}

/** The last line of ProducerPerformance: "N records sent, R records/sec (M MB/sec), A ms avg latency, …, P ms 99th, …". */
export function parseProducerSummary(out: string): ProducerSummary {
  const m = /\d+ records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, [\d.]+ ms max latency, \d+ ms 50th, \d+ ms 95th, (\d+) ms 99th/.exec(out);
  if (!m) throw new Error(`no summary in ProducerPerformance output: ${out.trim().split('\n').slice(-3).join(' | ')}`);
  return { framesPerS: Number(m[1]), mibPerS: Number(m[2]), avgLatencyMs: Number(m[3]), p99LatencyMs: Number(m[4]) };
}

/** The summary row of ConsumerPerformance; the fetch.* rates, which leave out the group join. */
export function parseConsumerSummary(out: string): Rate {
  const lines = out.trim().split('\n');
  const header = lines.findIndex((l) => l.startsWith('start.time,'));
  const cols = lines[header]?.split(',').map((c) => c.trim());
  const values = lines[header + 1]?.split(',').map((c) => c.trim());
  if (!cols || !values) throw new Error(`no summary in ConsumerPerformance output: ${lines.slice(-3).join(' | ')}`);
  const get = (name: string) => Number(values[cols.indexOf(name)]);
  return { framesPerS: get('fetch.nMsg.sec'), mibPerS: get('fetch.MB.sec') };
}

/** The --show-detailed-stats rows of ConsumerPerformance: (time in ms, messages so far). */
export function parseConsumerProgress(out: string): Array<{ ms: number; messages: number }> {
  const rows: Array<{ ms: number; messages: number }> = [];
  for (const line of out.split('\n')) {
    // time (yyyy-MM-dd HH:mm:ss:SSS), threadId, MB so far, MB.sec, messages so far, …
    const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d):(\d{3}), \d+, [\d.]+, [\d.]+, (\d+),/.exec(line);
    if (!m) continue;
    const [y, mo, d, h, mi, s, ms] = m.slice(1, 8).map(Number) as [number, number, number, number, number, number, number];
    rows.push({ ms: Date.UTC(y, mo - 1, d, h, mi, s, ms), messages: Number(m[8]) });
  }
  return rows;
}

/**
 * Messages/s between the times 10 % and 90 % of `total` had been read (linear between rows). The
 * tool prints no row at its very end, so the last row stands in for 90 % when it came earlier.
 */
export function sustainedRate(rows: Array<{ ms: number; messages: number }>, total: number): number {
  const last = rows.at(-1) ?? { ms: 0, messages: 0 };
  if (last.messages < 0.5 * total) throw new Error(`the consumer's progress stops at ${last.messages} of ${total} messages`);
  const at = (count: number): number => {
    const i = rows.findIndex((r) => r.messages >= count);
    const b = rows[i]!;
    const a = rows[i - 1] ?? { ms: b.ms, messages: 0 };
    return b.messages === a.messages ? b.ms : a.ms + ((count - a.messages) / (b.messages - a.messages)) * (b.ms - a.ms);
  };
  const lo = 0.1 * total;
  const hi = Math.min(0.9 * total, last.messages);
  return (hi - lo) / ((at(hi) - at(lo)) / 1000);
}

interface JavaRun {
  /** stdout once the program exited 0; rejects with the tail of stderr otherwise. */
  output: Promise<string>;
  kill(): void;
}

function startJava(args: string[]): JavaRun {
  const child = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const main = args.find((a) => a.startsWith('org.apache.kafka.tools.'));
  const output = new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => reject(new Error(`cannot run java: ${e.message}`)));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${main} exited ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`))));
  });
  return { output, kill: () => child.kill('SIGKILL') };
}
