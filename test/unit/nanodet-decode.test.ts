import assert from 'node:assert/strict';
import { decodeNanodet, nanodetLevels } from '../../processor/onnx/decode-nanodet.js';
import type { FloatTensor } from '../../processor/onnx/candidate.js';

const CLASSES = 3;
const BINS = 8;
const SIZE = 64; // 64x64 input: strides 8/16/32 → 8x8, 4x4, 2x2 grids.

/** Logits that put (almost) all of a side's mass on one bin, so its expectation is that bin. */
function peaked(bin: number): number[] {
  return Array.from({ length: BINS }, (_, k) => (k === bin ? 30 : 0));
}

function level(anchors: number, batch: number): { scores: FloatTensor; distributions: FloatTensor } {
  return {
    scores: { data: new Float32Array(batch * anchors * CLASSES), dims: [batch, anchors, CLASSES] },
    distributions: { data: new Float32Array(batch * anchors * 4 * BINS), dims: [batch, anchors, 4 * BINS] },
  };
}

describe('NanoDet (GFL) output decoding', () => {
  const l8 = level(64, 2);
  const l16 = level(16, 2);
  const l32 = level(4, 2);
  // Batch item 1, stride 16, anchor at row 2, col 1 (index 9): centre (24, 40).
  // Sides left/top/right/bottom = bins 1/2/3/0 → distances 16/32/48/0 pixels.
  const anchor = 9;
  l16.scores.data.set([0.1, 0.7, 0.2], (1 * 16 + anchor) * CLASSES);
  l16.distributions.data.set([...peaked(1), ...peaked(2), ...peaked(3), ...peaked(0)], (1 * 16 + anchor) * 4 * BINS);
  // Item 0, stride 8, anchor 0 (centre (4, 4)): a weaker class-0 box with even distributions.
  l8.scores.data.set([0.4, 0, 0], 0);
  const outputs = [l8.scores, l16.distributions, l32.scores, l8.distributions, l16.scores, l32.distributions];

  it('pairs outputs into strides by anchor count and tells scores from distributions', () => {
    const levels = nanodetLevels(outputs, SIZE, SIZE, CLASSES);
    assert.deepEqual(
      levels.map((l) => [l.stride, l.cols, l.scores.dims[2], l.distributions.dims[2]]),
      [
        [8, 8, CLASSES, 4 * BINS],
        [16, 4, CLASSES, 4 * BINS],
        [32, 2, CLASSES, 4 * BINS],
      ],
    );
  });

  it('decodes distances as softmax expectations x stride from the cell centre', () => {
    const levels = nanodetLevels(outputs, SIZE, SIZE, CLASSES);
    const [box, ...rest] = decodeNanodet(levels, 1, { score: 0.5, allowed: null });
    assert.equal(rest.length, 0);
    assert.equal(box!.classId, 1);
    assert.ok(Math.abs(box!.score - 0.7) < 1e-6);
    const expected = { x1: 24 - 16, y1: 40 - 32, x2: 24 + 48, y2: 40 + 0 };
    for (const k of ['x1', 'y1', 'x2', 'y2'] as const) assert.ok(Math.abs(box![k] - expected[k]) < 1e-3, `${k}: ${box![k]} vs ${expected[k]}`);
  });

  it('uses the mean bin for a flat distribution, and applies score and class filters', () => {
    const levels = nanodetLevels(outputs, SIZE, SIZE, CLASSES);
    const [box] = decodeNanodet(levels, 0, { score: 0.3, allowed: null });
    const d = ((BINS - 1) / 2) * 8;
    assert.deepEqual([box!.x1, box!.y1, box!.x2, box!.y2].map((v) => Math.round(v * 1e3) / 1e3), [4 - d, 4 - d, 4 + d, 4 + d]);
    assert.equal(decodeNanodet(levels, 0, { score: 0.5, allowed: null }).length, 0);
    assert.equal(decodeNanodet(levels, 1, { score: 0.1, allowed: new Set([2]) })[0]!.classId, 2);
    assert.equal(decodeNanodet(levels, 1, { score: 0.5, allowed: new Set([0]) }).length, 0);
  });

  it('rejects outputs that do not form stride pairs', () => {
    assert.throws(() => nanodetLevels(outputs.slice(1), SIZE, SIZE, CLASSES), /NanoDet stride 8/);
    assert.throws(() => nanodetLevels(outputs, SIZE, SIZE, 5), /NanoDet stride 8/);
    assert.throws(() => nanodetLevels([...outputs, { data: new Float32Array(7), dims: [1, 7, 1] }], SIZE, SIZE, CLASSES), /do not match strides/);
  });
});
