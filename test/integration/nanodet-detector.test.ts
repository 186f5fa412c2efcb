import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Detection, Detector, FrameDetections } from '../../processor/detector.js';
import { createOnnxDetector, defaultModelPath } from '../../processor/onnx/index.js';
import { VTEST_HEIGHT, VTEST_WIDTH, vtestFrame } from './onnx-frames.js';

/**
 * The people on each test frame, marked by eye (a point on each body, source pixels). The score
 * threshold is 0.5: at 0.35 this small model also calls two traffic cones persons (0.37-0.45).
 */
const PEOPLE: Record<number, [number, number][]> = {
  // Two standing mid-frame, a pair walking away, one on the right, one far away top-left, and
  // one standing behind the sign (legs and head only).
  100: [[356, 235], [393, 218], [505, 185], [527, 185], [601, 198], [231, 77], [437, 240]],
  // Walking: one left, one mid-left, one centre, two in front on the right, a pair at the top right.
  200: [[100, 185], [238, 230], [506, 182], [627, 312], [720, 300], [688, 125], [712, 128]],
  // Three walking in a row on the left, one in front of them, a pair on the right.
  300: [[200, 195], [262, 190], [307, 195], [333, 255], [597, 195], [629, 197]],
  // One mid-left, one far right, one in front on the right.
  400: [[286, 240], [602, 172], [712, 350]],
};

const people = (d: Detection[]): Detection[] => d.filter((x) => x.label === 'person');

function detections(r: FrameDetections | undefined): Detection[] {
  assert.ok(r && 'detections' in r, `expected detections, got ${JSON.stringify(r)}`);
  return r.detections;
}

/** How many marked points fall inside a person box of their own (one box per point). */
function matched(points: [number, number][], boxes: Detection[]): number {
  const free = [...boxes];
  return points.filter(([x, y]) => {
    const i = free.findIndex((b) => b.x1 <= x && x <= b.x2 && b.y1 <= y && y <= b.y2);
    if (i >= 0) free.splice(i, 1);
    return i >= 0;
  }).length;
}

describe('ONNX detector with the default NanoDet-m model', function () {
  this.timeout(120_000);
  let detector: Detector;
  const options = { format: 'nanodet', device: 'cpu', score: 0.5, iou: 0.45, maxBatch: 4, maxDelayMs: 5, threads: 2 } as const;

  before(async () => {
    detector = await createOnnxDetector({ ...options, model: await defaultModelPath() });
  });

  after(async () => {
    await detector?.close();
  });

  it('describes itself: COCO labels, 416x416 input, the batch limit asked for', () => {
    const { name, labels, inputWidth, inputHeight, maxBatch } = detector.info;
    assert.deepEqual([name, labels.length, labels[0], inputWidth, inputHeight, maxBatch], ['onnx-nanodet', 80, 'person', 416, 416, 4]);
  });

  for (const [n, points] of Object.entries(PEOPLE)) {
    it(`finds the ${points.length} people on frame ${n} of vtest.avi (±1), boxes in source pixels`, async () => {
      const [result] = await detector.detect([vtestFrame(Number(n))]);
      const all = detections(result);
      const found = people(all);
      assert.ok(Math.abs(found.length - points.length) <= 1, `found ${found.length} people: ${JSON.stringify(found)}`);
      assert.ok(matched(points, found) >= points.length - 1, `marked people not covered: ${JSON.stringify(found)}`);
      for (const d of all) {
        assert.ok(0 <= d.x1 && d.x1 < d.x2 && d.x2 <= VTEST_WIDTH && 0 <= d.y1 && d.y1 < d.y2 && d.y2 <= VTEST_HEIGHT, JSON.stringify(d));
        assert.ok(d.score >= options.score && d.score <= 1);
        assert.equal(d.label, detector.info.labels[d.classId]);
      }
    });
  }

  it('gives the same detections for the four frames in one call, in concurrent calls and one by one', async () => {
    const frames = Object.keys(PEOPLE).map((n) => vtestFrame(Number(n)));
    const alone: FrameDetections[] = [];
    for (const f of frames) alone.push(...(await detector.detect([f])));
    const together = await detector.detect(frames);
    const concurrent = (await Promise.all(frames.map((f) => detector.detect([f])))).flat();
    // Batched kernels may round differently from single-frame ones, hence the small tolerance.
    const same = (a: FrameDetections[], b: FrameDetections[]): void =>
      a.forEach((r, i) => {
        const [x, y] = [detections(r), detections(b[i])];
        assert.equal(x.length, y.length, `frame ${i}`);
        x.forEach((d, k) => {
          const e = y[k]!;
          assert.equal(d.classId, e.classId);
          for (const key of ['x1', 'y1', 'x2', 'y2', 'score'] as const) assert.ok(Math.abs(d[key] - e[key]) < 1e-2, `frame ${i} box ${k} ${key}`);
        });
      });
    same(together, alone);
    same(concurrent, alone);
  });

  it('answers a corrupt image with an error for that frame only', async () => {
    const jpeg = readFileSync(new URL('../../../test/fixtures/frames/vtest-200.jpg', import.meta.url));
    const frames = [vtestFrame(100), vtestFrame(200, Buffer.from('not an image at all')), vtestFrame(200, jpeg.subarray(0, jpeg.length / 3)), vtestFrame(400)];
    const results = await detector.detect(frames);
    assert.equal(results.length, 4);
    for (const i of [1, 2]) {
      const r = results[i]!;
      assert.ok('error' in r && r.error.startsWith('cannot decode image'), JSON.stringify(r));
    }
    assert.equal(people(detections(results[0])).length, people(detections((await detector.detect([vtestFrame(100)]))[0])).length);
    assert.ok(Math.abs(people(detections(results[3])).length - PEOPLE[400]!.length) <= 1);
  });

  it('reports only the classes asked for', async () => {
    const carsOnly = await createOnnxDetector({ ...options, model: await defaultModelPath(), classes: ['car', 'truck'] });
    try {
      const found = detections((await carsOnly.detect([vtestFrame(100)]))[0]);
      assert.ok(found.length > 0, 'the parked van and car');
      assert.ok(found.every((d) => d.label === 'car' || d.label === 'truck'), JSON.stringify(found));
    } finally {
      await carsOnly.close();
    }
  });

  it('refuses class names the model does not have', async () => {
    await assert.rejects(createOnnxDetector({ ...options, model: await defaultModelPath(), classes: ['person', 'unicorn'] }), /unknown classes: unicorn/);
  });
});
