// What a detection model needs around its inference, whoever runs the inference (onnxruntime in
// onnx-model.ts, an inference server for `--impl kserve`): the input layout and preprocessing,
// the output decoder, labels, class filter and NMS, and the way back to source pixels.
import type { Frame__Output } from '../../common/gen/vsp/v1/Frame.js';
import type { Detection } from '../detector.js';
import type { DecodeFilter, FloatTensor } from './candidate.js';
import { DEFAULT_INPUT_SIZE, MODEL_FORMATS, inputSpec, outputDecoder, type ModelFormat, type OutputDecoder } from './formats.js';
import { COCO_LABELS } from './labels.js';
import { toSource, type Placement } from './letterbox.js';
import { nms } from './nms.js';
import { prepareFrame, type InputSpec, type PreparedFrame } from './preprocess.js';

export interface HeadOptions {
  format: ModelFormat;
  /** Minimum score kept, 0-1. */
  score: number;
  /** IoU above which NMS drops the lower-scoring box of a class. */
  iou: number;
  /** Only these class names are reported (all when absent). */
  classes?: string[];
  /** Class names by model class index; COCO's 80 by default. */
  labels?: string[];
}

/** Rejects options no model could take; cheap, so callers check before loading anything. */
export function checkHeadOptions(o: HeadOptions): void {
  if (!MODEL_FORMATS.includes(o.format)) throw new Error(`unknown model format ${o.format} (${MODEL_FORMATS.join(', ')})`);
  for (const [name, v] of [['score', o.score], ['iou', o.iou]] as const) {
    if (!(v >= 0 && v <= 1)) throw new Error(`${name} must be within 0..1, got ${v}`);
  }
}

/** A model input's dimension: a size, or variable (a symbolic name, -1 as in KServe metadata, absent). */
export type InputDim = number | string | undefined;

/**
 * The input layout a detector model must have, [batch, 3, height, width]: its size (Ultralytics'
 * default export size where it is variable) and how many frames one inference may take.
 */
export function inputLayout(format: ModelFormat, shape: readonly InputDim[]): { spec: InputSpec; batchLimit: number } {
  const [batch, channels, h, w] = shape;
  if (shape.length !== 4 || channels !== 3) throw new Error(`model input must be [batch, 3, height, width], got [${shape.join(', ')}]`);
  if (typeof batch === 'number' && batch > 1) throw new Error(`the model's batch is fixed at ${batch}; export it with a dynamic batch (or batch 1)`);
  const size = (d: InputDim): number => (typeof d === 'number' && d > 0 ? d : DEFAULT_INPUT_SIZE);
  return { spec: inputSpec(format, size(w), size(h)), batchLimit: batch === 1 ? 1 : Infinity };
}

export class DetectionHead {
  private constructor(
    readonly spec: InputSpec,
    readonly labels: string[],
    private readonly decoder: OutputDecoder,
    private readonly filter: DecodeFilter,
    private readonly iou: number,
  ) {}

  /** From the outputs of a trial inference (a blank frame): checks they fit the format. */
  static create(o: HeadOptions, spec: InputSpec, sample: readonly FloatTensor[]): DetectionHead {
    checkHeadOptions(o);
    const decoder = outputDecoder(o.format, sample, spec.width, spec.height, o.labels?.length);
    const labels = o.labels ?? (decoder.classes === COCO_LABELS.length ? [...COCO_LABELS] : Array.from({ length: decoder.classes }, (_, i) => `class${i}`));
    if (labels.length !== decoder.classes) throw new Error(`${labels.length} labels given for a model with ${decoder.classes} classes`);
    const unknown = (o.classes ?? []).filter((c) => !labels.includes(c));
    if (unknown.length > 0) throw new Error(`unknown classes: ${unknown.join(', ')} (the model has: ${labels.join(', ')})`);
    const allowed = o.classes ? new Set(o.classes.map((c) => labels.indexOf(c))) : null;
    return new DetectionHead(spec, labels, decoder, { score: o.score, allowed }, o.iou);
  }

  prepare(frame: Frame__Output): Promise<PreparedFrame> {
    return prepareFrame(frame, this.spec);
  }

  /** Detections of batch item `index`, in source pixels, after class-wise NMS. */
  detections(outputs: readonly FloatTensor[], index: number, placement: Placement, minScore?: number): Detection[] {
    const found: Detection[] = [];
    const filter = minScore === undefined ? this.filter : { ...this.filter, score: minScore };
    for (const c of nms(this.decoder.decode(outputs, index, filter), this.iou)) {
      const box = toSource(c, placement);
      if (box) found.push({ x1: box.x1, y1: box.y1, x2: box.x2, y2: box.y2, score: box.score, classId: box.classId, label: this.labels[box.classId]! });
    }
    return found;
  }
}

/** The frames' planes back to back: one batched model input. */
export function batchInput(frames: readonly PreparedFrame[], spec: InputSpec): Float32Array {
  const plane = 3 * spec.width * spec.height;
  const batch = new Float32Array(frames.length * plane);
  frames.forEach((f, i) => batch.set(f.data, i * plane));
  return batch;
}
