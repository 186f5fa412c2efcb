// Moves frames from a source to the frames topic: optional downscaling, seq numbering, Frame
// encoding, a bounded buffer between the camera and Kafka, and one in-flight send at a time per
// camera so a camera's frames reach its partition in order (idempotent producer, acks=all). A
// Kafka outage is waited out with the frames buffered (live sources drop the oldest beyond the
// buffer). publishCamera runs one camera on a producer it may share with other cameras
// (producer/cameras.ts); publishFrames is one camera on its own producer.
import { setTimeout as sleep } from 'node:timers/promises';
import type { KafkaClient, KafkaProducer, KafkaRecord } from '../common/kafka/types.js';
import { FrameCodec } from '../common/proto.js';
import { nowTimestamp, nsToTimestamp } from '../common/time.js';
import type { Logger } from '../common/log.js';
import { FrameBuffer } from './frame-buffer.js';
import { isKafkaUnavailable } from '../common/kafka/errors.js';
import { downscale, type SizeLimit } from './resize.js';
import type { SeqStore } from './seq-store.js';
import { backoffDelayMs, type BackoffOptions } from './sources/backoff.js';
import type { FrameSource } from './sources/types.js';
import { counter, gauge } from '../common/metrics.js';
import { UsageError } from '../common/errors.js';
import { frameRefFor, frameStoreKey, FrameStoreUnavailable, type FrameStore } from '../common/frame-store.js';
import type { FrameRef } from '../common/gen/vsp/v1/FrameRef.js';
import type { EdgeDetections } from '../common/gen/vsp/v1/EdgeDetections.js';
import { detectAtEdge, sendsImage, type EdgeDetector, type SendImage } from './edge.js';

// Labelled by camera: one process may run many cameras (vsp producer --config); their ids come
// from the config or the command line, not from outside, so the label set is bounded.
const producerMetrics = {
  captured: counter('vsp_producer_frames_captured_total', 'Frames taken from the source', ['camera']),
  published: counter('vsp_producer_frames_published_total', 'Frames acknowledged by Kafka', ['camera']),
  dropped: counter('vsp_producer_frames_dropped_total', 'Frames dropped from a full buffer (live sources)', ['camera']),
  buffered: gauge('vsp_producer_buffer_bytes', 'Bytes of frames waiting for Kafka', ['camera']),
  stored: counter('vsp_producer_frames_stored_total', 'Frames whose image went to the frame store (a reference in Kafka)', ['camera']),
  edgeFailed: counter('vsp_producer_edge_detect_failures_total', 'Frames the in-process detector failed on (sent with their image, without detections)', ['camera']),
};

/** One camera's series, each exported (at 0) from the start. */
function cameraMetrics(camera: string) {
  const m = {
    captured: producerMetrics.captured.labels(camera),
    published: producerMetrics.published.labels(camera),
    dropped: producerMetrics.dropped.labels(camera),
    buffered: producerMetrics.buffered.labels(camera),
    stored: producerMetrics.stored.labels(camera),
    edgeFailed: producerMetrics.edgeFailed.labels(camera),
  };
  for (const c of [m.captured, m.published, m.dropped, m.stored, m.edgeFailed]) c.inc(0);
  m.buffered.set(0);
  return m;
}

/** Largest Kafka record the frames topic takes (its max.message.bytes, common/kafka/topics.ts), less room for the batch header. */
export const DEFAULT_MAX_RECORD_BYTES = 16 * 1024 * 1024 - 1024;

export interface CameraPublishOptions {
  cameraId: string;
  source: FrameSource;
  /** Connected, idempotent; may be shared with other cameras (it is neither connected nor disconnected here). */
  producer: KafkaProducer;
  /** The lock of the cameras sharing `producer` (see SendLock); none for a producer of one camera's own. */
  sendLock?: SendLock;
  topic: string;
  /** The camera's seq state, numbering the frames the source does not number itself. */
  seqs: SeqStore;
  /** Stop after this many frames. */
  maxFrames?: number;
  bufferBytes: number;
  /** Downscale frames beyond this size; frames within it pass through untouched. */
  sizeLimit?: SizeLimit;
  /** Interval of the progress log; 0: none. */
  statsIntervalMs: number;
  /** Claim check: images above `inlineMaxBytes` are kept here for `ttlS` and referenced from Kafka. */
  frameStore?: { store: FrameStore; ttlS: number; runId: string; inlineMaxBytes: number };
  /** A record above this (an inline frame Kafka would refuse) stops the producer with one line. */
  maxRecordBytes?: number;
  /** Edge mode: detect in-process and attach the detections; send the image as `sendImage` says. */
  edge?: { detector: EdgeDetector; sendImage: SendImage };
  log: Logger;
  /** Stop: the source is no longer read, what was captured is sent. */
  signal: AbortSignal;
}

export interface PublishOptions extends Omit<CameraPublishOptions, 'producer'> {
  kafka: KafkaClient;
}

export interface PublishResult {
  /** Frames taken from the source (each got a seq). */
  captured: number;
  published: number;
  /** Frames dropped from a full buffer: the gaps in the published seqs. */
  dropped: number;
  firstSeq: number;
  lastSeq: number;
}

interface Pending {
  bytes: number;
  message: KafkaRecord;
  /** The image for the frame store, written before the record is sent. */
  stored?: { key: string; image: Uint8Array };
}

const SEND_MAX_MESSAGES = 500;
const SEND_MAX_BYTES = 4 * 1024 * 1024;
// Unpaced files and image folders have no latency to keep: fuller batches about halve the CPU
// kafkajs spends per frame. Paced sources (cameras, --realtime) send each frame at once.
const FILE_LINGER_MS = 10;
// Resending while Kafka is away; each attempt itself takes kafkajs a few seconds to give up.
const RESEND_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 2000 };
// Once stopping, how long a Kafka outage is waited out before the buffered frames are given up.
const STOP_GRACE_MS = 10_000;

// Connecting after the topic check found Kafka: a failure now is one node of a cluster being
// away (dead, not yet fenced by the controller), which a new leader soon replaces.
const CONNECT_PATIENCE_MS = 60_000;

/** Connects, waiting out a Kafka node that is away (the cluster itself answered the topic check). */
export async function connectProducer(producer: KafkaProducer, log: Logger): Promise<void> {
  const since = performance.now();
  for (let attempt = 1; ; attempt++) {
    try {
      await producer.connect();
      return;
    } catch (err) {
      if (!isKafkaUnavailable(err) || performance.now() - since > CONNECT_PATIENCE_MS) throw err;
      if (attempt === 1) log.warn({ err: (err as Error).message }, 'Kafka producer cannot connect yet: retrying');
      await sleep(backoffDelayMs(attempt, RESEND_BACKOFF));
    }
  }
}

/** One camera on a producer of its own (checks the topic, connects, disconnects at the end). */
export async function publishFrames(o: PublishOptions): Promise<PublishResult> {
  await checkTopics(o.kafka, [o.topic]);
  const producer = o.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await connectProducer(producer, o.log);
  try {
    return await publishCamera({ ...o, producer });
  } finally {
    await producer.disconnect();
  }
}

/**
 * One camera's frames onto a connected producer, until the source ends, `maxFrames` are taken or
 * the signal aborts; then everything captured is sent and the seq state closed. Throws on the
 * first error of the source or of Kafka (after the frames already captured were sent, for a
 * source error); it never leaves a send running behind it.
 */
export async function publishCamera(o: CameraPublishOptions): Promise<PublishResult> {
  const { producer } = o;
  const metrics = cameraMetrics(o.cameraId);
  const buffer = new FrameBuffer<Pending>(o.bufferBytes, o.source.live);
  const result: PublishResult = { captured: 0, published: 0, dropped: 0, firstSeq: 0, lastSeq: 0 };
  const key = Buffer.from(o.cameraId);
  const attributes = { source: o.source.description };
  let stoppingAt: number | undefined;
  // The source is read until the caller stops it, or until sending failed for good.
  const reading = new AbortController();
  const onAbort = () => {
    stoppingAt = performance.now();
    reading.abort();
  };
  if (o.signal.aborted) onAbort();
  else o.signal.addEventListener('abort', onAbort, { once: true });

  // Drops come in episodes (Kafka away or slow): one line when an episode starts, one with its
  // count when a progress interval passes without new drops (or at the end).
  let episodeFrom: number | undefined;
  const endDropEpisode = () => {
    if (episodeFrom === undefined) return;
    o.log.warn({ dropped: buffer.dropped - episodeFrom, droppedTotal: buffer.dropped }, 'dropped the oldest buffered frames while Kafka was away or slow');
    episodeFrom = undefined;
  };

  let last = { at: performance.now(), published: 0, dropped: 0 };
  const progress = o.statsIntervalMs > 0 ? setInterval(() => {
    const now = performance.now();
    const fps = ((result.published - last.published) * 1000) / (now - last.at);
    o.log.info(
      { captured: result.captured, published: result.published, dropped: buffer.dropped, bufferedFrames: buffer.length, bufferBytes: buffer.bytes, fps: Math.round(fps * 10) / 10 },
      'producer progress',
    );
    if (buffer.dropped === last.dropped) endDropEpisode();
    last = { at: now, published: result.published, dropped: buffer.dropped };
  }, o.statsIntervalMs) : undefined;
  progress?.unref();

  const read = (async () => {
    try {
      for await (const sourced of o.source.frames(reading.signal)) {
        const captureTime = nowTimestamp();
        const frame = o.sizeLimit ? await downscale(sourced, o.sizeLimit) : sourced;
        // A source that numbers its frames (mot:) keeps its numbers; the others count on.
        const seq = sourced.seq ?? o.seqs.next();
        if (result.firstSeq === 0) result.firstSeq = seq;
        result.lastSeq = seq;
        const index = result.captured;
        result.captured += 1;
        let image = frame.image;
        let edge: EdgeDetections | undefined;
        if (o.edge) {
          const found = await detectAtEdge(o.edge.detector, { cameraId: o.cameraId, seq, captureTime: null, sourceTime: null, width: frame.width, height: frame.height, encoding: 'JPEG', image, attributes: {} });
          if ('error' in found) {
            metrics.edgeFailed.inc();
            o.log.warn({ seq, error: found.error }, 'detector failed on this frame: sending it with its image, without detections');
          } else {
            edge = found;
            if (!sendsImage(o.edge.sendImage, index)) image = Buffer.alloc(0);
          }
        }
        let imageRef: FrameRef | undefined;
        let stored: Pending['stored'];
        if (o.frameStore && image.length > o.frameStore.inlineMaxBytes) {
          stored = { key: frameStoreKey(o.cameraId, o.frameStore.runId, seq), image };
          imageRef = frameRefFor(stored.key, image);
          image = Buffer.alloc(0);
        }
        const encoded = FrameCodec.encode({
          cameraId: o.cameraId,
          seq,
          captureTime,
          sourceTime: frame.sourceTimeNs === undefined ? null : nsToTimestamp(frame.sourceTimeNs),
          width: frame.width,
          height: frame.height,
          encoding: 'JPEG',
          image,
          attributes,
          ...(imageRef && { imageRef }),
          ...(edge && { edge }),
        });
        // A view of protobufjs's output, not a copy: the image is copied enough on its way to Kafka.
        const value = Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
        const maxRecordBytes = o.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
        if (value.length > maxRecordBytes) {
          throw new UsageError(
            `frame ${seq} of camera ${o.cameraId} is ${value.length} bytes, above Kafka's record limit of ${maxRecordBytes}: ${o.frameStore ? 'lower --inline-max-bytes' : 'configure a frame store (--frame-store redis://HOST:PORT)'} or downscale (--width)`,
          );
        }
        const before = buffer.dropped;
        await buffer.push({ bytes: value.length + (stored?.image.length ?? 0), message: { key, value }, stored });
        metrics.captured.inc();
        metrics.buffered.set(buffer.bytes);
        if (buffer.dropped > before) metrics.dropped.inc(buffer.dropped - before);
        if (buffer.dropped > before && episodeFrom === undefined) {
          episodeFrom = before;
          o.log.warn({ bufferBytes: buffer.bytes, bufferLimit: o.bufferBytes }, 'buffer full: dropping the oldest frames until Kafka catches up');
        }
        if (o.maxFrames !== undefined && result.captured >= o.maxFrames) break;
      }
    } finally {
      buffer.close();
    }
  })();

  /**
   * Runs one step of sending a batch (to Kafka or the frame store), waiting out an outage of
   * `what` (bounded by STOP_GRACE_MS once stopping).
   */
  const untilDone = async (what: string, step: () => Promise<void>, unavailable: (err: unknown) => boolean, frames: number): Promise<void> => {
    let outage: { since: number; attempts: number } | undefined;
    for (;;) {
      try {
        await step();
        if (outage) o.log.info({ outageMs: Math.round(performance.now() - outage.since), attempts: outage.attempts }, `${what} is back: sending again`);
        return;
      } catch (err) {
        if (!unavailable(err)) throw err;
        if (!outage) {
          outage = { since: performance.now(), attempts: 0 };
          o.log.warn({ err: (err as Error).message, bufferLimit: o.bufferBytes }, `${what} unavailable: buffering frames until it is back`);
        }
        outage.attempts += 1;
        if (stoppingAt !== undefined && performance.now() - stoppingAt > STOP_GRACE_MS) {
          throw new Error(`${what} still unavailable ${STOP_GRACE_MS / 1000} s after the stop signal: ${frames + buffer.length} buffered frames not delivered`);
        }
        await sleep(backoffDelayMs(outage.attempts, RESEND_BACKOFF));
      }
    }
  };
  /** Sends a batch: images to the frame store first (one pipeline), then the records to Kafka. */
  const deliver = async (batch: Pending[]): Promise<void> => {
    const stored = batch.flatMap((p) => (p.stored ? [p.stored] : []));
    if (stored.length > 0 && o.frameStore) {
      const { store, ttlS } = o.frameStore;
      await untilDone('frame store', () => store.put(stored, ttlS), (err) => err instanceof FrameStoreUnavailable, batch.length);
      metrics.stored.inc(stored.length);
    }
    const messages = batch.map((p) => p.message);
    const sendAll = () => untilDone('Kafka', () => producer.send({ topic: o.topic, acks: -1, messages }).then(() => undefined), isKafkaUnavailable, batch.length);
    await (o.sendLock ? o.sendLock.run(sendAll) : sendAll());
  };

  const send = (async () => {
    try {
      for (;;) {
        const batch = await buffer.takeUpTo(SEND_MAX_MESSAGES, SEND_MAX_BYTES, o.source.paced ? 0 : FILE_LINGER_MS);
        if (batch.length === 0) return;
        await deliver(batch);
        result.published += batch.length;
        metrics.published.inc(batch.length);
        metrics.buffered.set(buffer.bytes);
      }
    } catch (err) {
      // Nothing more can be sent: stop the source, and empty the buffer so that a push waiting
      // for room (file sources) returns and the read loop sees the stop.
      reading.abort();
      while ((await buffer.takeUpTo(SEND_MAX_MESSAGES, Infinity)).length > 0);
      throw err;
    }
  })();

  try {
    // Both settle before this returns: a source error still lets the frames it gave be sent.
    const [readOutcome, sendOutcome] = await Promise.allSettled([read, send]);
    if (sendOutcome.status === 'rejected') throw sendOutcome.reason;
    if (readOutcome.status === 'rejected') throw readOutcome.reason;
  } finally {
    clearInterval(progress);
    o.signal.removeEventListener('abort', onAbort);
    endDropEpisode();
    result.dropped = buffer.dropped;
    metrics.buffered.set(buffer.bytes);
    o.seqs.close();
  }
  return result;
}

/**
 * Serialises the Kafka sends of cameras that share one producer, each send with all its resends.
 * kafkajs numbers an idempotent producer's batches per partition when it sends them and takes the
 * numbers back when a request fails; a request that failed for the client yet was written by
 * Kafka (a timeout) is recognised as a duplicate only if it is resent before any other batch to
 * that partition. Cameras share partitions (their keys hash onto them), so another camera's batch
 * must not slip in between one camera's failed send and its resend: it would take that camera's
 * numbers and be discarded as the duplicate. The cost is little: kafkajs already sends one
 * request at a time per Kafka broker, and the frames a camera captures while it waits go out
 * together in its next batch. librdkafka numbers batches itself and needs no lock.
 */
export class SendLock {
  private tail: Promise<void> = Promise.resolve();

  async run<T>(step: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      return await step();
    } finally {
      release();
    }
  }
}

/** Fails fast on a missing topic, which the producer (no auto-creation) would otherwise retry forever. */
export async function checkTopics(kafka: KafkaClient, topics: Iterable<string>): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    for (const topic of topics) {
      if (!existing.has(topic)) throw new Error(`topic ${topic} does not exist (create the topics with 'vsp topics create')`);
    }
  } finally {
    await admin.disconnect();
  }
}
