// Output decoding for Ultralytics-style YOLO ONNX exports (boxes as cx, cy, w, h in input pixels,
// NMS left to the caller). Each anchor keeps its best allowed class.
import type { Candidate, DecodeFilter, FloatTensor } from './candidate.js';

function candidate(cx: number, cy: number, w: number, h: number, score: number, classId: number): Candidate {
  return { x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2, score, classId };
}

function allowedClasses(count: number, filter: DecodeFilter): number[] {
  return Array.from({ length: count }, (_, c) => c).filter((c) => !filter.allowed || filter.allowed.has(c));
}

/** Class count of a YOLOv8/YOLO11 output [B, 4 + C, N]. */
export function yolov8Classes(out: FloatTensor): number {
  if (out.dims.length !== 3 || out.dims[1]! <= 4) throw new Error(`YOLOv8 output must be [batch, 4 + classes, anchors], got [${out.dims.join(', ')}]`);
  return out.dims[1]! - 4;
}

/** Class count of a YOLOv5 output [B, N, 5 + C]. */
export function yolov5Classes(out: FloatTensor): number {
  if (out.dims.length !== 3 || out.dims[2]! <= 5) throw new Error(`YOLOv5 output must be [batch, anchors, 5 + classes], got [${out.dims.join(', ')}]`);
  return out.dims[2]! - 5;
}

/** YOLOv8/YOLO11: [B, 4 + C, N], channel-major, class scores without objectness. */
export function decodeYolov8(out: FloatTensor, batchIndex: number, filter: DecodeFilter): Candidate[] {
  const classes = yolov8Classes(out);
  const n = out.dims[2]!;
  const base = batchIndex * (4 + classes) * n;
  const d = out.data;
  // Class-major scan (contiguous reads) keeping each anchor's best score.
  const best = new Float32Array(n).fill(-Infinity);
  const bestClass = new Int32Array(n);
  for (const c of allowedClasses(classes, filter)) {
    const row = base + (4 + c) * n;
    for (let i = 0; i < n; i++) {
      const s = d[row + i]!;
      if (s > best[i]!) {
        best[i] = s;
        bestClass[i] = c;
      }
    }
  }
  const found: Candidate[] = [];
  for (let i = 0; i < n; i++) {
    if (best[i]! < filter.score) continue;
    found.push(candidate(d[base + i]!, d[base + n + i]!, d[base + 2 * n + i]!, d[base + 3 * n + i]!, best[i]!, bestClass[i]!));
  }
  return found;
}

/** YOLOv5: [B, N, 5 + C], anchor-major, score = objectness x class probability. */
export function decodeYolov5(out: FloatTensor, batchIndex: number, filter: DecodeFilter): Candidate[] {
  const classes = yolov5Classes(out);
  const n = out.dims[1]!;
  const stride = 5 + classes;
  const allowed = allowedClasses(classes, filter);
  const d = out.data;
  const found: Candidate[] = [];
  for (let i = 0; i < n; i++) {
    const row = (batchIndex * n + i) * stride;
    const objectness = d[row + 4]!;
    // Class probabilities are at most 1, so a low objectness rules the anchor out.
    if (objectness < filter.score) continue;
    let best = -Infinity;
    let bestClass = -1;
    for (const c of allowed) {
      const s = d[row + 5 + c]!;
      if (s > best) {
        best = s;
        bestClass = c;
      }
    }
    const score = objectness * best;
    if (bestClass >= 0 && score >= filter.score) found.push(candidate(d[row]!, d[row + 1]!, d[row + 2]!, d[row + 3]!, score, bestClass));
  }
  return found;
}
