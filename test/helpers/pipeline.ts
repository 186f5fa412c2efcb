// Building blocks for pipeline tests: processors and brokers as real `vsp` processes, and
// waiting on Kafka for a consumer group to finish its input.
import { freePort } from '../../common/kafka/local.js';
import { topicNames } from '../../common/kafka/topics.js';
import { isKafkaUnavailable } from '../../common/kafka/errors.js';
import { vsp, type VspProcess } from './processes.js';
import { createKafka } from '../../common/kafka/client.js';
import { kafkaConnection } from '../../common/kafka/connection.js';
import type { KafkaClient } from '../../common/kafka/types.js';

/** Starts `vsp processor` with the given args on a free (or given) port; returns it and its address. */
export async function startProcessor(args: string[], port?: number): Promise<{ proc: VspProcess; address: string; port: number }> {
  const p = port ?? (await freePort());
  const proc = vsp(['processor', '--port', String(p), ...args]);
  await proc.waitForStdout(/^127\.0\.0\.1:\d+$/);
  return { proc, address: `127.0.0.1:${p}`, port: p };
}

/** Total records in a topic (sum of partition end offsets; includes transaction markers). */
export async function endOffsets(bootstrap: string, topic: string): Promise<Map<number, bigint>> {
  const admin = createKafka(kafkaConnection(bootstrap, 'vsp-test')).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
  } finally {
    await admin.disconnect();
  }
}

/** Offsets the group has committed on the topic (-1 when none). */
export async function committedOffsets(bootstrap: string, group: string, topic: string): Promise<Map<number, bigint>> {
  const admin = createKafka(kafkaConnection(bootstrap, 'vsp-test')).admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return new Map((t?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
  } finally {
    await admin.disconnect();
  }
}

/**
 * Waits until the group has committed every partition of the frames topic up to its end
 * (exactly-once commits land just past the transaction marker, so "at least the last data
 * offset + 1" counts as done).
 */
export async function waitForGroupDone(bootstrap: string, prefix: string, group: string, timeoutMs = 120_000): Promise<void> {
  const frames = topicNames(prefix).frames;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // A Kafka node failing over (the failover tests) can fail a single check: ask again.
    const offsets = await Promise.all([endOffsets(bootstrap, frames), committedOffsets(bootstrap, group, frames)]).catch((err: Error) => {
      if (!isKafkaUnavailable(err) || Date.now() > deadline) throw err;
      return undefined;
    });
    if (!offsets) {
      await new Promise((r) => setTimeout(r, 300));
      continue;
    }
    const [ends, committed] = offsets;
    const done = [...ends].every(([p, end]) => end === 0n || (committed.get(p) ?? -1n) >= end);
    if (done) return;
    if (Date.now() > deadline) {
      throw new Error(`group ${group} did not finish: ends ${[...ends].join(' ')}, committed ${[...committed].join(' ')}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Number of records (data + markers) in the tracks topic. */
export async function tracksProduced(bootstrap: string, prefix: string): Promise<bigint> {
  const ends = await endOffsets(bootstrap, topicNames(prefix).tracks);
  return [...ends.values()].reduce((a, b) => a + b, 0n);
}

/** Starts `vsp broker` and waits until it has joined its group. */
export async function startBroker(args: string[]): Promise<VspProcess> {
  // At least info: the tests wait for its info lines (VSP_LOG_LEVEL=debug in the environment goes deeper).
  const proc = vsp(['broker', ...args], { VSP_LOG_LEVEL: process.env.VSP_LOG_LEVEL === 'debug' ? 'debug' : 'info' });
  await waitForStderr(proc, /"msg":"broker running"/);
  return proc;
}

export async function waitForStderr(proc: VspProcess, re: RegExp, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!re.test(proc.stderr())) {
    if (proc.child.exitCode !== null) throw new Error(`process exited before ${re}: ${proc.stderr().slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${re}: ${proc.stderr().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every record of a topic (committed ones), once `count` have arrived. */
export async function readTopic(client: KafkaClient, topic: string, count: number, timeoutMs = 180_000): Promise<{ partition: number; key: string; value: Buffer }[]> {
  const consumer = client.consumer({ groupId: `read-${topic}-${Date.now()}`, maxWaitTimeInMs: 100 });
  const out: { partition: number; key: string; value: Buffer }[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${topic}: ${out.length} of ${count} records after ${timeoutMs} ms`)), timeoutMs);
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          out.push({ partition, key: message.key?.toString() ?? '', value: message.value ?? Buffer.alloc(0) });
          if (out.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}
