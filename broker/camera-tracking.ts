// The tracking of one partition's cameras: a tracker per camera, fed each processed frame in
// order, and the TrackedFrame that goes out. Pure: no Kafka, no gRPC.
import type { Frame__Output } from '../common/gen/vsp/v1/Frame.js';
import type { FrameResult__Output } from '../common/gen/vsp/v1/FrameResult.js';
import type { Status } from '../common/gen/vsp/v1/Status.js';
import type { TrackedFrame } from '../common/gen/vsp/v1/TrackedFrame.js';
import { nowMs } from '../common/time.js';
import type { PoolOutcome } from './processor-pool.js';
import type { CameraState } from './snapshot-codec.js';
import { createTracker, restoreTracker, snapshotTracker, type TrackerSpec } from './tracker/registry.js';
import type { Tracker } from './tracker/tracker.js';

/** A frame back from the processors (or given up on), with when it went through each stage. */
export interface ProcessedFrame {
  frame: Frame__Output;
  offset: string;
  outcome: PoolOutcome;
  /** This frame's result within the outcome (absent when the call failed). */
  result?: FrameResult__Output;
  admittedAt: number;
  dispatchedAt: number;
  completedAt: number;
}

export type TrackingResult = { kind: 'tracked'; tracked: TrackedFrame } | { kind: 'rejected'; reason: string };

interface CameraTracker {
  tracker: Tracker;
  lastSeq: number;
  /** When it last got a frame (ms, the options' clock). */
  seenAt: number;
}

export interface TrackingLimits {
  /** A seq jump above this restarts the camera's tracker instead of predicting through the gap. */
  maxSeqGap: number;
  /** A result with more detections marks the frame FRAME_REJECTED. */
  maxDetections: number;
  /** Cameras tracked at once; the least recently seen is dropped beyond it. */
  maxCameras: number;
  /** A camera without a frame for this long is dropped. */
  idleTtlMs: number;
}

export const DEFAULT_TRACKING_LIMITS: Readonly<TrackingLimits> = { maxSeqGap: 1000, maxDetections: 1000, maxCameras: 10_000, idleTtlMs: 600_000 };

/** Something that happened to a camera's tracker, for logs and metrics. */
export type TrackingEvent =
  | { kind: 'reset'; camera: string; gap: number }
  | { kind: 'evicted'; camera: string; reason: 'idle' | 'capacity' };

export interface TrackingOptions {
  spec: TrackerSpec;
  source: { topic: string; partition: number };
  limits?: TrackingLimits;
  onEvent?: (event: TrackingEvent) => void;
  /** Clock for idle eviction (ms); Date.now by default. */
  now?: () => number;
}

export class CameraTracking {
  /** In least recently seen order: a camera is moved to the end on each frame. */
  private readonly cameras = new Map<string, CameraTracker>();
  private readonly spec: TrackerSpec;
  private readonly source: { topic: string; partition: number };
  private readonly limits: TrackingLimits;
  private readonly now: () => number;

  constructor(private readonly o: TrackingOptions) {
    this.spec = o.spec;
    this.source = o.source;
    this.limits = o.limits ?? DEFAULT_TRACKING_LIMITS;
    this.now = o.now ?? Date.now;
  }

  get size(): number {
    return this.cameras.size;
  }

  /** Tracks a frame, or says why it cannot be (a seq not after the camera's last one). */
  track(p: ProcessedFrame): TrackingResult {
    const { frame, outcome, result } = p;
    const now = this.now();
    this.evictIdle(now);
    let cam = this.cameras.get(frame.cameraId);
    if (cam && frame.seq <= cam.lastSeq) {
      return { kind: 'rejected', reason: `seq ${frame.seq} of camera ${frame.cameraId} is not after the last tracked seq ${cam.lastSeq} (duplicate or out-of-order frame)` };
    }
    let step = cam ? frame.seq - cam.lastSeq : 1;
    if (cam && step > this.limits.maxSeqGap) {
      // Predicting through a huge gap costs a step per missing frame and means nothing.
      this.o.onEvent?.({ kind: 'reset', camera: frame.cameraId, gap: step });
      cam = undefined;
      step = 1;
    }
    if (!cam) cam = { tracker: createTracker(this.spec), lastSeq: 0, seenAt: now };
    this.cameras.delete(frame.cameraId);
    this.cameras.set(frame.cameraId, cam);
    this.evictOverCapacity();
    cam.lastSeq = frame.seq;
    cam.seenAt = now;
    let status: Status = 'OK';
    let error = '';
    if (!outcome.ok) {
      status = 'PROCESSOR_FAILED';
      error = outcome.error;
    } else if (result?.error) {
      status = 'FRAME_REJECTED';
      error = result.error;
    } else if (result && result.detections.length > this.limits.maxDetections) {
      status = 'FRAME_REJECTED';
      error = `${result.detections.length} detections, above the limit of ${this.limits.maxDetections}`;
    }
    const detections = status === 'OK' && result ? result.detections : [];
    const t0 = performance.now();
    const { tracks, rejected } = cam.tracker.update(detections, step);
    const trackerMs = performance.now() - t0;
    if (rejected.length > 0 && !error) error = rejected.map((x) => `detection ${x.index}: ${x.reason}`).join('; ');
    const tracked: TrackedFrame = {
      cameraId: frame.cameraId,
      seq: frame.seq,
      captureTime: frame.captureTime,
      source: { topic: this.source.topic, partition: this.source.partition, offset: Number(p.offset) },
      width: frame.width,
      height: frame.height,
      detections,
      tracks,
      processor: outcome.ok ? outcome.processor : '',
      timings: {
        queueMs: p.dispatchedAt - p.admittedAt,
        processorMs: outcome.ms,
        reorderMs: nowMs() - p.completedAt,
        trackerMs,
      },
      status,
      error,
    };
    return { kind: 'tracked', tracked };
  }

  private evictIdle(now: number): void {
    for (const [camera, cam] of this.cameras) {
      if (now - cam.seenAt <= this.limits.idleTtlMs) break;
      this.cameras.delete(camera);
      this.o.onEvent?.({ kind: 'evicted', camera, reason: 'idle' });
    }
  }

  private evictOverCapacity(): void {
    for (const camera of this.cameras.keys()) {
      if (this.cameras.size <= this.limits.maxCameras) break;
      this.cameras.delete(camera);
      this.o.onEvent?.({ kind: 'evicted', camera, reason: 'capacity' });
    }
  }

  /** Every camera's tracker state, as of the last frame tracked. */
  snapshot(): Record<string, CameraState> {
    const cameras: Record<string, CameraState> = {};
    for (const [id, cam] of this.cameras) cameras[id] = { lastSeq: cam.lastSeq, tracker: snapshotTracker(this.spec, cam.tracker) };
    return cameras;
  }

  /** Replaces the cameras with a snapshot's; throws (naming the field) on a state this tracker cannot continue. */
  restore(cameras: Record<string, CameraState>): void {
    const restored = new Map<string, CameraTracker>();
    const now = this.now();
    for (const [camera, cam] of Object.entries(cameras)) {
      if (!Number.isSafeInteger(cam?.lastSeq) || cam.lastSeq < 0) throw new RangeError(`camera ${camera}: lastSeq ${String(cam?.lastSeq)} is not an integer ≥ 0`);
      restored.set(camera, { tracker: restoreTracker(this.spec, cam.tracker), lastSeq: cam.lastSeq, seenAt: now });
    }
    this.cameras.clear();
    for (const [camera, cam] of restored) this.cameras.set(camera, cam);
  }
}
