// The tracking of one partition's cameras: a tracker per camera, fed each processed frame in
// order, and the TrackedFrame that goes out. Pure: no Kafka, no gRPC.
import type { Frame__Output } from '../common/gen/vsp/v1/Frame.js';
import type { FrameResult__Output } from '../common/gen/vsp/v1/FrameResult.js';
import type { Status } from '../common/gen/vsp/v1/Status.js';
import type { TrackedFrame } from '../common/gen/vsp/v1/TrackedFrame.js';
import { nowMs } from '../common/time.js';
import type { PoolOutcome } from './processor-pool.js';
import type { CameraState } from './state-store.js';
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
}

export class CameraTracking {
  private readonly cameras = new Map<string, CameraTracker>();

  constructor(
    private readonly spec: TrackerSpec,
    private readonly source: { topic: string; partition: number },
  ) {}

  get size(): number {
    return this.cameras.size;
  }

  /** Tracks a frame, or says why it cannot be (a seq not after the camera's last one). */
  track(p: ProcessedFrame): TrackingResult {
    const { frame, outcome, result } = p;
    let cam = this.cameras.get(frame.cameraId);
    if (cam && frame.seq <= cam.lastSeq) {
      return { kind: 'rejected', reason: `seq ${frame.seq} of camera ${frame.cameraId} is not after the last tracked seq ${cam.lastSeq} (duplicate or out-of-order frame)` };
    }
    if (!cam) {
      cam = { tracker: createTracker(this.spec), lastSeq: 0 };
      this.cameras.set(frame.cameraId, cam);
    }
    const step = cam.lastSeq === 0 ? 1 : frame.seq - cam.lastSeq;
    cam.lastSeq = frame.seq;
    let status: Status = 'OK';
    let error = '';
    if (!outcome.ok) {
      status = 'PROCESSOR_FAILED';
      error = outcome.error;
    } else if (result?.error) {
      status = 'FRAME_REJECTED';
      error = result.error;
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

  /** Every camera's tracker state, as of the last frame tracked. */
  snapshot(): Record<string, CameraState> {
    const cameras: Record<string, CameraState> = {};
    for (const [id, cam] of this.cameras) cameras[id] = { lastSeq: cam.lastSeq, tracker: snapshotTracker(this.spec, cam.tracker) };
    return cameras;
  }

  /** Replaces the cameras with a snapshot's; throws (naming the field) on a state this tracker cannot continue. */
  restore(cameras: Record<string, CameraState>): void {
    const restored = new Map<string, CameraTracker>();
    for (const [camera, cam] of Object.entries(cameras)) {
      if (!Number.isSafeInteger(cam?.lastSeq) || cam.lastSeq < 0) throw new RangeError(`camera ${camera}: lastSeq ${String(cam?.lastSeq)} is not an integer ≥ 0`);
      restored.set(camera, { tracker: restoreTracker(this.spec, cam.tracker), lastSeq: cam.lastSeq });
    }
    this.cameras.clear();
    for (const [camera, cam] of restored) this.cameras.set(camera, cam);
  }
}
