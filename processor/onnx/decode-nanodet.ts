// Output decoding for NanoDet (GFL head): per stride, class scores [B, N, C] (sigmoid applied in
// the graph) and box-side distributions [B, N, 4 * (R + 1)]. A side's distance is the expectation
// of the softmax over its R + 1 bins, in units of the stride, measured from the cell centre.
import type { Candidate, DecodeFilter, FloatTensor } from './candidate.js';

const STRIDES = [8, 16, 32, 64];

export interface NanodetLevel {
  stride: number;
  /** Grid columns: anchors run row-major over a ceil(H / stride) x ceil(W / stride) grid. */
  cols: number;
  scores: FloatTensor;
  distributions: FloatTensor;
}

/**
 * Pairs the model's outputs into levels: outputs with the same anchor count N belong to one
 * stride (the one whose grid has N cells); of a pair, the one with `classes` channels holds scores.
 */
export function nanodetLevels(outputs: readonly FloatTensor[], inputWidth: number, inputHeight: number, classes: number): NanodetLevel[] {
  const levels: NanodetLevel[] = [];
  for (const stride of STRIDES) {
    const cols = Math.ceil(inputWidth / stride);
    const anchors = cols * Math.ceil(inputHeight / stride);
    const pair = outputs.filter((o) => o.dims.length === 3 && o.dims[1] === anchors);
    if (pair.length === 0) continue;
    const scores = pair.find((o) => o.dims[2] === classes);
    const distributions = pair.find((o) => o !== scores && o.dims[2]! % 4 === 0 && o.dims[2]! > 4);
    if (pair.length !== 2 || !scores || !distributions) {
      throw new Error(`NanoDet stride ${stride}: expected one [batch, ${anchors}, ${classes}] and one [batch, ${anchors}, 4 x bins] output, got ${pair.map((o) => `[${o.dims.join(', ')}]`).join(' ')}`);
    }
    levels.push({ stride, cols, scores, distributions });
  }
  if (levels.length * 2 !== outputs.length) {
    throw new Error(`NanoDet: outputs [${outputs.map((o) => o.dims.join('x')).join(', ')}] do not match strides ${STRIDES.join('/')} of a ${inputWidth}x${inputHeight} input`);
  }
  return levels;
}

/** Expected value of the softmax over bins d[at .. at + bins). */
function expectation(d: Float32Array, at: number, bins: number): number {
  let max = -Infinity;
  for (let k = 0; k < bins; k++) max = Math.max(max, d[at + k]!);
  let sum = 0;
  let weighted = 0;
  for (let k = 0; k < bins; k++) {
    const e = Math.exp(d[at + k]! - max);
    sum += e;
    weighted += e * k;
  }
  return weighted / sum;
}

export function decodeNanodet(levels: readonly NanodetLevel[], batchIndex: number, filter: DecodeFilter): Candidate[] {
  const found: Candidate[] = [];
  for (const { stride, cols, scores, distributions } of levels) {
    const [, anchors, classes] = scores.dims as [number, number, number];
    const bins = distributions.dims[2]! / 4;
    for (let i = 0; i < anchors; i++) {
      const row = (batchIndex * anchors + i) * classes;
      let best = -Infinity;
      let bestClass = -1;
      for (let c = 0; c < classes; c++) {
        const s = scores.data[row + c]!;
        if (s > best && (!filter.allowed || filter.allowed.has(c))) {
          best = s;
          bestClass = c;
        }
      }
      if (bestClass < 0 || best < filter.score) continue;
      const at = (batchIndex * anchors + i) * 4 * bins;
      const cx = ((i % cols) + 0.5) * stride;
      const cy = (Math.floor(i / cols) + 0.5) * stride;
      found.push({
        x1: cx - expectation(distributions.data, at, bins) * stride,
        y1: cy - expectation(distributions.data, at + bins, bins) * stride,
        x2: cx + expectation(distributions.data, at + 2 * bins, bins) * stride,
        y2: cy + expectation(distributions.data, at + 3 * bins, bins) * stride,
        score: best,
        classId: bestClass,
      });
    }
  }
  return found;
}
