// For tests of `vsp producer` against a real Kafka: a fresh frames topic to publish into, its
// frames read back, and the producer's JSON log lines.
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createKafka } from '../../common/kafka/client.js';
import { kafkaConnection } from '../../common/kafka/connection.js';
import { topicNames } from '../../common/kafka/topics.js';
import { FrameCodec } from '../../common/proto.js';
import type { Frame__Output } from '../../common/gen/vsp/v1/Frame.js';
import type { TestKafka } from './kafka.js';
import { endOffsets, readTopic } from './pipeline.js';
import type { VspProcess } from './processes.js';

export interface FrameRecord {
  partition: number;
  key: string;
  frame: Frame__Output;
}

export interface LogLine {
  msg: string;
  time: number;
  camera?: string;
  [key: string]: unknown;
}

/**
 * The topics of a fresh prefix, its frames topic, and the producer flags that publish into it
 * (seq state in a folder of its own under `stateRoot`).
 */
export async function freshFrames(kafka: TestKafka, partitions: number, stateRoot: string): Promise<{ topic: string; args: string[] }> {
  const prefix = await kafka.topics(partitions);
  return { topic: topicNames(prefix).frames, args: ['--brokers', kafka.bootstrap, '--prefix', prefix, '--state-dir', path.join(stateRoot, prefix)] };
}

/** Every record of the frames topic, in offset order per partition. */
export async function readFrames(bootstrap: string, topic: string): Promise<FrameRecord[]> {
  const total = [...(await endOffsets(bootstrap, topic)).values()].reduce((n, end) => n + Number(end), 0);
  if (total === 0) return [];
  const records = await readTopic(createKafka(kafkaConnection(bootstrap, 'vsp-test-reader')), topic, total);
  // Stable: offset order within each partition is kept.
  return records.map(({ partition, key, value }) => ({ partition, key, frame: FrameCodec.decode(value) })).sort((a, b) => a.partition - b.partition);
}

export function logLines(stderr: string): LogLine[] {
  return stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);
}

/** Waits until `found` finds something (not undefined or false) in the producer's log so far; returns it. */
export async function waitForLog<T>(proc: VspProcess, what: string, found: (lines: LogLine[]) => T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = found(logLines(proc.stderr()));
    if (result !== undefined && result !== false) return result;
    if (proc.child.exitCode !== null) throw new Error(`producer exited (${proc.child.exitCode}) before ${what}: ${proc.stderr().slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${proc.stderr().slice(-2000)}`);
    await sleep(100);
  }
}

/** from, from + 1, …, to: the seqs of contiguous frames. */
export const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
