// Real JPEGs for the JPEG header and MJPEG splitter tests: ffmpeg's (kept in
// test/fixtures/jpeg, see its README) and sharp's (libjpeg-turbo, made here).
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

/** test/fixtures/jpeg, from dist/test/unit/ where this runs. */
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/jpeg/', import.meta.url));

export interface JpegSamples {
  /** A vtest.avi frame, 768x576, from ffmpeg's encoder. */
  vtest: Buffer;
  /** Three 160x120 test-pattern frames from ffmpeg. */
  small: Buffer[];
  /** 320x240 from ffmpeg with 4 slices: DRI and RST0-7 markers in the scan. */
  restarts: Buffer;
  /** 200x100 progressive (SOF2, several scans with DHT between them) from sharp. */
  progressive: Buffer;
  /** 640x480 with an EXIF APP1 holding a 32x24 JPEG thumbnail (its own SOI, SOF and EOI). */
  exifThumbnail: Buffer;
}

const fixture = (name: string) => readFile(`${FIXTURES}${name}`);

function noise(width: number, height: number, seed: number): Buffer {
  const rgb = Buffer.alloc(width * height * 3);
  let x = seed;
  for (let i = 0; i < rgb.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    rgb[i] = (x >>> 16) & 0xff;
  }
  return rgb;
}

/** An APP1 segment with a minimal big-endian TIFF: IFD0 (Orientation) and IFD1 pointing at `thumbnail`. */
export function exifApp1(thumbnail: Buffer): Buffer {
  const ifd0 = 8;
  const ifd1 = ifd0 + 2 + 12 + 4;
  const thumbAt = ifd1 + 2 + 3 * 12 + 4;
  const tiff = Buffer.alloc(thumbAt);
  tiff.write('MM', 0, 'latin1');
  tiff.writeUInt16BE(42, 2);
  tiff.writeUInt32BE(ifd0, 4);
  const entry = (at: number, tag: number, type: number, value: number) => {
    tiff.writeUInt16BE(tag, at);
    tiff.writeUInt16BE(type, at + 2);
    tiff.writeUInt32BE(1, at + 4);
    if (type === 3) tiff.writeUInt16BE(value, at + 8);
    else tiff.writeUInt32BE(value, at + 8);
  };
  tiff.writeUInt16BE(1, ifd0);
  entry(ifd0 + 2, 0x0112, 3, 1); // Orientation: normal
  tiff.writeUInt32BE(ifd1, ifd0 + 14);
  tiff.writeUInt16BE(3, ifd1);
  entry(ifd1 + 2, 0x0103, 3, 6); // Compression: JPEG
  entry(ifd1 + 14, 0x0201, 4, thumbAt); // JPEGInterchangeFormat
  entry(ifd1 + 26, 0x0202, 4, thumbnail.length); // JPEGInterchangeFormatLength
  tiff.writeUInt32BE(0, ifd1 + 38);
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff, thumbnail]);
  const header = Buffer.alloc(4);
  header.writeUInt16BE(0xffe1, 0);
  header.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([header, payload]);
}

export async function makeJpegSamples(): Promise<JpegSamples> {
  const [vtest, restarts, ...small] = await Promise.all(['vtest.jpg', 'restarts.jpg', 'small-1.jpg', 'small-2.jpg', 'small-3.jpg'].map(fixture));
  const progressive = await sharp(noise(200, 100, 1), { raw: { width: 200, height: 100, channels: 3 } })
    .jpeg({ progressive: true, quality: 85 })
    .toBuffer();
  const thumbnail = await sharp(noise(32, 24, 2), { raw: { width: 32, height: 24, channels: 3 } }).jpeg().toBuffer();
  const main = await sharp(noise(640, 480, 3), { raw: { width: 640, height: 480, channels: 3 } }).jpeg({ quality: 70 }).toBuffer();
  const exifThumbnail = Buffer.concat([main.subarray(0, 2), exifApp1(thumbnail), main.subarray(2)]);
  return { vtest: vtest!, small, restarts: restarts!, progressive, exifThumbnail };
}
