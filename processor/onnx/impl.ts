// `--impl onnx` and its flags: declared here, implemented in this folder (loaded by create()).
import { positiveInt, nonNegativeInt, unitNumber } from '../../common/cli/options.js';
import { UsageError } from '../../common/errors.js';
import type { Implementation } from '../implementation.js';

/** The detection flags, shared with `--impl kserve` (kserve-impl.ts): parsed values. */
export interface DetectionFlags {
  format: string;
  score: number;
  iou: number;
  classes?: string;
  labels?: string;
  maxBatch: number;
  maxDelayMs: number;
}

interface OnnxFlags extends DetectionFlags {
  model?: string;
  device: string;
  threads?: number;
}

/** A comma-separated flag value as a list (undefined when absent). */
export const commaList = (v?: string): string[] | undefined => v?.split(',').map((x) => x.trim()).filter(Boolean);

/** Checks the detection flags (UsageError naming the flag) and turns them into detector options. */
export async function detectionOptions(o: DetectionFlags) {
  const { MODEL_FORMATS } = await import('./formats.js');
  if (!(MODEL_FORMATS as readonly string[]).includes(o.format)) throw new UsageError(`--format: '${o.format}' is not one of ${MODEL_FORMATS.join(', ')}`);
  return {
    format: o.format as (typeof MODEL_FORMATS)[number],
    score: o.score,
    iou: o.iou,
    classes: commaList(o.classes),
    labels: commaList(o.labels),
    maxBatch: o.maxBatch,
    maxDelayMs: o.maxDelayMs,
  };
}

export const onnxImpl: Implementation<OnnxFlags> = {
  name: 'onnx',
  description: 'NanoDet, YOLOv5 or YOLOv8 on onnxruntime, CPU or CUDA, with dynamic batching',
  flags: [
    { flags: '--model <file>', description: 'model file (default: NanoDet-m COCO, converted once into models/)' },
    { flags: '--format <name>', description: 'output layout: nanodet | yolov5 | yolov8', default: 'nanodet' },
    { flags: '--device <name>', description: 'cpu | cuda (falls back to cpu, with a warning, when CUDA is unavailable)', default: 'cpu' },
    { flags: '--score <x>', description: 'minimum score', parse: unitNumber, default: 0.5 },
    { flags: '--iou <x>', description: 'NMS IoU threshold', parse: unitNumber, default: 0.45 },
    { flags: '--classes <list>', description: 'only these labels, e.g. person,car' },
    { flags: '--labels <list>', description: 'class names of a custom model, comma-separated, by class index' },
    { flags: '--max-batch <n>', description: 'frames per inference (dynamic batching)', parse: positiveInt, default: 8 },
    { flags: '--max-delay-ms <ms>', description: 'longest wait to fill a batch', parse: nonNegativeInt, default: 4 },
    { flags: '--threads <n>', description: 'inference threads', parse: positiveInt },
  ],
  async create(o) {
    const detection = await detectionOptions(o);
    if (o.device !== 'cpu' && o.device !== 'cuda') throw new UsageError(`--device: '${o.device}' is not cpu or cuda`);
    const onnx = await import('./index.js');
    return onnx.createOnnxDetector({ ...detection, model: o.model ?? (await onnx.defaultModelPath()), device: o.device, threads: o.threads });
  },
};
