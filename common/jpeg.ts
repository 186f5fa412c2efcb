// JPEG header reading (pure, no decoding): the image size comes from the frame's own SOF header, never
// from what the camera was asked for, since cameras and ffmpeg may pick another mode.

/** Marker codes (the byte after 0xFF) this project needs by name. */
export const SOI = 0xd8;
export const EOI = 0xd9;
export const SOS = 0xda;

/** Markers with no length field after them: TEM, RST0-7, SOI, EOI. */
export function isStandaloneMarker(code: number): boolean {
  return code === 0x01 || (code >= 0xd0 && code <= 0xd9);
}

/** SOF0-SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not. */
export function isStartOfFrame(code: number): boolean {
  return code >= 0xc0 && code <= 0xcf && code !== 0xc4 && code !== 0xc8 && code !== 0xcc;
}

export interface JpegSize {
  width: number;
  height: number;
}

/**
 * Width and height from the first SOF segment, found by walking segment lengths (so an EXIF
 * thumbnail's own SOF inside APP1 is skipped). Throws when the bytes are not a JPEG with a
 * usable SOF before the first scan.
 */
export function jpegSize(jpeg: Buffer): JpegSize {
  if (jpeg.length < 4 || jpeg.readUInt16BE(0) !== 0xff00 + SOI) throw new Error('not a JPEG: no SOI marker');
  let pos = 2;
  while (pos + 1 < jpeg.length) {
    if (jpeg.readUInt8(pos) !== 0xff) throw new Error(`not a JPEG: no marker at byte ${pos}`);
    const code = jpeg.readUInt8(pos + 1);
    if (code === 0xff) {
      pos += 1; // fill byte before a marker
      continue;
    }
    if (isStandaloneMarker(code)) {
      if (code === EOI) break;
      pos += 2;
      continue;
    }
    if (code === SOS) break;
    if (pos + 4 > jpeg.length) break;
    const length = jpeg.readUInt16BE(pos + 2);
    if (isStartOfFrame(code)) {
      if (pos + 9 > jpeg.length) break;
      const height = jpeg.readUInt16BE(pos + 5);
      const width = jpeg.readUInt16BE(pos + 7);
      // Height 0 means "defined later by a DNL marker", which no camera here produces.
      if (width === 0 || height === 0) throw new Error(`JPEG header gives a ${width}x${height} image`);
      return { width, height };
    }
    if (length < 2) throw new Error(`not a JPEG: bad segment length at byte ${pos}`);
    pos += 2 + length;
  }
  throw new Error('not a JPEG: no SOF header before the image data');
}
