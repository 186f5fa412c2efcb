// The implementation interface of a processor: a new detector is one file exporting a factory
// that returns this. The gRPC server around it (server.ts) handles transport, health,
// validation and concurrency.
import type { Frame__Output } from '../common/gen/vsp/v1/Frame.js';
import type { Detection__Output } from '../common/gen/vsp/v1/Detection.js';

export type Detection = Detection__Output;

export interface DetectorInfo {
  name: string;
  version: string;
  /** Class labels indexed by Detection.classId. */
  labels: string[];
  /** Model input size (0 when any size is taken). */
  inputWidth: number;
  inputHeight: number;
  /** Largest number of frames processed in one inference. */
  maxBatch: number;
}

/** Per-frame outcome: detections in source-image pixels, or why this frame failed. */
export type FrameDetections = { detections: Detection[] } | { error: string };

export interface DetectOptions {
  /** Report detections down to this score instead of the detector's own threshold (a caller's tracker uses low-score ones). */
  minScore?: number;
}

export interface Detector {
  readonly info: DetectorInfo;
  /**
   * Detects objects in each frame (encoded image in frame.image). Returns one outcome per frame,
   * in order. A bad frame (corrupt JPEG) yields { error } for that frame only; rejecting the
   * whole promise is reserved for failures of the detector itself.
   */
  detect(frames: Frame__Output[], options?: DetectOptions): Promise<FrameDetections[]>;
  /** Releases models, sessions, timers. */
  close(): Promise<void>;
  /**
   * For a detector that depends on another service (an inference server): calls `report` with
   * whether it can serve, at once and on every change, until the returned function is called.
   * The server's grpc.health.v1 status follows it. Absent: always serving.
   */
  watchHealth?(report: (serving: boolean) => void): () => void;
}
