// The ONNX detector: an OnnxModel behind a Batcher (staged-detector.ts), so frames from concurrent
// detect() calls share inferences.
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { createLogger, type Logger } from '../../common/log.js';
import type { Detector, DetectorInfo } from '../detector.js';
import { OnnxModel, type OnnxModelOptions } from './onnx-model.js';
import { batchingDetector, type BatchingOptions } from './staged-detector.js';

export interface OnnxDetectorOptions extends Omit<OnnxModelOptions, 'log'>, BatchingOptions {}

export async function createOnnxDetector(options: OnnxDetectorOptions): Promise<Detector> {
  let logger = options.logger;
  const log = (): Logger => (logger ??= createLogger('onnx-detector'));
  const model = await OnnxModel.load({ ...options, log });
  const maxBatch = Math.min(options.maxBatch, model.batchLimit);
  if (maxBatch < options.maxBatch) log().warn({ maxBatch }, `${path.basename(options.model)} has a fixed batch size; batching at most ${maxBatch} frames`);
  const info: DetectorInfo = {
    name: `onnx-${options.format}`,
    version: `${path.basename(options.model)}; onnxruntime ${ort.env.versions.node ?? ort.env.versions.common} ${model.device}`,
    labels: model.labels,
    inputWidth: model.spec.width,
    inputHeight: model.spec.height,
    maxBatch,
  };
  return batchingDetector(model, info, options.maxDelayMs);
}
