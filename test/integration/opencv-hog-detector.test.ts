// `--impl opencv-hog` on real street frames (vtest.avi) with the real OpenCV binding. Fails, never
// skips, when OpenCV is missing: .ci/run installs libopencv-dev before npm ci builds the binding.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { createEndpoint } from '../../broker/processor-endpoints.js';
import { FrameCodec } from '../../common/proto.js';
import type { Detection, Detector, FrameDetections } from '../../processor/detector.js';
import { createOpenCvHogDetector } from '../../processor/opencv-hog-detector.js';
import { REPO, stopAll, vspRun } from '../helpers/processes.js';
import { startProcessor } from '../helpers/pipeline.js';
import { VTEST_HEIGHT, VTEST_WIDTH, vtestFrame } from './onnx-frames.js';

/** The people on each frame, a point on each body (source pixels), as in nanodet-detector.test.ts. */
const PEOPLE: Record<number, [number, number][]> = {
  100: [[356, 235], [393, 218], [505, 185], [527, 185], [601, 198], [231, 77], [437, 240]],
  200: [[100, 185], [238, 230], [506, 182], [627, 312], [720, 300], [688, 125], [712, 128]],
  300: [[200, 195], [262, 190], [307, 195], [333, 255], [597, 195], [629, 197]],
  400: [[286, 240], [602, 172], [712, 350]],
};

/** What HOG finds on each frame (see docs/opencv.md for which people it misses and why). */
const EXPECTED: Record<number, number> = { 100: 6, 200: 7, 300: 6, 400: 3 };

function detections(r: FrameDetections | undefined): Detection[] {
  assert.ok(r && 'detections' in r, `expected detections, got ${JSON.stringify(r)}`);
  return r.detections;
}

const inside = ([x, y]: [number, number], b: Detection) => b.x1 <= x && x <= b.x2 && b.y1 <= y && y <= b.y2;

describe('opencv-hog detector (OpenCV HOG + default people SVM)', function () {
  this.timeout(120_000);
  let detector: Detector;

  before(async () => {
    detector = await createOpenCvHogDetector();
  });
  after(async () => {
    await detector?.close();
    await stopAll();
  });

  it('describes itself: one label, any input size', () => {
    const { name, labels, inputWidth, inputHeight, version } = detector.info;
    assert.deepEqual([name, labels, inputWidth, inputHeight], ['opencv-hog', ['person'], 0, 0]);
    assert.match(version, /OpenCV 4\.\d+\.\d+/);
  });

  for (const [n, points] of Object.entries(PEOPLE)) {
    it(`finds people on frame ${n} of vtest.avi, each box on a marked person, in source pixels`, async () => {
      const found = detections((await detector.detect([vtestFrame(Number(n))]))[0]);
      assert.equal(found.length, EXPECTED[Number(n)], JSON.stringify(found));
      for (const d of found) {
        assert.ok(0 <= d.x1 && d.x1 < d.x2 && d.x2 <= VTEST_WIDTH && 0 <= d.y1 && d.y1 < d.y2 && d.y2 <= VTEST_HEIGHT, JSON.stringify(d));
        assert.ok(d.score > 0.5 && d.score <= 1, JSON.stringify(d));
        assert.deepEqual([d.classId, d.label], [0, 'person']);
        const on = points.filter((p) => inside(p, d));
        assert.equal(on.length, 1, `box ${JSON.stringify(d)} should hold exactly one marked person, holds ${JSON.stringify(on)}`);
      }
    });
  }

  it('answers a raw RGB24 frame like the JPEG it was decoded from', async () => {
    const jpeg = vtestFrame(300);
    const { data, info } = await sharp(jpeg.image).raw().toBuffer({ resolveWithObject: true });
    const raw = { ...jpeg, encoding: 'RGB24' as const, width: info.width, height: info.height, image: data };
    const [a, b] = await detector.detect([jpeg, raw]);
    assert.deepEqual(detections(b), detections(a));
  });

  it('answers a corrupt image with an error for that frame only', async () => {
    const jpeg = readFileSync(path.join(REPO, 'test/fixtures/frames/vtest-200.jpg'));
    const results = await detector.detect([vtestFrame(100), vtestFrame(200, Buffer.from('not an image at all')), vtestFrame(200, jpeg.subarray(0, jpeg.length / 3)), vtestFrame(400)]);
    assert.equal(results.length, 4);
    for (const i of [1, 2]) assert.match(JSON.stringify(results[i]), /^\{"error":"cannot decode image: /);
    assert.equal(detections(results[0]).length, EXPECTED[100]);
    assert.equal(detections(results[3]).length, EXPECTED[400]);
  });

  it('is served by `vsp processor --impl opencv-hog` over gRPC', async () => {
    const { address } = await startProcessor(['--impl', 'opencv-hog']);
    const endpoint = createEndpoint(address, 1);
    try {
      assert.equal(await endpoint.describe(10_000), 'opencv-hog');
      const [result] = await endpoint.process([FrameCodec.encode(vtestFrame(400))], 30_000);
      assert.deepEqual([result?.cameraId, result?.seq, result?.error, result?.detections.length], ['vtest', 400, '', EXPECTED[400]]);
    } finally {
      endpoint.client.close();
    }
  });

  it('fails fast with one line when OpenCV is not installed', async () => {
    // Resolving the binding fails as it does when npm left it out (a module loader hook).
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vsp-no-opencv-'));
    writeFileSync(path.join(dir, 'hook.mjs'), `export async function resolve(s, c, next) {
  if (s === '@u4/opencv4nodejs') throw Object.assign(new Error('Cannot find package'), { code: 'ERR_MODULE_NOT_FOUND' });
  return next(s, c);
}\n`);
    writeFileSync(path.join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(path.join(dir, 'hook.mjs')).href)});\n`);
    const r = await vspRun(['processor', '--impl', 'opencv-hog', '--port', '0'], { NODE_OPTIONS: `--import=${pathToFileURL(path.join(dir, 'register.mjs')).href}` });
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'vsp: OpenCV is not installed: apt-get install libopencv-dev, then npm ci (see docs/opencv.md)\n');
  });
});
