import assert from 'node:assert/strict';
import sharp from 'sharp';
import { jpegSize } from '../../common/jpeg.js';
import { makeJpegSamples, type JpegSamples } from './jpeg-samples.js';

describe('jpegSize', () => {
  let s: JpegSamples;
  before(async () => {
    s = await makeJpegSamples();
  });

  it('reads baseline SOF0 sizes from ffmpeg and libjpeg-turbo JPEGs', () => {
    assert.deepEqual(jpegSize(s.vtest), { width: 768, height: 576 });
    assert.deepEqual(jpegSize(s.small[0]!), { width: 160, height: 120 });
    assert.deepEqual(jpegSize(s.restarts), { width: 320, height: 240 });
  });

  it('reads a progressive SOF2 header', () => {
    assert.equal(s.progressive.indexOf(Buffer.from([0xff, 0xc2])) > 0, true, 'sample is progressive');
    assert.deepEqual(jpegSize(s.progressive), { width: 200, height: 100 });
  });

  it('reads an extended sequential SOF1 header', async () => {
    const sof1 = Buffer.from(s.small[1]!);
    const at = sof1.indexOf(Buffer.from([0xff, 0xc0]));
    sof1[at + 1] = 0xc1; // same layout; 8-bit SOF1 is what some encoders write
    assert.equal((await sharp(sof1).raw().toBuffer({ resolveWithObject: true })).info.width, 160, 'still a decodable JPEG');
    assert.deepEqual(jpegSize(sof1), { width: 160, height: 120 });
  });

  it('gives the main image size, not that of an EXIF thumbnail that comes first', async () => {
    const meta = await sharp(s.exifThumbnail).metadata();
    assert.equal(meta.orientation, 1, 'sharp parses the EXIF block');
    assert.deepEqual([meta.width, meta.height], [640, 480]);
    assert.deepEqual(jpegSize(s.exifThumbnail), { width: 640, height: 480 });
  });

  it('skips fill bytes before markers', () => {
    const filled = Buffer.concat([s.small[0]!.subarray(0, 2), Buffer.from([0xff, 0xff, 0xff]), s.small[0]!.subarray(2)]);
    assert.deepEqual(jpegSize(filled), { width: 160, height: 120 });
  });

  it('rejects what is not a JPEG, or one cut before its SOF', async () => {
    const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#808080' } }).png().toBuffer();
    assert.throws(() => jpegSize(png), /no SOI/);
    assert.throws(() => jpegSize(Buffer.alloc(0)), /no SOI/);
    const sof = s.vtest.indexOf(Buffer.from([0xff, 0xc0]));
    assert.throws(() => jpegSize(s.vtest.subarray(0, sof + 4)), /no SOF/);
    const noSof = Buffer.concat([s.vtest.subarray(0, sof), s.vtest.subarray(sof + 2 + s.vtest.readUInt16BE(sof + 2))]);
    assert.throws(() => jpegSize(noSof), /no SOF/);
    assert.throws(() => jpegSize(Buffer.from([0xff, 0xd8, 0x12, 0x34, 0x56])), /no marker at byte 2/);
  });
});
