// One ONNX detection model and its three stages: prepare a frame, infer a batch, turn one batch
// item's outputs into detections in source pixels. The detector batches around it; the bench
// times the stages one by one.
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Frame__Output } from '../../common/gen/vsp/v1/Frame.js';
import type { Detection } from '../detector.js';
import type { DecodeFilter, FloatTensor } from './candidate.js';
import { DEFAULT_INPUT_SIZE, MODEL_FORMATS, inputSpec, outputDecoder, type ModelFormat, type OutputDecoder } from './formats.js';
import { COCO_LABELS } from './labels.js';
import { toSource, type Placement } from './letterbox.js';
import { nms } from './nms.js';
import { prepareFrame, type InputSpec, type PreparedFrame } from './preprocess.js';
import { createSession, type Device } from './session.js';
import type { Logger } from '../../common/log.js';

export interface OnnxModelOptions {
  model: string;
  format: ModelFormat;
  device: Device;
  /** Minimum score kept, 0-1. */
  score: number;
  /** IoU above which NMS drops the lower-scoring box of a class. */
  iou: number;
  /** Only these class names are reported (all when absent). */
  classes?: string[];
  /** Class names by model class index; COCO's 80 by default. */
  labels?: string[];
  /** onnxruntime intra-op threads (its default: one per physical core). */
  threads?: number;
  log: () => Logger;
}

function unitInterval(name: string, v: number): void {
  if (!(v >= 0 && v <= 1)) throw new Error(`${name} must be within 0..1, got ${v}`);
}

function asFloat(t: ort.Tensor, name: string): FloatTensor {
  if (t.type !== 'float32') throw new Error(`model output ${name} is ${t.type}; only float32 outputs are supported`);
  return { data: t.data as Float32Array, dims: t.dims };
}

export class OnnxModel {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly device: Device,
    readonly spec: InputSpec,
    /** 1 for a model exported with a fixed batch of 1, else Infinity. */
    readonly batchLimit: number,
    readonly labels: string[],
    private readonly decoder: OutputDecoder,
    private readonly filter: DecodeFilter,
    private readonly iou: number,
  ) {}

  static async load(o: OnnxModelOptions): Promise<OnnxModel> {
    if (!MODEL_FORMATS.includes(o.format)) throw new Error(`unknown model format ${o.format} (${MODEL_FORMATS.join(', ')})`);
    unitInterval('score', o.score);
    unitInterval('iou', o.iou);
    const { session, device } = await createSession(o.model, o.device, o.threads, o.log);
    try {
      const input = session.inputMetadata[0];
      if (session.inputNames.length !== 1 || !input?.isTensor) throw new Error('the model must have exactly one tensor input');
      if (input.type !== 'float32') throw new Error(`model input is ${input.type}; only float32 inputs are supported`);
      const [batch, channels, h, w] = input.shape;
      if (input.shape.length !== 4 || channels !== 3) throw new Error(`model input must be [batch, 3, height, width], got [${input.shape.join(', ')}]`);
      if (typeof batch === 'number' && batch > 1) throw new Error(`the model's batch is fixed at ${batch}; export it with a dynamic batch (or batch 1)`);
      const size = (d: number | string | undefined): number => (typeof d === 'number' && d > 0 ? d : DEFAULT_INPUT_SIZE);
      const spec = inputSpec(o.format, size(w), size(h));

      // A trial run on a blank frame: checks the outputs fit the format and warms the session up.
      const trial = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', new Float32Array(3 * spec.width * spec.height), [1, 3, spec.height, spec.width]) });
      const sample = session.outputNames.map((n) => asFloat(trial[n]!, n));
      const decoder = outputDecoder(o.format, sample, spec.width, spec.height, o.labels?.length);
      const labels = o.labels ?? (decoder.classes === COCO_LABELS.length ? [...COCO_LABELS] : Array.from({ length: decoder.classes }, (_, i) => `class${i}`));
      if (labels.length !== decoder.classes) throw new Error(`${labels.length} labels given for a model with ${decoder.classes} classes`);
      const unknown = (o.classes ?? []).filter((c) => !labels.includes(c));
      if (unknown.length > 0) throw new Error(`unknown classes: ${unknown.join(', ')} (the model has: ${labels.join(', ')})`);
      const allowed = o.classes ? new Set(o.classes.map((c) => labels.indexOf(c))) : null;
      const batchLimit = batch === 1 ? 1 : Infinity;
      return new OnnxModel(session, device, spec, batchLimit, labels, decoder, { score: o.score, allowed }, o.iou);
    } catch (err) {
      await session.release();
      throw new Error(`${path.basename(o.model)}: ${(err as Error).message}`, { cause: err });
    }
  }

  prepare(frame: Frame__Output): Promise<PreparedFrame> {
    return prepareFrame(frame, this.spec);
  }

  /** One inference over the frames; outputs in the model's output order. */
  async infer(frames: readonly PreparedFrame[]): Promise<FloatTensor[]> {
    const { width, height } = this.spec;
    const plane = 3 * width * height;
    const batch = new Float32Array(frames.length * plane);
    frames.forEach((f, i) => batch.set(f.data, i * plane));
    const out = await this.session.run({ [this.session.inputNames[0]!]: new ort.Tensor('float32', batch, [frames.length, 3, height, width]) });
    return this.session.outputNames.map((n) => asFloat(out[n]!, n));
  }

  /** Detections of batch item `index`, in source pixels, after class-wise NMS. */
  detections(outputs: readonly FloatTensor[], index: number, placement: Placement): Detection[] {
    const found: Detection[] = [];
    for (const c of nms(this.decoder.decode(outputs, index, this.filter), this.iou)) {
      const box = toSource(c, placement);
      if (box) found.push({ x1: box.x1, y1: box.y1, x2: box.x2, y2: box.y2, score: box.score, classId: box.classId, label: this.labels[box.classId]! });
    }
    return found;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
