// The ONNX detector: an OnnxModel behind a Batcher, so frames from concurrent detect() calls share
// inferences. A frame that cannot be decoded gets { error } and never reaches the model.
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { createLogger, type Logger } from '../../common/log.js';
import type { Detection, Detector, DetectorInfo, FrameDetections } from '../detector.js';
import { Batcher } from './batcher.js';
import { OnnxModel, type OnnxModelOptions } from './onnx-model.js';
import type { PreparedFrame } from './preprocess.js';

export interface OnnxDetectorOptions extends Omit<OnnxModelOptions, 'log'> {
  /** Most frames per inference. */
  maxBatch: number;
  /** Longest a frame waits for others to share its inference. */
  maxDelayMs: number;
  logger?: Logger;
}

export async function createOnnxDetector(options: OnnxDetectorOptions): Promise<Detector> {
  let logger = options.logger;
  const log = (): Logger => (logger ??= createLogger('onnx-detector'));
  const model = await OnnxModel.load({ ...options, log });
  const maxBatch = Math.min(options.maxBatch, model.batchLimit);
  if (maxBatch < options.maxBatch) log().warn({ maxBatch }, `${path.basename(options.model)} has a fixed batch size; batching at most ${maxBatch} frames`);

  let batcher: Batcher<PreparedFrame, Detection[]>;
  try {
    batcher = new Batcher(
      async (frames) => {
        const outputs = await model.infer(frames);
        return frames.map((f, i) => model.detections(outputs, i, f.placement));
      },
      maxBatch,
      options.maxDelayMs,
    );
  } catch (err) {
    await model.release();
    throw err;
  }

  const info: DetectorInfo = {
    name: `onnx-${options.format}`,
    version: `${path.basename(options.model)}; onnxruntime ${ort.env.versions.node ?? ort.env.versions.common} ${model.device}`,
    labels: model.labels,
    inputWidth: model.spec.width,
    inputHeight: model.spec.height,
    maxBatch,
  };

  return {
    info,
    async detect(frames) {
      const prepared = await Promise.all(
        frames.map((f) => model.prepare(f).then((p): PreparedFrame | { error: string } => p, (err: Error) => ({ error: `cannot decode image: ${err.message}` }))),
      );
      const good = prepared.filter((p): p is PreparedFrame => !('error' in p));
      const found = await batcher.submit(good);
      let next = 0;
      return prepared.map((p): FrameDetections => ('error' in p ? p : { detections: found[next++]! }));
    },
    async close() {
      await batcher.close();
      await model.release();
    },
  };
}
