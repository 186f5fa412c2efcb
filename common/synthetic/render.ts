// Draws a frame of the synthetic scene into a raw RGB buffer and encodes it as JPEG.
import { loadSharp } from '../sharp.js';
import { BACKGROUND, sceneAt, type Rgb, type SceneObject, type SceneParams } from './scene.js';

const JPEG_QUALITY = 85;

/** The JPEG of frame `seq` of the scene. */
export async function renderFrame(params: SceneParams, seq: number): Promise<Buffer> {
  const sharp = await loadSharp();
  const { width, height } = params;
  const objects = sceneAt(params, seq);
  // A fresh buffer per frame: sharp reads it asynchronously, so concurrent calls cannot share one.
  const rgb = Buffer.allocUnsafe(width * height * 3);
  background(width, height).copy(rgb);
  for (const o of objects) fillRect(rgb, width, o);
  return sharp(rgb, { raw: { width, height, channels: 3 } })
    // 4:4:4 keeps colour edges as sharp as luma edges, so detected boxes match the scene exactly;
    // skipping Huffman optimisation saves a pass over the data.
    .jpeg({ quality: JPEG_QUALITY, chromaSubsampling: '4:4:4', optimiseCoding: false })
    .toBuffer();
}

let cachedBackground: { width: number; height: number; rgb: Buffer } | undefined;

/** The background-only image, kept for the last size asked (a run renders one size). */
function background(width: number, height: number): Buffer {
  if (cachedBackground?.width !== width || cachedBackground.height !== height) {
    const rgb = Buffer.allocUnsafe(width * height * 3);
    fillRow(rgb, 0, width, BACKGROUND);
    for (let y = 1; y < height; y++) rgb.copyWithin(y * width * 3, 0, width * 3);
    cachedBackground = { width, height, rgb };
  }
  return cachedBackground.rgb;
}

function fillRect(rgb: Buffer, width: number, o: SceneObject): void {
  const rowStart = (y: number) => (y * width + o.x1) * 3;
  const first = rowStart(o.y1);
  const bytes = (o.x2 - o.x1) * 3;
  fillRow(rgb, first, o.x2 - o.x1, o.color);
  for (let y = o.y1 + 1; y < o.y2; y++) rgb.copyWithin(rowStart(y), first, first + bytes);
}

function fillRow(rgb: Buffer, offset: number, pixels: number, [r, g, b]: Rgb): void {
  for (let i = offset, end = offset + pixels * 3; i < end; i += 3) {
    rgb[i] = r;
    rgb[i + 1] = g;
    rgb[i + 2] = b;
  }
}
