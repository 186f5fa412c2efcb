import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../../common/log.js';
import type { Detection, FrameDetections } from '../../processor/detector.js';
import { createOnnxDetector } from '../../processor/onnx/index.js';
import { OnnxGraph, attr } from '../../processor/onnx/onnx-builder.js';
import { vtestFrame } from './onnx-frames.js';

const SIZE = 640;
const ANCHORS = 10;
const CAR = 2;

/**
 * A stand-in for an Ultralytics export: input [batch, 3, 640, 640], one output holding the same
 * predictions for every image (expanded to the input's batch, or fixed at batch 1).
 */
function stubModel(file: string, predictions: Float32Array, dims: [number, number], dynamicBatch: boolean): string {
  const g = new OnnxGraph();
  g.input('images', 'float32', [dynamicBatch ? 'batch' : 1, 3, SIZE, SIZE]);
  const preds = g.initializer('preds', 'float32', [1, ...dims], predictions);
  if (dynamicBatch) {
    const batch = g.op('Shape', ['images'], 'batch', [attr.int('start', 0), attr.int('end', 1)]);
    const shape = g.op('Concat', [batch, g.initializer('rest', 'int64', [2], dims)], 'shape', [attr.int('axis', 0)]);
    g.node('Expand', [preds, shape], ['output0']);
  } else {
    g.node('Identity', [preds], ['output0']);
  }
  g.output('output0', 'float32', [dynamicBatch ? 'batch' : 1, ...dims]);
  writeFileSync(file, g.encode({ producer: 'test', doc: 'stub' }));
  return file;
}

// One car at cx,cy = 320,320, 64x96, in the 640x640 letterboxed input. A 768x576 frame becomes
// 640x480 at y = 80..560 (scale 5/6), so in source pixels the car spans x 345.6-422.4, y 230.4-345.6.
const BOX = { cx: 320, cy: 320, w: 64, h: 96 };
const IN_SOURCE = { x1: 345.6, y1: 230.4, x2: 422.4, y2: 345.6 };

function yolov8Predictions(): Float32Array {
  const p = new Float32Array((4 + 80) * ANCHORS);
  [BOX.cx, BOX.cy, BOX.w, BOX.h].forEach((v, ch) => (p[ch * ANCHORS + 3] = v));
  p[(4 + CAR) * ANCHORS + 3] = 0.9;
  return p;
}

function yolov5Predictions(): Float32Array {
  const p = new Float32Array(ANCHORS * (5 + 80));
  p.set([BOX.cx, BOX.cy, BOX.w, BOX.h, 0.95], 3 * 85);
  p[3 * 85 + 5 + CAR] = 0.9 / 0.95;
  return p;
}

function only(results: FrameDetections[]): Detection {
  assert.equal(results.length, 1);
  const r = results[0]!;
  assert.ok('detections' in r && r.detections.length === 1, JSON.stringify(r));
  return r.detections[0]!;
}

describe('ONNX detector on YOLO-layout models (stub models with known outputs)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vsp-yolo-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const options = { device: 'cpu', score: 0.5, iou: 0.45, maxBatch: 4, maxDelayMs: 5, threads: 1 } as const;

  for (const [format, predictions, dims] of [
    ['yolov8', yolov8Predictions(), [84, ANCHORS]],
    ['yolov5', yolov5Predictions(), [ANCHORS, 85]],
  ] as const) {
    it(`${format}: letterboxes the frame and maps the model's box back to source pixels`, async () => {
      const model = stubModel(path.join(dir, `${format}.onnx`), predictions, [...dims], true);
      const detector = await createOnnxDetector({ ...options, model, format });
      try {
        assert.deepEqual([detector.info.inputWidth, detector.info.inputHeight, detector.info.labels.length], [SIZE, SIZE, 80]);
        const car = only(await detector.detect([vtestFrame(200)]));
        assert.deepEqual([car.classId, car.label], [CAR, 'car']);
        assert.ok(Math.abs(car.score - 0.9) < 1e-5);
        for (const k of ['x1', 'y1', 'x2', 'y2'] as const) assert.ok(Math.abs(car[k] - IN_SOURCE[k]) < 1e-3, `${k}: ${car[k]} vs ${IN_SOURCE[k]}`);
      } finally {
        await detector.close();
      }
    });
  }

  it('uses labels given for a model with other classes, and rejects a wrong count', async () => {
    const model = stubModel(path.join(dir, 'two-classes.onnx'), new Float32Array(6 * ANCHORS), [6, ANCHORS], true);
    const detector = await createOnnxDetector({ ...options, model, format: 'yolov8', labels: ['helmet', 'vest'] });
    assert.deepEqual(detector.info.labels, ['helmet', 'vest']);
    await detector.close();
    await assert.rejects(createOnnxDetector({ ...options, model, format: 'yolov8', labels: ['helmet'] }), /1 labels given for a model with 2 classes/);
  });

  it('batches no more than a model exported with a fixed batch of 1 takes, and says so', async () => {
    const model = stubModel(path.join(dir, 'batch1.onnx'), yolov8Predictions(), [84, ANCHORS], false);
    const warnings: string[] = [];
    const logger = { warn: (_o: unknown, msg: string) => warnings.push(msg) } as unknown as Logger;
    const detector = await createOnnxDetector({ ...options, model, format: 'yolov8', logger });
    try {
      assert.equal(detector.info.maxBatch, 1);
      assert.match(warnings.join('\n'), /fixed batch size; batching at most 1 frames/);
      const results = await detector.detect([vtestFrame(100), vtestFrame(300)]);
      assert.deepEqual(results.map((r) => ('detections' in r ? r.detections.map((d) => d.label) : r.error)), [['car'], ['car']]);
    } finally {
      await detector.close();
    }
  });

  it('refuses a model whose output is not the format asked for', async () => {
    const model = stubModel(path.join(dir, 'v8-as-nanodet.onnx'), yolov8Predictions(), [84, ANCHORS], true);
    await assert.rejects(createOnnxDetector({ ...options, model, format: 'nanodet' }), /NanoDet/);
  });
});
