import assert from 'node:assert/strict';
import sharp from 'sharp';
import type { Frame__Output } from '../../common/gen/vsp/v1/Frame.js';
import { findBoxes } from '../../common/synthetic/find-boxes.js';
import { renderFrame } from '../../common/synthetic/render.js';
import { BACKGROUND, PALETTE, SCENE_LABELS, sceneAt, type Rgb, type SceneParams } from '../../common/synthetic/scene.js';
import type { Detection } from '../../processor/detector.js';
import { createSyntheticDetector } from '../../processor/synthetic-detector.js';
import { iou } from '../../common/boxes.js';

function frame(image: Buffer, seq = 1): Frame__Output {
  return { cameraId: 'cam', seq, captureTime: null, sourceTime: null, width: 0, height: 0, encoding: 'JPEG', image, attributes: {} };
}

/** Raw RGB image of the background with the given filled rectangles. */
function raw(width: number, height: number, rects: { color: Rgb; x1: number; y1: number; x2: number; y2: number }[]) {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const r = rects.find((q) => x >= q.x1 && x < q.x2 && y >= q.y1 && y < q.y2);
      data.set(r ? r.color : BACKGROUND, (y * width + x) * 3);
    }
  }
  return { data, width, height, channels: 3 };
}

const red = PALETTE[0]?.color as Rgb;
const cyan = PALETTE[5]?.color as Rgb;

describe('synthetic box finder (raw pixels)', () => {
  it('finds nothing on the plain background', () => {
    assert.deepEqual(findBoxes(raw(64, 48, [])), []);
  });

  it('finds exact boxes of palette rectangles, touching the image edges or not', () => {
    const boxes = findBoxes(raw(120, 90, [
      { color: red, x1: 0, y1: 0, x2: 24, y2: 30 },
      { color: cyan, x1: 50, y1: 40, x2: 120, y2: 90 },
    ]));
    assert.deepEqual(boxes, [
      { classId: 0, x1: 0, y1: 0, x2: 24, y2: 30, fill: 1 },
      { classId: 5, x1: 50, y1: 40, x2: 120, y2: 90, fill: 1 },
    ]);
  });

  it('ignores specks below the blob size and colours outside the palette', () => {
    const boxes = findBoxes(raw(96, 96, [
      { color: red, x1: 6, y1: 6, x2: 9, y2: 9 },
      { color: [128, 128, 128], x1: 30, y1: 30, x2: 90, y2: 90 },
    ]));
    assert.deepEqual(boxes, []);
  });

  it('finds nothing in a greyscale image', () => {
    assert.deepEqual(findBoxes({ data: new Uint8Array(64 * 48).fill(200), width: 64, height: 48, channels: 1 }), []);
  });
});

describe('synthetic detector', () => {
  const detector = createSyntheticDetector();
  after(() => detector.close());

  it('describes itself with the scene labels and takes any input size', () => {
    assert.equal(detector.info.name, 'synthetic');
    assert.deepEqual(detector.info.labels, SCENE_LABELS);
    assert.equal(detector.info.inputWidth, 0);
    assert.equal(detector.info.inputHeight, 0);
  });

  const cases: [SceneParams, number][] = [
    [{ width: 640, height: 480, seed: 1 }, 50],
    [{ width: 1280, height: 720, seed: 2 }, 50],
    [{ width: 640, height: 480, seed: 3, objects: 8 }, 20],
  ];
  for (const [params, count] of cases) {
    it(`finds every object of ${count} rendered ${params.width}x${params.height} frames (${params.objects ?? 3} objects), IoU >= 0.95, nothing else`, async () => {
      const seqs = Array.from({ length: count }, (_, i) => 1 + i * 7);
      const images = await Promise.all(seqs.map((seq) => renderFrame(params, seq)));
      const results = await detector.detect(images.map((image, i) => frame(image, seqs[i])));
      assert.equal(results.length, count);
      results.forEach((result, i) => {
        assert.ok('detections' in result, `seq ${seqs[i]}: ${JSON.stringify(result)}`);
        const objects = sceneAt(params, seqs[i] as number);
        assert.equal(result.detections.length, objects.length, `seq ${seqs[i]}: ${JSON.stringify(result.detections)}`);
        for (const o of objects) {
          const d = result.detections.find((x) => x.classId === o.classId) as Detection;
          assert.ok(d, `seq ${seqs[i]}: object ${o.id} (${o.label}) not found`);
          assert.equal(d.label, o.label);
          assert.ok(iou(d, o) >= 0.95, `seq ${seqs[i]}: ${JSON.stringify(d)} vs ${JSON.stringify(o)}`);
          assert.ok(d.score > 0.9 && d.score <= 1, `seq ${seqs[i]}: score ${d.score}`);
        }
      });
    });
  }

  it('gives an error for each undecodable frame and still detects the others', async () => {
    const params = { width: 640, height: 480, seed: 4 };
    const good = await renderFrame(params, 1);
    const results = await detector.detect([
      frame(Buffer.from('not a jpeg')),
      frame(good),
      frame(good.subarray(0, good.length >> 1)),
      frame(Buffer.alloc(0)),
    ]);
    assert.equal(results.length, 4);
    for (const i of [0, 2, 3]) {
      const r = results[i];
      assert.ok(r && 'error' in r && r.error.startsWith('cannot decode image: '), `frame ${i}: ${JSON.stringify(r)}`);
    }
    const ok = results[1];
    assert.ok(ok && 'detections' in ok);
    assert.equal(ok.detections.length, 3);
  });

  it('reports boxes in the pixels of the decoded image, whatever size the frame claims', async () => {
    // A PNG too: the detector reads what sharp decodes, not the Frame's width/height/encoding.
    const png = await sharp(Buffer.from(raw(100, 80, [{ color: cyan, x1: 10, y1: 20, x2: 60, y2: 70 }]).data), {
      raw: { width: 100, height: 80, channels: 3 },
    }).png().toBuffer();
    const [result] = await detector.detect([frame(png)]);
    assert.deepEqual(result, { detections: [{ x1: 10, y1: 20, x2: 60, y2: 70, score: 1, classId: 5, label: 'box-cyan' }] });
  });
});
