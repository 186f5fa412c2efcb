// Optional downscaling (`--width`, `--height`): detectors rarely need a camera's full size, and
// smaller frames cost less Kafka bandwidth and storage. Only a frame that actually shrinks is
// decoded and re-encoded; every other JPEG passes through untouched.
import { loadSharp } from '../common/sharp.js';
import type { SourceFrame } from './sources/types.js';

export interface SizeLimit {
  width?: number;
  height?: number;
}

export interface Size {
  width: number;
  height: number;
}

// Close to the file source's ffmpeg -q:v 3, so a re-encoded frame looks like a passed-through one.
const JPEG_QUALITY = 85;

/**
 * The size a frame is sent at. Both limits: exactly that size, each side capped at the source's
 * (never upscaled). One limit: that side, the other keeping the aspect ratio; a source already
 * within it keeps its size.
 */
export function scaledSize(source: Size, limit: SizeLimit): Size {
  const { width, height } = limit;
  if (width !== undefined && height !== undefined) {
    return { width: Math.min(width, source.width), height: Math.min(height, source.height) };
  }
  if (width !== undefined && width < source.width) {
    return { width, height: Math.max(1, Math.round((source.height * width) / source.width)) };
  }
  if (height !== undefined && height < source.height) {
    return { width: Math.max(1, Math.round((source.width * height) / source.height)), height };
  }
  return source;
}

/** The frame at its scaled size: the same object when nothing shrinks, else a re-encoded JPEG. */
export async function downscale(frame: SourceFrame, limit: SizeLimit): Promise<SourceFrame> {
  const size = scaledSize(frame, limit);
  if (size.width === frame.width && size.height === frame.height) return frame;
  const sharp = await loadSharp();
  const image = await sharp(frame.image).resize(size.width, size.height, { fit: 'fill' }).jpeg({ quality: JPEG_QUALITY }).toBuffer();
  return { ...frame, image, ...size };
}
