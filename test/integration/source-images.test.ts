import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import sharp from 'sharp';
import { parseSource } from '../../producer/sources/index.js';
import type { SourceFrame } from '../../producer/sources/types.js';

const log = pino({ level: 'silent' });

async function take(spec: string, opts: object, n = Infinity): Promise<SourceFrame[]> {
  const frames: SourceFrame[] = [];
  for await (const f of parseSource(spec, { log, ...opts }).frames(new AbortController().signal)) {
    frames.push(f);
    if (frames.length === n) break;
  }
  return frames;
}

const image = (width: number, height: number, shade: number) =>
  sharp({ create: { width, height, channels: 3, background: { r: shade, g: shade, b: shade } } });

describe('images: source', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vsp-images-'));
    await writeFile(join(dir, 'frame10.jpg'), await image(40, 30, 100).jpeg().toBuffer());
    await writeFile(join(dir, 'frame2.png'), await image(64, 48, 20).png().toBuffer());
    await writeFile(join(dir, 'frame1.jpg'), await image(40, 30, 10).jpeg().toBuffer());
    await writeFile(join(dir, 'frame3.JPEG'), await image(40, 30, 30).jpeg().toBuffer());
    await writeFile(join(dir, 'frame4.png'), await sharp({ create: { width: 8, height: 6, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0.5 } } }).png().toBuffer());
    await writeFile(join(dir, 'notes.txt'), 'not an image');
    await mkdir(join(dir, 'sub.jpg'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('yields JPEG and PNG files in natural name order, JPEGs untouched, PNGs as JPEG', async () => {
    const source = parseSource(`images:${dir}`, { log });
    assert.equal(source.live, false);
    const frames = await take(`images:${dir}`, {});
    assert.deepEqual(frames.map((f) => [f.width, f.height]), [[40, 30], [64, 48], [40, 30], [8, 6], [40, 30]]);
    assert.ok(frames[0]!.image.equals(await readFile(join(dir, 'frame1.jpg'))), 'JPEG passed through');
    assert.ok(frames[4]!.image.equals(await readFile(join(dir, 'frame10.jpg'))));
    for (const f of [frames[1]!, frames[3]!]) assert.equal((await sharp(f.image).metadata()).format, 'jpeg', 'PNG converted');
    const shade = async (f: SourceFrame) => (await sharp(f.image).stats()).channels[0]!.mean;
    assert.ok(Math.abs((await shade(frames[1]!)) - 20) < 3, 'the PNG picture survives conversion');
    assert.equal(frames.every((f) => f.sourceTimeNs === undefined), true);
  });

  it('starts again at the end with loop', async () => {
    const frames = await take(`images:${dir}`, { loop: true }, 12);
    assert.equal(frames.length, 12);
    assert.ok(frames[5]!.image.equals(frames[0]!.image) && frames[11]!.image.equals(frames[1]!.image));
  });

  it('paces at --fps with realtime', async () => {
    const started = performance.now();
    const frames = await take(`images:${dir}`, { loop: true, realtime: true, fps: 20 }, 11);
    assert.equal(frames.length, 11);
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 10 * 50 - 5, `11 frames at 20 fps span 500 ms, took ${elapsed.toFixed(0)} ms`);
  });

  it('fails clearly for a missing or empty folder, or a file that is not an image', async () => {
    await assert.rejects(take(`images:${join(dir, 'missing')}`, {}), /images:.*missing: cannot list the folder: ENOENT/);
    const empty = join(dir, 'sub.jpg');
    await assert.rejects(take(`images:${empty}`, {}), /no \.jpg, \.jpeg or \.png files/);
    const bad = await mkdtemp(join(tmpdir(), 'vsp-images-bad-'));
    try {
      await writeFile(join(bad, 'a.png'), 'not a png');
      await assert.rejects(take(`images:${bad}`, {}), /a\.png: .*unsupported image format/);
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
  });
});
