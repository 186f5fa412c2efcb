// Where a source image lands in the model input, and the way back for boxes. Pure arithmetic.
import type { Box } from '../../common/boxes.js';

/** input = source * scale + pad, per axis; the resized image is width x height inside the input. */
export interface Placement {
  srcWidth: number;
  srcHeight: number;
  width: number;
  height: number;
  scaleX: number;
  scaleY: number;
  padX: number;
  padY: number;
}

/** Resize keeping the aspect ratio, centred, the rest padded (what YOLO models are trained with). */
export function letterbox(srcWidth: number, srcHeight: number, inWidth: number, inHeight: number): Placement {
  const scale = Math.min(inWidth / srcWidth, inHeight / srcHeight);
  const width = Math.min(inWidth, Math.max(1, Math.round(srcWidth * scale)));
  const height = Math.min(inHeight, Math.max(1, Math.round(srcHeight * scale)));
  // The exact ratios after rounding, so boxes map back to the pixels the model saw.
  return {
    srcWidth,
    srcHeight,
    width,
    height,
    scaleX: width / srcWidth,
    scaleY: height / srcHeight,
    padX: Math.floor((inWidth - width) / 2),
    padY: Math.floor((inHeight - height) / 2),
  };
}

/** Resize to fill the input, aspect ratio not kept. */
export function stretch(srcWidth: number, srcHeight: number, inWidth: number, inHeight: number): Placement {
  return { srcWidth, srcHeight, width: inWidth, height: inHeight, scaleX: inWidth / srcWidth, scaleY: inHeight / srcHeight, padX: 0, padY: 0 };
}

/** A box in model-input pixels → source pixels, clipped to the image; null when nothing is left. */
export function toSource<B extends Box>(box: B, p: Placement): B | null {
  const clip = (v: number, max: number): number => Math.min(max, Math.max(0, v));
  const x1 = clip((box.x1 - p.padX) / p.scaleX, p.srcWidth);
  const x2 = clip((box.x2 - p.padX) / p.scaleX, p.srcWidth);
  const y1 = clip((box.y1 - p.padY) / p.scaleY, p.srcHeight);
  const y2 = clip((box.y2 - p.padY) / p.scaleY, p.srcHeight);
  return x2 > x1 && y2 > y1 ? { ...box, x1, y1, x2, y2 } : null;
}
