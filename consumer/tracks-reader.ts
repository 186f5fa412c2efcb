// Reads the tracks topic. Without a group it reads everything retained, from the earliest record,
// and commits nothing (every run sees the whole topic); with a group it is a committed member
// that resumes where it left off. Undecodable records go to the dead-letter topic.
import { randomUUID } from 'node:crypto';
import type { KafkaClient } from '../common/kafka/types.js';
import { TrackedFrameCodec } from '../common/proto.js';
import { deadLetterRecord } from '../common/dead-letter.js';
import { nowMs, timestampToMs } from '../common/time.js';
import { boundedLabel, counter, gauge, histogram } from '../common/metrics.js';
import type { Logger } from '../common/log.js';
import type { Topics } from '../common/kafka/topics.js';
import type { TrackedFrame__Output } from '../common/gen/vsp/v1/TrackedFrame.js';
import { untilStopped } from './until-stopped.js';

const consumerMetrics = {
  frames: counter('vsp_consumer_frames_total', 'Tracked frames read (cameras past the first 100: camera="other")', ['camera']),
  deadLetters: counter('vsp_consumer_dead_letters_total', 'Undecodable records sent to the dead-letter topic'),
  endToEnd: histogram('vsp_consumer_e2e_latency_seconds', 'Capture time to the tracked frame read by this consumer'),
  trackedObjects: gauge('vsp_consumer_tracked_objects', 'Objects tracked in the latest frame of each camera, by class label (labels past the first 100: label="other")', ['camera', 'label']),
};

const cameraLabel = boundedLabel(100);
const classLabel = boundedLabel(100);
/** Per camera label: the class labels its last frame set, so that a class no longer seen drops to 0. */
const lastClasses = new Map<string, Set<string>>();

/** Sets vsp_consumer_tracked_objects for the camera of a tracked frame. */
function countTracks(camera: string, tracks: TrackedFrame__Output['tracks']): void {
  const counts = new Map<string, number>();
  for (const t of tracks) {
    const label = classLabel(t.label || (t.classId >= 0 ? `class-${t.classId}` : 'unknown'));
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  const before = lastClasses.get(camera) ?? new Set<string>();
  for (const label of before) if (!counts.has(label)) consumerMetrics.trackedObjects.set({ camera, label }, 0);
  for (const [label, n] of counts) consumerMetrics.trackedObjects.set({ camera, label }, n);
  lastClasses.set(camera, new Set([...before, ...counts.keys()]));
}

export interface ReadOptions {
  kafka: KafkaClient;
  topics: Topics;
  group?: string;
  from: 'earliest' | 'latest' | number;
  camera?: string;
  /** Stop after this many seconds without a new record (counted from joining the group). */
  exitWhenIdleS?: number;
  /** Called per frame; the next record waits until a returned promise settles (backpressure). */
  onFrame: (frame: TrackedFrame__Output) => void | Promise<void>;
  log: Logger;
  signal: AbortSignal;
}

export async function readTracks(o: ReadOptions): Promise<{ frames: number; deadLetters: number }> {
  const consumer = o.kafka.consumer({ groupId: o.group ?? `vsp-consumer-${randomUUID()}`, readUncommitted: false, maxWaitTimeInMs: 200 });
  const producer = o.kafka.producer();
  const counts = { frames: 0, deadLetters: 0 };
  let lastActivity = Date.now();
  await Promise.all([consumer.connect(), producer.connect()]);
  try {
    consumer.onAssignment(() => (lastActivity = Date.now()));
    await consumer.subscribe({ topic: o.topics.tracks, fromBeginning: o.from !== 'latest' });
    await consumer.run({
      autoCommit: o.group !== undefined,
      eachMessage: async ({ partition, message }) => {
        lastActivity = Date.now();
        if (typeof o.from === 'number' && Number(message.timestamp) < o.from) return;
        let frame: TrackedFrame__Output;
        try {
          frame = TrackedFrameCodec.decode(message.value ?? Buffer.alloc(0));
        } catch (err) {
          counts.deadLetters += 1;
          consumerMetrics.deadLetters.inc();
          const reason = `not a vsp.v1.TrackedFrame: ${(err as Error).message}`;
          o.log.warn({ partition, offset: message.offset, reason }, 'record sent to the dead-letter topic');
          const dead = deadLetterRecord({ topic: o.topics.tracks, partition, ...message }, reason, 'consumer');
          await producer.send({ topic: o.topics.deadLetter, messages: [dead] });
          return;
        }
        if (o.camera !== undefined && frame.cameraId !== o.camera) return;
        counts.frames += 1;
        const camera = cameraLabel(frame.cameraId);
        consumerMetrics.frames.inc({ camera });
        countTracks(camera, frame.tracks);
        const captured = timestampToMs(frame.captureTime);
        if (Number.isFinite(captured)) consumerMetrics.endToEnd.observe(Math.max(0, nowMs() - captured) / 1000);
        await o.onFrame(frame);
      },
    });
    await untilStopped(o.signal, o.exitWhenIdleS, () => lastActivity);
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
  }
  return counts;
}
