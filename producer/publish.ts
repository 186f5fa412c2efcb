// Moves frames from a source to the frames topic: seq numbering, Frame encoding, a bounded
// buffer between the camera and Kafka, and one in-flight send at a time so a camera's frames
// reach its partition in order (idempotent producer, acks=all).
import type { Kafka, Message } from 'kafkajs';
import { FrameCodec } from '../common/proto.js';
import { createProducer } from '../common/kafka/client.js';
import { nowTimestamp, nsToTimestamp } from '../common/time.js';
import type { Logger } from '../common/log.js';
import { FrameBuffer } from './frame-buffer.js';
import type { SeqStore } from './seq-store.js';
import type { FrameSource } from './sources/types.js';

export interface PublishOptions {
  cameraId: string;
  source: FrameSource;
  kafka: Kafka;
  topic: string;
  seqs: SeqStore;
  /** Stop after this many frames. */
  maxFrames?: number;
  bufferBytes: number;
  log: Logger;
  signal: AbortSignal;
  /** Called after each acknowledged send, e.g. for metrics and progress. */
  onSent?: (frames: number) => void;
}

export interface PublishResult {
  published: number;
  dropped: number;
  firstSeq: number;
  lastSeq: number;
}

interface Pending {
  bytes: number;
  message: Message;
}

const SEND_MAX_MESSAGES = 500;
const SEND_MAX_BYTES = 4 * 1024 * 1024;

export async function publishFrames(o: PublishOptions): Promise<PublishResult> {
  const producer = createProducer(o.kafka, { idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const buffer = new FrameBuffer<Pending>(o.bufferBytes, o.source.live);
  const result: PublishResult = { published: 0, dropped: 0, firstSeq: 0, lastSeq: 0 };
  const key = Buffer.from(o.cameraId);
  const attributes = { source: o.source.description };

  const read = (async () => {
    let count = 0;
    try {
      for await (const frame of o.source.frames(o.signal)) {
        if (o.maxFrames !== undefined && count >= o.maxFrames) break;
        const seq = o.seqs.next();
        if (result.firstSeq === 0) result.firstSeq = seq;
        result.lastSeq = seq;
        count += 1;
        const value = Buffer.from(
          FrameCodec.encode({
            cameraId: o.cameraId,
            seq,
            captureTime: nowTimestamp(),
            sourceTime: frame.sourceTimeNs === undefined ? null : nsToTimestamp(frame.sourceTimeNs),
            width: frame.width,
            height: frame.height,
            encoding: 'JPEG',
            image: frame.image,
            attributes,
          }),
        );
        const before = buffer.dropped;
        await buffer.push({ bytes: value.length, message: { key, value } });
        if (buffer.dropped > before) {
          o.log.warn({ dropped: buffer.dropped, bufferBytes: buffer.bytes }, 'Kafka is not keeping up: dropped the oldest buffered frames');
        }
      }
    } finally {
      buffer.close();
    }
  })();

  const send = (async () => {
    for (;;) {
      const batch = await buffer.takeUpTo(SEND_MAX_MESSAGES, SEND_MAX_BYTES);
      if (batch.length === 0) return;
      await producer.send({ topic: o.topic, acks: -1, messages: batch.map((p) => p.message) });
      result.published += batch.length;
      o.onSent?.(batch.length);
    }
  })();

  try {
    await Promise.all([read, send]);
  } finally {
    result.dropped = buffer.dropped;
    o.seqs.close();
    await producer.disconnect();
  }
  return result;
}
