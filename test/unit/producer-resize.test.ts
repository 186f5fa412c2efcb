import assert from 'node:assert/strict';
import sharp from 'sharp';
import { downscale, scaledSize } from '../../producer/resize.js';

describe('producer downscaling', () => {
  const src = { width: 768, height: 576 };

  it('one limit: that side, the other by the aspect ratio', () => {
    assert.deepEqual(scaledSize(src, { width: 384 }), { width: 384, height: 288 });
    assert.deepEqual(scaledSize(src, { height: 150 }), { width: 200, height: 150 });
    assert.deepEqual(scaledSize({ width: 1001, height: 3 }, { width: 100 }), { width: 100, height: 1 }, 'never 0');
  });

  it('both limits: exactly that size', () => {
    assert.deepEqual(scaledSize(src, { width: 320, height: 320 }), { width: 320, height: 320 });
  });

  it('never upscales', () => {
    assert.deepEqual(scaledSize(src, { width: 1536 }), src);
    assert.deepEqual(scaledSize(src, { height: 576 }), src);
    assert.deepEqual(scaledSize(src, { width: 1000, height: 288 }), { width: 768, height: 288 }, 'each side capped');
    assert.deepEqual(scaledSize(src, {}), src);
  });

  it('re-encodes only a frame that shrinks', async () => {
    const image = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#336699' } }).jpeg().toBuffer();
    const frame = { image, width: 64, height: 48, sourceTimeNs: 5n };
    assert.equal(await downscale(frame, { width: 64 }), frame);
    const small = await downscale(frame, { width: 32 });
    assert.deepEqual([small.width, small.height, small.sourceTimeNs], [32, 24, 5n]);
    const meta = await sharp(small.image).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 32, 24]);
  });
});
