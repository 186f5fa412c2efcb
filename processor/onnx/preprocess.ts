// Frame → model input: decode (JPEG/PNG/RGB24) and resize with sharp, then normalise into a
// planar float tensor in the model's channel order.
import type { Sharp } from 'sharp';
import { loadSharp } from '../../common/sharp.js';
import type { Frame__Output } from '../../common/gen/vsp/v1/Frame.js';
import { letterbox, stretch, type Placement } from './letterbox.js';

export interface InputSpec {
  width: number;
  height: number;
  resize: 'letterbox' | 'stretch';
  /** Grey level (0-255) of the letterbox padding. */
  pad: number;
  /** Channel order of the model's input planes. */
  channels: 'rgb' | 'bgr';
  /** Per input plane: value = (pixel - mean) / std. */
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

export interface PreparedFrame {
  /** [3, height, width] planar, normalised. */
  data: Float32Array;
  placement: Placement;
}

async function source(frame: Frame__Output): Promise<Sharp> {
  const sharp = await loadSharp();
  if (frame.encoding === 'RGB24') {
    if (frame.image.length !== frame.width * frame.height * 3) throw new Error(`RGB24 frame is ${frame.image.length} bytes, expected ${frame.width}x${frame.height}x3`);
    return sharp(frame.image, { raw: { width: frame.width, height: frame.height, channels: 3 } });
  }
  return sharp(frame.image);
}

/** Decodes and prepares one frame; rejects (for this frame only) when the image is unreadable. */
export async function prepareFrame(frame: Frame__Output, spec: InputSpec): Promise<PreparedFrame> {
  const image = await source(frame);
  // The header gives the real size (Frame.width/height are the producer's claim).
  const { width: srcWidth, height: srcHeight } = await image.metadata();
  if (!srcWidth || !srcHeight) throw new Error('image has no size');
  const placement = (spec.resize === 'letterbox' ? letterbox : stretch)(srcWidth, srcHeight, spec.width, spec.height);
  const padRight = spec.width - placement.width - placement.padX;
  const padBottom = spec.height - placement.height - placement.padY;
  const { data, info } = await image
    .resize(placement.width, placement.height, { fit: 'fill', kernel: 'linear' })
    .extend({ left: placement.padX, top: placement.padY, right: padRight, bottom: padBottom, background: { r: spec.pad, g: spec.pad, b: spec.pad } })
    .toColourspace('srgb')
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || info.width !== spec.width || info.height !== spec.height) {
    throw new Error(`decoded to ${info.width}x${info.height}x${info.channels}, expected ${spec.width}x${spec.height}x3`);
  }
  return { data: toPlanar(data, spec), placement };
}

/** Interleaved RGB bytes → normalised planes in the model's channel order. */
export function toPlanar(rgb: Uint8Array, spec: InputSpec): Float32Array {
  const plane = spec.width * spec.height;
  const out = new Float32Array(3 * plane);
  // The plane each of R, G, B goes to; a 256-entry table of normalised values per byte; one pass.
  const planeOf = spec.channels === 'bgr' ? [2, 1, 0] : [0, 1, 2];
  const [lr, lg, lb] = planeOf.map((p) => Float32Array.from({ length: 256 }, (_, v) => (v - spec.mean[p]!) / spec.std[p]!)) as [Float32Array, Float32Array, Float32Array];
  const [r, g, b] = planeOf.map((p) => p * plane) as [number, number, number];
  for (let i = 0, j = 0; i < plane; i++, j += 3) {
    out[r + i] = lr[rgb[j]!]!;
    out[g + i] = lg[rgb[j + 1]!]!;
    out[b + i] = lb[rgb[j + 2]!]!;
  }
  return out;
}
