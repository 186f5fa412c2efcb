// The detector implementations `vsp processor --impl` can serve. Each is loaded on demand so
// that, e.g., the synthetic processor never loads onnxruntime.
import { UsageError } from '../common/errors.js';
import type { Detector } from './detector.js';

export interface ImplOptions {
  motDets?: string;
  latencyMs: string;
  seed: number;
  model?: string;
  format: string;
  device: string;
  score: number;
  iou: number;
  classes?: string;
  labels?: string;
  maxBatch: number;
  maxDelayMs: number;
  threads?: number;
}

export const IMPLS: Record<string, (o: ImplOptions) => Promise<Detector>> = {
  synthetic: async () => (await import('./synthetic-detector.js')).createSyntheticDetector(),
  'opencv-hog': async () => (await import('./opencv-hog-detector.js')).createOpenCvHogDetector(),
  onnx: async (o) => {
    const onnx = await import('./onnx/index.js');
    if (!(onnx.MODEL_FORMATS as readonly string[]).includes(o.format)) {
      throw new UsageError(`--format: '${o.format}' is not one of ${onnx.MODEL_FORMATS.join(', ')}`);
    }
    if (o.device !== 'cpu' && o.device !== 'cuda') throw new UsageError(`--device: '${o.device}' is not cpu or cuda`);
    const list = (v?: string) => v?.split(',').map((x) => x.trim()).filter(Boolean);
    return onnx.createOnnxDetector({
      model: o.model ?? (await onnx.defaultModelPath()),
      format: o.format as (typeof onnx.MODEL_FORMATS)[number],
      device: o.device,
      score: o.score,
      iou: o.iou,
      classes: list(o.classes),
      labels: list(o.labels),
      maxBatch: o.maxBatch,
      maxDelayMs: o.maxDelayMs,
      threads: o.threads,
    });
  },
  replay: async (o) => {
    if (!o.motDets) throw new UsageError('--impl replay needs --mot-dets DIR');
    const { createReplayDetector } = await import('./replay-detector.js');
    return createReplayDetector({ dir: o.motDets, latencyMs: parseLatency(o.latencyMs), seed: o.seed });
  },
};

/** Parses "a-b" or "a" (milliseconds) into a closed range. */
export function parseLatency(spec: string): [number, number] {
  const m = /^(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?$/.exec(spec.trim());
  if (!m) throw new UsageError(`--latency-ms: expected "a-b" or "a" in milliseconds, got '${spec}'`);
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  if (b < a) throw new UsageError(`--latency-ms: upper bound ${b} is below lower bound ${a}`);
  return [a, b];
}

export function createDetector(impl: string, o: ImplOptions): Promise<Detector> {
  const make = IMPLS[impl];
  if (!make) throw new Error(`unknown processor implementation '${impl}'`);
  return make(o);
}
