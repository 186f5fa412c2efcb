// The one way to build a dead-letter record: the original record's coordinates, key and bytes,
// and why it could not be used.
import { DeadLetterCodec } from './proto.js';
import { nowTimestamp } from './time.js';
import type { KafkaRecord } from './kafka/types.js';

export interface DeadLetterSource {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
}

export function deadLetterRecord(source: DeadLetterSource, reason: string, component: string): KafkaRecord {
  const value = DeadLetterCodec.encode({
    topic: source.topic,
    partition: source.partition,
    offset: Number(source.offset),
    key: source.key ?? Buffer.alloc(0),
    value: source.value ?? Buffer.alloc(0),
    reason,
    component,
    time: nowTimestamp(),
  });
  return { key: source.key, value: Buffer.from(value) };
}
