// One ONNX detection model and its three stages: prepare a frame, infer a batch, turn one batch
// item's outputs into detections in source pixels. The detector batches around it; the bench
// times the stages one by one. Everything but the inference is the DetectionHead (head.ts).
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Frame__Output } from '../../common/gen/vsp/v1/Frame.js';
import type { Detection } from '../detector.js';
import type { FloatTensor } from './candidate.js';
import { DetectionHead, batchInput, checkHeadOptions, inputLayout, type HeadOptions } from './head.js';
import type { Placement } from './letterbox.js';
import type { InputSpec, PreparedFrame } from './preprocess.js';
import { createSession, type Device } from './session.js';
import type { Logger } from '../../common/log.js';

export interface OnnxModelOptions extends HeadOptions {
  model: string;
  device: Device;
  /** onnxruntime intra-op threads (its default: one per physical core). */
  threads?: number;
  log: () => Logger;
}

function asFloat(t: ort.Tensor, name: string): FloatTensor {
  if (t.type !== 'float32') throw new Error(`model output ${name} is ${t.type}; only float32 outputs are supported`);
  return { data: t.data as Float32Array, dims: t.dims };
}

export class OnnxModel {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly device: Device,
    private readonly head: DetectionHead,
    /** 1 for a model exported with a fixed batch of 1, else Infinity. */
    readonly batchLimit: number,
  ) {}

  static async load(o: OnnxModelOptions): Promise<OnnxModel> {
    checkHeadOptions(o);
    const { session, device } = await createSession(o.model, o.device, o.threads, o.log);
    try {
      const input = session.inputMetadata[0];
      if (session.inputNames.length !== 1 || !input?.isTensor) throw new Error('the model must have exactly one tensor input');
      if (input.type !== 'float32') throw new Error(`model input is ${input.type}; only float32 inputs are supported`);
      const { spec, batchLimit } = inputLayout(o.format, input.shape);
      // A trial run on a blank frame: checks the outputs fit the format and warms the session up.
      const trial = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', new Float32Array(3 * spec.width * spec.height), [1, 3, spec.height, spec.width]) });
      const head = DetectionHead.create(o, spec, session.outputNames.map((n) => asFloat(trial[n]!, n)));
      return new OnnxModel(session, device, head, batchLimit);
    } catch (err) {
      await session.release();
      throw new Error(`${path.basename(o.model)}: ${(err as Error).message}`, { cause: err });
    }
  }

  get spec(): InputSpec {
    return this.head.spec;
  }

  get labels(): string[] {
    return this.head.labels;
  }

  prepare(frame: Frame__Output): Promise<PreparedFrame> {
    return this.head.prepare(frame);
  }

  /** One inference over the frames; outputs in the model's output order. */
  async infer(frames: readonly PreparedFrame[]): Promise<FloatTensor[]> {
    const { width, height } = this.spec;
    const input = new ort.Tensor('float32', batchInput(frames, this.spec), [frames.length, 3, height, width]);
    const out = await this.session.run({ [this.session.inputNames[0]!]: input });
    return this.session.outputNames.map((n) => asFloat(out[n]!, n));
  }

  /** Detections of batch item `index`, in source pixels, after class-wise NMS. */
  detections(outputs: readonly FloatTensor[], index: number, placement: Placement): Detection[] {
    return this.head.detections(outputs, index, placement);
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
