// Reads the frames topic for the consumers that need pixels (web viewer, annotated report). It
// never commits: a fresh group each run, positioned by `from` like readTracks. Undecodable
// records are only counted: the broker already sends them to the dead-letter topic.
import { randomUUID } from 'node:crypto';
import type { KafkaClient } from '../common/kafka/types.js';
import { FrameCodec } from '../common/proto.js';
import type { Logger } from '../common/log.js';
import type { Topics } from '../common/kafka/topics.js';
import type { Frame__Output } from '../common/gen/vsp/v1/Frame.js';
import { untilStopped } from './until-stopped.js';
import { FrameStoreUnavailable, resolveFrameImages, type FrameStore } from '../common/frame-store.js';

export interface ReadFramesOptions {
  kafka: KafkaClient;
  topics: Topics;
  from: 'earliest' | 'latest' | number;
  camera?: string;
  /** Stop after this many seconds without a new record (counted from joining the group). */
  exitWhenIdleS?: number;
  /** Awaited before the next record: a slow image consumer holds the reader back. */
  onFrame: (frame: Frame__Output) => void | Promise<void>;
  /** Where the images of referenced frames are fetched from. */
  frameStore?: FrameStore;
  log: Logger;
  signal: AbortSignal;
}

export async function readFrames(o: ReadFramesOptions): Promise<{ frames: number; undecodable: number; withoutImage: number }> {
  const consumer = o.kafka.consumer({ groupId: `vsp-consumer-frames-${randomUUID()}`, maxWaitTimeInMs: 200 });
  // withoutImage: nothing to draw (expired in the frame store, store away, an edge frame sent without it).
  const counts = { frames: 0, undecodable: 0, withoutImage: 0 };
  let lastActivity = Date.now();
  await consumer.connect();
  try {
    consumer.onAssignment(() => (lastActivity = Date.now()));
    await consumer.subscribe({ topic: o.topics.frames, fromBeginning: o.from !== 'latest' });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        lastActivity = Date.now();
        if (typeof o.from === 'number' && Number(message.timestamp) < o.from) return;
        let frame: Frame__Output;
        try {
          frame = FrameCodec.decode(message.value ?? Buffer.alloc(0));
        } catch (err) {
          counts.undecodable += 1;
          o.log.debug({ partition, offset: message.offset, err: (err as Error).message }, 'undecodable frame skipped');
          return;
        }
        if (o.camera !== undefined && frame.cameraId !== o.camera) return;
        counts.frames += 1;
        let problem: string | undefined;
        try {
          [problem] = await resolveFrameImages(o.frameStore, [frame]);
        } catch (err) {
          if (!(err instanceof FrameStoreUnavailable)) throw err;
          problem = err.message;
        }
        if (!problem && frame.image.length === 0) problem = 'frame sent without its image';
        if (problem) {
          counts.withoutImage += 1;
          o.log.debug({ partition, offset: message.offset, camera: frame.cameraId, seq: frame.seq, problem }, 'frame without an image: not drawn');
          return;
        }
        await o.onFrame(frame);
      },
    });
    await untilStopped(o.signal, o.exitWhenIdleS, () => lastActivity);
  } finally {
    await consumer.disconnect();
  }
  return counts;
}
