// Annotated JPEGs: the box outline of each track is where the track is, in the track's colour,
// over the untouched image.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { Frame__Output } from '../../common/gen/vsp/v1/Frame.js';
import type { Track__Output } from '../../common/gen/vsp/v1/Track.js';
import type { TrackedFrame__Output } from '../../common/gen/vsp/v1/TrackedFrame.js';
import { AnnotatedReport, annotateFrame, annotatedPath } from '../../consumer/reports/annotated.js';
import { trackColor, type Rgb } from '../../consumer/web/overlay-style.js';

const W = 200;
const H = 150;
const GREY: Rgb = [90, 90, 90];

async function greyFrame(encoding: 'JPEG' | 'PNG' | 'RGB24', seq = 1): Promise<Frame__Output> {
  const raw = Buffer.alloc(W * H * 3);
  for (let i = 0; i < raw.length; i += 3) raw.set(GREY, i);
  const input = sharp(raw, { raw: { width: W, height: H, channels: 3 } });
  const image = encoding === 'RGB24' ? raw : encoding === 'PNG' ? await input.png().toBuffer() : await input.jpeg({ quality: 95 }).toBuffer();
  return { cameraId: 'cam-1', seq, captureTime: null, sourceTime: null, width: W, height: H, encoding, image, attributes: {} };
}

function track(trackId: number, x1: number, y1: number, x2: number, y2: number, label = 'box'): Track__Output {
  return { trackId, x1, y1, x2, y2, classId: 0, label, score: 0.9 };
}

async function pixels(jpeg: Buffer): Promise<(x: number, y: number) => Rgb> {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual([info.width, info.height], [W, H]);
  return (x, y) => {
    const i = (y * W + x) * info.channels;
    return [data[i]!, data[i + 1]!, data[i + 2]!];
  };
}

function assertNear(actual: Rgb, expected: Rgb, what: string, tolerance = 24): void {
  const far = actual.some((v, i) => Math.abs(v - expected[i]!) > tolerance);
  assert.ok(!far, `${what}: got rgb(${actual.join(', ')}), expected about rgb(${expected.join(', ')})`);
}

describe('annotated JPEGs', () => {
  it('draws each box edge in its track colour and leaves the image elsewhere', async () => {
    const tracks = [track(3, 40, 50, 120, 110, 'person'), track(8, 140, 20, 190, 60, 'car')];
    const at = await pixels(await annotateFrame(await greyFrame('JPEG'), tracks));
    for (const t of tracks) {
      const color = trackColor(t.trackId);
      const [midX, midY] = [(t.x1 + t.x2) / 2, (t.y1 + t.y2) / 2];
      assertNear(at(t.x1, midY), color, `track ${t.trackId} left edge`);
      assertNear(at(t.x2, midY), color, `track ${t.trackId} right edge`);
      assertNear(at(midX, t.y2), color, `track ${t.trackId} bottom edge`);
      assertNear(at(midX, midY), GREY, `track ${t.trackId} inside`);
      assertNear(at(t.x1 - 6, midY), GREY, `track ${t.trackId} left of the box`);
    }
    // The tag `#3 person` sits above box 3, filled with its colour.
    assertNear(at(41, 50 - 2 - 14), trackColor(3), 'tag of track 3');
    assertNear(at(10, 140), GREY, 'far from every box');
  });

  it('puts the tag below a box that touches the top of the image', async () => {
    const at = await pixels(await annotateFrame(await greyFrame('PNG'), [track(5, 60, 2, 140, 40)]));
    assertNear(at(61, 40 + 6), trackColor(5), 'tag under the box');
    assertNear(at(100, 20), GREY, 'inside the box');
  });

  it('reads raw RGB24 frames', async () => {
    const at = await pixels(await annotateFrame(await greyFrame('RGB24'), [track(1, 20, 20, 80, 80)]));
    assertNear(at(20, 50), trackColor(1), 'left edge');
    assertNear(at(50, 50), GREY, 'inside');
  });

  it('escapes labels: markup in a label is drawn as text, not parsed', async () => {
    const jpeg = await annotateFrame(await greyFrame('JPEG'), [track(2, 20, 40, 80, 90, '</text><rect width="200" height="150" fill="red"/>&')]);
    const at = await pixels(jpeg);
    assertNear(at(150, 120), GREY, 'no injected red rectangle');
  });

  it('annotated:DIR writes DIR/<camera>/<seq padded to 6>.jpg per joined frame', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vsp-annotated-'));
    const report = new AnnotatedReport(dir);
    for (const seq of [1, 2, 1234567]) {
      const tracked = { cameraId: 'cam-1', seq, tracks: [track(4, 30, 30, 90, 90)] } as TrackedFrame__Output;
      report.addJoined(tracked, await greyFrame('JPEG', seq));
    }
    await report.close();
    assert.equal(annotatedPath(dir, 'cam-1', 2), path.join(dir, 'cam-1', '000002.jpg'));
    for (const name of ['000001.jpg', '000002.jpg', '1234567.jpg']) {
      const at = await pixels(readFileSync(path.join(dir, 'cam-1', name)));
      assertNear(at(30, 60), trackColor(4), `${name}: left edge of track 4`);
    }
  });

  it('keeps camera ids from leaving DIR', () => {
    assert.equal(annotatedPath('/out', '../etc', 1), path.join('/out', '.._etc', '000001.jpg'));
    assert.equal(annotatedPath('/out', '..', 1), path.join('/out', '_', '000001.jpg'));
    assert.equal(annotatedPath('/out', 'a/b', 1), path.join('/out', 'a_b', '000001.jpg'));
  });
});
