import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { renderFrame } from '../../common/synthetic/render.js';
import { lastMotFrame, motBlankSource, motCameraId } from '../../producer/sources/mot-blank.js';
import { parseSyntheticSpec, syntheticSource } from '../../producer/sources/synthetic.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures');

async function collect<T>(frames: AsyncIterable<T>, abortAfter?: { count: number; controller: AbortController }): Promise<T[]> {
  const out: T[] = [];
  for await (const f of frames) {
    out.push(f);
    if (out.length === abortAfter?.count) abortAfter.controller.abort();
  }
  return out;
}

describe('synthetic source', () => {
  it('parses synthetic and synthetic:WxH', () => {
    assert.deepEqual(parseSyntheticSpec('synthetic'), { width: 640, height: 480 });
    assert.deepEqual(parseSyntheticSpec('synthetic:1280x720'), { width: 1280, height: 720 });
  });

  it('rejects malformed or unusable specs, naming the spec', () => {
    for (const spec of ['synthetic:', 'synthetic:640', 'synthetic:640x', 'synthetic:x480', 'synthetic:640X480', 'synthetic:-640x480', 'synth', 'synthetic640x480']) {
      assert.throws(() => parseSyntheticSpec(spec), new RegExp(`^Error: bad source '${spec}': expected synthetic or synthetic:WIDTHxHEIGHT`));
    }
    assert.throws(() => parseSyntheticSpec('synthetic:640x80'), /^Error: bad source 'synthetic:640x80': synthetic scene: 3 objects need a height of at least 87, got 80$/);
    assert.throws(() => parseSyntheticSpec('synthetic:0x480'), /^Error: bad source 'synthetic:0x480': synthetic scene: width must be an integer in 1\.\.16384, got 0$/);
  });

  it('yields the rendered frames 1..frames, then ends', async () => {
    const source = syntheticSource({ width: 320, height: 240, seed: 5, frames: 4 });
    assert.equal(source.description, 'synthetic:320x240 seed=5');
    assert.equal(source.live, false);
    const frames = await collect(source.frames(new AbortController().signal));
    assert.equal(frames.length, 4);
    for (const [i, f] of frames.entries()) {
      assert.equal(f.width, 320);
      assert.equal(f.height, 240);
      assert.ok(f.image.equals(await renderFrame({ width: 320, height: 240, seed: 5 }, i + 1)), `frame ${i + 1}`);
    }
  });

  it('stops when aborted, without a frame limit', async () => {
    const controller = new AbortController();
    const frames = await collect(syntheticSource({ width: 320, height: 240, seed: 1 }).frames(controller.signal), { count: 3, controller });
    assert.equal(frames.length, 3);
  });

  it('stops when aborted while waiting for the next frame at the set rate', async () => {
    const controller = new AbortController();
    // At 0.001 fps the second frame is due in 1000 s: only the abort can end this.
    const frames = await collect(syntheticSource({ width: 320, height: 240, seed: 1, fps: 0.001 }).frames(controller.signal), { count: 1, controller });
    assert.equal(frames.length, 1);
  });

  it('rejects bad frame counts and rates', () => {
    assert.throws(() => syntheticSource({ width: 320, height: 240, seed: 1, frames: -1 }), /frames must be an integer >= 0, got -1/);
    assert.throws(() => syntheticSource({ width: 320, height: 240, seed: 1, fps: -5 }), /fps must be a finite number >= 0, got -5/);
    assert.throws(() => syntheticSource({ width: 20, height: 240, seed: 1 }), /width must be at least 96/);
  });
});

describe('mot-blank source', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vsp-synthetic-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('names the camera after the file', () => {
    assert.equal(motCameraId('test/fixtures/mot15/det/TUD-Campus.txt'), 'TUD-Campus');
    assert.equal(motCameraId('/x/cam.v2.txt'), 'cam.v2');
    assert.equal(motCameraId('plain'), 'plain');
  });

  it('yields one shared 64x48 blank JPEG per frame number up to the last in the file', async () => {
    const file = path.join(dir, 'cam-1.txt');
    // Out of order, frames missing, CRLF and blank lines: still frames 1..7.
    await writeFile(file, '3,-1,1,2,30,40,0.9,-1,-1,-1\r\n7,-1,5,5,10,10,0.5,-1,-1,-1\r\n\r\n2,-1,1,1,1,1,1,-1,-1,-1\n');
    const source = motBlankSource(file);
    assert.equal(source.description, `mot:${file}`);
    assert.equal(source.live, false);
    const frames = await collect(source.frames(new AbortController().signal));
    assert.equal(frames.length, 7);
    for (const f of frames) {
      assert.equal(f.image, frames[0]?.image);
      assert.deepEqual([f.width, f.height], [64, 48]);
    }
    const meta = await sharp(frames[0]?.image).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 64, 48]);
    // Mid-grey everywhere (the image is kept as bytes: mot-blank.ts needs no image library).
    const { data, info } = await sharp(frames[0]?.image).raw().toBuffer({ resolveWithObject: true });
    assert.equal(info.channels, 3);
    assert.deepEqual(new Set(data), new Set([128]));
  });

  it('yields as many frames as the last frame number of a real MOT15 file', async () => {
    const frames = await collect(motBlankSource(path.join(FIXTURES, 'mot15/det/TUD-Campus.txt')).frames(new AbortController().signal));
    assert.equal(frames.length, 71);
  });

  it('yields nothing for an empty file and stops when aborted', async () => {
    const empty = path.join(dir, 'empty.txt');
    await writeFile(empty, '');
    assert.equal((await collect(motBlankSource(empty).frames(new AbortController().signal))).length, 0);
    const controller = new AbortController();
    const frames = await collect(motBlankSource(path.join(FIXTURES, 'mot15/det/TUD-Campus.txt')).frames(controller.signal), { count: 5, controller });
    assert.equal(frames.length, 5);
  });

  it('rejects a line without a frame number, naming file and line', () => {
    assert.equal(lastMotFrame('1,2\n12,3\n4,5', 'a.txt'), 12);
    assert.throws(() => lastMotFrame('1,2\nframe,id\n', 'a.txt'), /^Error: a\.txt:2: expected a frame number, got 'frame'$/);
    assert.throws(() => lastMotFrame('0,1\n', 'a.txt'), /^Error: a\.txt:1: expected a frame number, got '0'$/);
    assert.throws(() => lastMotFrame('2.5,1\n', 'a.txt'), /^Error: a\.txt:1: expected a frame number, got '2.5'$/);
  });
});
