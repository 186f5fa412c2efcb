import assert from 'node:assert/strict';
import { decodeYolov5, decodeYolov8 } from '../../processor/onnx/decode-yolo.js';
import type { Candidate } from '../../processor/onnx/candidate.js';

interface Truth {
  cx: number;
  cy: number;
  w: number;
  h: number;
  classId: number;
  score: number;
}

const CLASSES = 3;
const ANCHORS = 6;

/** [B, 4 + C, N] with `truth[b]` placed at anchors 0.. of item b; other anchors score 0.01. */
function yolov8Tensor(truth: Truth[][]): { data: Float32Array; dims: number[] } {
  const data = new Float32Array(truth.length * (4 + CLASSES) * ANCHORS).fill(0.01);
  truth.forEach((boxes, b) =>
    boxes.forEach((t, n) => {
      const at = (ch: number): number => (b * (4 + CLASSES) + ch) * ANCHORS + n;
      [t.cx, t.cy, t.w, t.h].forEach((v, ch) => (data[at(ch)] = v));
      data[at(4 + t.classId)] = t.score;
    }),
  );
  return { data, dims: [truth.length, 4 + CLASSES, ANCHORS] };
}

/** [B, N, 5 + C]; objectness 0.9 and class probability score / 0.9 for the true boxes. */
function yolov5Tensor(truth: Truth[][]): { data: Float32Array; dims: number[] } {
  const data = new Float32Array(truth.length * ANCHORS * (5 + CLASSES)).fill(0.01);
  truth.forEach((boxes, b) =>
    boxes.forEach((t, n) => {
      const row = (b * ANCHORS + n) * (5 + CLASSES);
      data.set([t.cx, t.cy, t.w, t.h, 0.9], row);
      data[row + 5 + t.classId] = t.score / 0.9;
    }),
  );
  return { data, dims: [truth.length, ANCHORS, 5 + CLASSES] };
}

const item0: Truth[] = [{ cx: 100, cy: 50, w: 40, h: 20, classId: 2, score: 0.8 }];
const item1: Truth[] = [
  { cx: 320, cy: 240, w: 64, h: 128, classId: 0, score: 0.9 },
  { cx: 10, cy: 20, w: 8, h: 4, classId: 1, score: 0.6 },
  { cx: 500, cy: 400, w: 30, h: 30, classId: 2, score: 0.2 },
];

function near(actual: Candidate[], expected: Candidate[]): void {
  assert.equal(actual.length, expected.length, JSON.stringify(actual));
  actual.forEach((a, i) => {
    const e = expected[i]!;
    assert.equal(a.classId, e.classId);
    for (const k of ['x1', 'y1', 'x2', 'y2', 'score'] as const) assert.ok(Math.abs(a[k] - e[k]) < 1e-4, `${k}: ${a[k]} vs ${e[k]}`);
  });
}

for (const [name, decode, tensor] of [
  ['YOLOv8 [B, 4+C, N]', decodeYolov8, yolov8Tensor],
  ['YOLOv5 [B, N, 5+C]', decodeYolov5, yolov5Tensor],
] as const) {
  describe(`${name} output decoding`, () => {
    const out = tensor([item0, item1]);

    it('turns cx,cy,w,h into corners with the best class, for the requested batch item', () => {
      near(decode(out, 0, { score: 0.5, allowed: null }), [{ x1: 80, y1: 40, x2: 120, y2: 60, classId: 2, score: 0.8 }]);
      near(decode(out, 1, { score: 0.5, allowed: null }), [
        { x1: 288, y1: 176, x2: 352, y2: 304, classId: 0, score: 0.9 },
        { x1: 6, y1: 18, x2: 14, y2: 22, classId: 1, score: 0.6 },
      ]);
    });

    it('keeps boxes down to the score threshold', () => {
      assert.equal(decode(out, 1, { score: 0.15, allowed: null }).length, 3);
      assert.equal(decode(out, 1, { score: 0.95, allowed: null }).length, 0);
    });

    it('only reports allowed classes', () => {
      near(decode(out, 1, { score: 0.5, allowed: new Set([1]) }), [{ x1: 6, y1: 18, x2: 14, y2: 22, classId: 1, score: 0.6 }]);
      assert.deepEqual(decode(out, 0, { score: 0.5, allowed: new Set([0, 1]) }), []);
    });
  });
}

describe('YOLO output shape checks', () => {
  it('rejects tensors that are not the documented layout', () => {
    assert.throws(() => decodeYolov8({ data: new Float32Array(12), dims: [1, 12] }, 0, { score: 0.5, allowed: null }), /YOLOv8 output must be/);
    assert.throws(() => decodeYolov5({ data: new Float32Array(20), dims: [1, 5, 4] }, 0, { score: 0.5, allowed: null }), /YOLOv5 output must be/);
  });
});
