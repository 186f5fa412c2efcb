// A Detector around a model's three stages (prepare, infer, decode), whoever runs the inference:
// onnxruntime (detector.ts) or an inference server (processor/kserve/). Frames are prepared in
// parallel; a Batcher gathers those of concurrent detect() calls into shared inferences. A frame
// that cannot be decoded gets { error } and never reaches the model.
import type { Frame__Output } from '../../common/gen/vsp/v1/Frame.js';
import type { Logger } from '../../common/log.js';
import type { Detection, Detector, DetectorInfo, FrameDetections } from '../detector.js';
import { Batcher } from './batcher.js';
import type { FloatTensor } from './candidate.js';
import type { Placement } from './letterbox.js';
import type { PreparedFrame } from './preprocess.js';

/** How a detector batches frames into inferences, and where it logs. */
export interface BatchingOptions {
  /** Most frames per inference (capped by what the model takes). */
  maxBatch: number;
  /** Longest a frame waits for others to share its inference. */
  maxDelayMs: number;
  logger?: Logger;
}

/** A model's three stages, whoever runs its inference (onnxruntime, an inference server). */
export interface StagedModel {
  prepare(frame: Frame__Output): Promise<PreparedFrame>;
  infer(frames: readonly PreparedFrame[]): Promise<FloatTensor[]>;
  detections(outputs: readonly FloatTensor[], index: number, placement: Placement, minScore?: number): Detection[];
  release(): Promise<void>;
}

/**
 * The Detector around a staged model: frames prepared in parallel, inferences of up to
 * info.maxBatch frames, at most `inflight` of them at once.
 */
export function batchingDetector(model: StagedModel, info: DetectorInfo, maxDelayMs: number, inflight = 1): Detector {
  // Frames of calls asking for different score thresholds share inferences; each is decoded at its own.
  let batcher: Batcher<{ frame: PreparedFrame; minScore?: number }, Detection[]>;
  try {
    batcher = new Batcher(
      async (items) => {
        const outputs = await model.infer(items.map((item) => item.frame));
        return items.map((item, i) => model.detections(outputs, i, item.frame.placement, item.minScore));
      },
      info.maxBatch,
      maxDelayMs,
      inflight,
    );
  } catch (err) {
    void model.release();
    throw err;
  }

  return {
    info,
    async detect(frames, options) {
      const prepared = await Promise.all(
        frames.map((f) => model.prepare(f).then((p): PreparedFrame | { error: string } => p, (err: Error) => ({ error: `cannot decode image: ${err.message}` }))),
      );
      const good = prepared.filter((p): p is PreparedFrame => !('error' in p));
      const found = await batcher.submit(good.map((frame) => ({ frame, minScore: options?.minScore })));
      let next = 0;
      return prepared.map((p): FrameDetections => ('error' in p ? p : { detections: found[next++]! }));
    },
    async close() {
      await batcher.close();
      await model.release();
    },
  };
}
