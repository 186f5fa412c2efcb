// In-memory stand-ins for the broker parts' neighbours: a processor whose calls the test
// completes in any order, a sink that keeps what it is given, and frames as Kafka records.
import type { FrameResult__Output } from '../../common/gen/vsp/v1/FrameResult.js';
import type { Detection__Output } from '../../common/gen/vsp/v1/Detection.js';
import type { ConsumedRecord } from '../../common/kafka/types.js';
import { pino } from 'pino';
import { DeadLetterCodec, FrameCodec, TrackedFrameCodec } from '../../common/proto.js';
import type { TrackedFrame__Output } from '../../common/gen/vsp/v1/TrackedFrame.js';
import type { DeadLetter__Output } from '../../common/gen/vsp/v1/DeadLetter.js';
import type { FrameProcessor } from '../../broker/partition-pipeline.js';
import type { SinkRecord } from '../../broker/partition-sink.js';
import type { PoolOutcome } from '../../broker/processor-pool.js';

export const quietLog = pino({ level: 'silent' });

export const TOPICS = { frames: 't.frames', tracks: 't.tracks', deadLetter: 't.dead-letter' };

/** A Kafka record holding a vsp.v1.Frame. */
export function frameRecord(offset: number, cameraId: string, seq: number): ConsumedRecord {
  const value = Buffer.from(FrameCodec.encode({ cameraId, seq, width: 640, height: 480, encoding: 'JPEG', image: Buffer.from([0xff, 0xd8, 0xff, seq & 0xff]) }));
  return { offset: String(offset), key: Buffer.from(cameraId), value, timestamp: '0' };
}

/** A Kafka record of an edge frame: detections attached by the producer, no image. */
export function edgeFrameRecord(offset: number, cameraId: string, seq: number, detections: Detection__Output[]): ConsumedRecord {
  const value = Buffer.from(FrameCodec.encode({ cameraId, seq, width: 640, height: 480, encoding: 'JPEG', edge: { detections, detector: 'fake', processMs: 2 } }));
  return { offset: String(offset), key: Buffer.from(cameraId), value, timestamp: '0' };
}

/** A Kafka record of a frame whose image is in a frame store (a reference, no bytes). */
export function referencedFrameRecord(offset: number, cameraId: string, seq: number): ConsumedRecord {
  const value = Buffer.from(FrameCodec.encode({ cameraId, seq, width: 1920, height: 1080, encoding: 'JPEG', imageRef: { key: `vsp:frame:${cameraId}:run:${seq}`, length: 300_000, sha256: Buffer.alloc(32, 7) } }));
  return { offset: String(offset), key: Buffer.from(cameraId), value, timestamp: '0' };
}

export function rawRecord(offset: number, value: Buffer | null): ConsumedRecord {
  return { offset: String(offset), key: Buffer.from('raw'), value, timestamp: '0' };
}

interface Call {
  frames: { cameraId: string; seq: number }[];
  answer(outcome?: PoolOutcome): void;
}

/**
 * A processor whose calls wait until the test answers them. By default a frame's detections come
 * from `detect(camera, seq)`.
 */
export class ManualProcessor implements FrameProcessor {
  readonly calls: Call[] = [];

  constructor(private readonly detect: (cameraId: string, seq: number) => Detection__Output[] = () => []) {}

  process(encodedFrames: readonly Uint8Array[]): Promise<PoolOutcome> {
    const frames = encodedFrames.map((b) => FrameCodec.decode(b)).map((f) => ({ cameraId: f.cameraId, seq: f.seq }));
    return new Promise((resolve) => {
      this.calls.push({
        frames,
        answer: (outcome) => {
          const results: FrameResult__Output[] = frames.map((f) => ({ ...f, detections: this.detect(f.cameraId, f.seq), error: '', processMs: 1 }));
          resolve(outcome ?? { ok: true, results, processor: 'manual', ms: 1 });
        },
      });
    });
  }

  /** Answers every waiting call, in the order given by `pick` (indexes into the waiting calls). */
  answerAll(order: (n: number) => number = () => 0, outcome?: PoolOutcome): void {
    const waiting = this.calls.splice(0);
    while (waiting.length > 0) waiting.splice(order(waiting.length), 1)[0]!.answer(outcome);
  }
}

export class MemorySink {
  readonly records: SinkRecord[] = [];
  /** What the pipeline reads as the sink's backlog (set by tests of Kafka holding outputs up). */
  backlogged = false;

  push(record: SinkRecord): void {
    this.records.push(record);
  }

  get offsets(): string[] {
    return this.records.map((r) => r.offset);
  }

  tracked(): TrackedFrame__Output[] {
    return this.records.filter((r) => r.topic === TOPICS.tracks).map((r) => TrackedFrameCodec.decode(r.message.value as Buffer));
  }

  deadLetters(): DeadLetter__Output[] {
    return this.records.filter((r) => r.topic === TOPICS.deadLetter).map((r) => DeadLetterCodec.decode(r.message.value as Buffer));
  }
}

export const settle = () => new Promise((r) => setImmediate(r));
