// What differs between the supported model families: input preparation and output decoding.
import type { Candidate, DecodeFilter, FloatTensor } from './candidate.js';
import { decodeNanodet, nanodetLevels } from './decode-nanodet.js';
import { decodeYolov5, decodeYolov8, yolov5Classes, yolov8Classes } from './decode-yolo.js';
import { COCO_LABELS } from './labels.js';
import type { InputSpec } from './preprocess.js';

export type ModelFormat = 'nanodet' | 'yolov5' | 'yolov8';
export const MODEL_FORMATS: readonly ModelFormat[] = ['nanodet', 'yolov5', 'yolov8'];

/** Input size when the model leaves it dynamic (Ultralytics' default export size). */
export const DEFAULT_INPUT_SIZE = 640;

export function inputSpec(format: ModelFormat, width: number, height: number): InputSpec {
  if (format === 'nanodet') {
    // NanoDet's normalisation: BGR planes, ImageNet mean/std in 0-255 units. The image is stretched
    // to fill the input (all 416x416 pixels carry image); letterboxing found the same people on
    // the vtest.avi test frames.
    return { width, height, resize: 'stretch', pad: 0, channels: 'bgr', mean: [103.53, 116.28, 123.675], std: [57.375, 57.12, 58.395] };
  }
  // Ultralytics: RGB scaled to 0-1, letterboxed with grey 114.
  return { width, height, resize: 'letterbox', pad: 114, channels: 'rgb', mean: [0, 0, 0], std: [255, 255, 255] };
}

export interface OutputDecoder {
  /** Number of classes the model scores. */
  classes: number;
  /** Candidates of one batch item, in model-input pixels. */
  decode(outputs: readonly FloatTensor[], batchIndex: number, filter: DecodeFilter): Candidate[];
}

/**
 * Checks the model's outputs (from a trial run) against the format and returns its decoder.
 * NanoDet's class count cannot be read from its outputs alone: the number of labels (COCO's 80
 * unless given) tells the score tensors from the box distributions.
 */
export function outputDecoder(format: ModelFormat, sample: readonly FloatTensor[], width: number, height: number, labelCount: number | undefined): OutputDecoder {
  if (format === 'nanodet') {
    const classes = labelCount ?? COCO_LABELS.length;
    nanodetLevels(sample, width, height, classes);
    return { classes, decode: (outputs, b, filter) => decodeNanodet(nanodetLevels(outputs, width, height, classes), b, filter) };
  }
  if (sample.length !== 1) throw new Error(`${format} models have one output, this one has ${sample.length}`);
  if (format === 'yolov5') return { classes: yolov5Classes(sample[0]!), decode: (outputs, b, filter) => decodeYolov5(outputs[0]!, b, filter) };
  return { classes: yolov8Classes(sample[0]!), decode: (outputs, b, filter) => decodeYolov8(outputs[0]!, b, filter) };
}
