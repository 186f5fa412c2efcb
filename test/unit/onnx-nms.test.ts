import assert from 'node:assert/strict';
import { nms } from '../../processor/onnx/nms.js';
import { iou } from '../../common/boxes.js';
import type { Candidate } from '../../processor/onnx/candidate.js';

const box = (x1: number, y1: number, x2: number, y2: number, score: number, classId = 0): Candidate => ({ x1, y1, x2, y2, score, classId });

describe('NMS', () => {
  it('computes IoU', () => {
    assert.equal(iou(box(0, 0, 10, 10, 1), box(0, 0, 10, 10, 1)), 1);
    assert.equal(iou(box(0, 0, 10, 10, 1), box(5, 0, 15, 10, 1)), 50 / 150);
    assert.equal(iou(box(0, 0, 10, 10, 1), box(10, 0, 20, 10, 1)), 0);
  });

  it('drops a lower-scoring box overlapping a kept one of the same class above the threshold', () => {
    const a = box(0, 0, 10, 10, 0.6);
    const b = box(1, 0, 11, 10, 0.9); // IoU with a: 90 / 110 ≈ 0.82
    const c = box(50, 50, 60, 60, 0.7);
    assert.deepEqual(nms([a, b, c], 0.5), [b, c]);
    assert.deepEqual(nms([a, b, c], 0.85), [b, c, a]);
  });

  it('never suppresses across classes', () => {
    const person = box(0, 0, 10, 10, 0.9, 0);
    const bike = box(0, 0, 10, 10, 0.8, 1);
    assert.deepEqual(nms([bike, person], 0.45), [person, bike]);
  });

  it('lets a box survive when the box overlapping it was itself suppressed', () => {
    // b overlaps a (suppressed by a); c overlaps b but not a, so c stays.
    const a = box(0, 0, 10, 10, 0.9);
    const b = box(4, 0, 14, 10, 0.8);
    const c = box(8, 0, 18, 10, 0.7);
    assert.deepEqual(nms([c, b, a], 0.3), [a, c]);
  });

  it('caps the number of detections, best first', () => {
    const many = Array.from({ length: 10 }, (_, i) => box(i * 20, 0, i * 20 + 10, 10, i / 10));
    assert.deepEqual(nms(many, 0.5, 3).map((d) => d.score), [0.9, 0.8, 0.7]);
  });
});
