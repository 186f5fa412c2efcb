// What a frame may be, checked at every entrance (producer, broker, processor, consumer): camera
// id, size, image bytes and format, attributes. Every limit has a flag (docs/limits.md); these
// are the defaults.
import type { Frame__Output } from './gen/vsp/v1/Frame.js';

/** Camera ids are names, never paths: they become Kafka keys, metric labels and file names. */
export const CAMERA_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface FrameLimits {
  /** Bytes of one frame's image. */
  maxImageBytes: number;
  /** Declared (and decoded) width × height. */
  maxPixels: number;
  /** Attributes per frame, and bytes of one attribute (key + value). */
  maxAttributes: number;
  maxAttributeBytes: number;
}

export const DEFAULT_FRAME_LIMITS: Readonly<FrameLimits> = {
  maxImageBytes: 32 * 1024 * 1024,
  // A little above 8K (7680 × 4320 = 33.2 MP).
  maxPixels: 40_000_000,
  maxAttributes: 64,
  maxAttributeBytes: 4096,
};

/** Cameras whose state a consumer keeps at once (join buffers, viewer, rules, trails); least recently seen dropped. */
export const DEFAULT_MAX_CAMERAS = 1000;

export function cameraIdProblem(id: string): string | undefined {
  if (CAMERA_ID.test(id)) return undefined;
  const shown = id.length > 64 ? `${JSON.stringify(id.slice(0, 64))}… (${id.length} characters)` : JSON.stringify(id);
  return `camera id ${shown} is not 1-128 of A-Z a-z 0-9 . _ : -`;
}

const MAGIC: Record<string, Buffer> = {
  JPEG: Buffer.from([0xff, 0xd8, 0xff]),
  PNG: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
};

/** Why the image bytes cannot be what the frame says they are, or undefined. */
export function imageProblem(frame: Pick<Frame__Output, 'encoding' | 'image' | 'width' | 'height'>, limits: FrameLimits = DEFAULT_FRAME_LIMITS): string | undefined {
  const { image, encoding, width, height } = frame;
  if (!image || image.length === 0) return 'frame has no image';
  if (image.length > limits.maxImageBytes) return `image is ${image.length} bytes, above the limit of ${limits.maxImageBytes}`;
  if (width * height > limits.maxPixels) return `declared size ${width}x${height} is above the limit of ${limits.maxPixels} pixels`;
  if (encoding === 'RGB24') {
    if (!width || !height) return 'RGB24 frame needs width and height';
    if (image.length !== width * height * 3) return `RGB24 frame: ${image.length} bytes for ${width}x${height}`;
    return undefined;
  }
  const magic = MAGIC[String(encoding)];
  if (!magic) return `unknown image encoding ${String(encoding)}`;
  if (image.length < magic.length || !image.subarray(0, magic.length).equals(magic)) return `image bytes are not ${String(encoding)}`;
  return undefined;
}

/** Why a decoded Frame cannot enter the pipeline, or undefined. `key`: the Kafka record key. */
export function frameProblem(frame: Frame__Output, key: Buffer | null | undefined, limits: FrameLimits = DEFAULT_FRAME_LIMITS): string | undefined {
  if (!frame.cameraId) return 'frame has no camera_id';
  const id = cameraIdProblem(frame.cameraId);
  if (id) return id;
  if (key === null || key === undefined || !key.equals(Buffer.from(frame.cameraId))) return `record key ${JSON.stringify(key?.toString('utf8').slice(0, 64) ?? null)} is not the camera id ${frame.cameraId}`;
  if (!Number.isSafeInteger(frame.seq) || frame.seq < 1) return `frame seq ${frame.seq} is not a positive integer below 2^53`;
  if (!frame.width || !frame.height) return `frame has zero size (${frame.width}x${frame.height})`;
  const attributes = Object.entries(frame.attributes ?? {});
  if (attributes.length > limits.maxAttributes) return `${attributes.length} attributes, above the limit of ${limits.maxAttributes}`;
  for (const [k, v] of attributes) {
    if (Buffer.byteLength(k) + Buffer.byteLength(v) > limits.maxAttributeBytes) return `attribute ${JSON.stringify(k.slice(0, 32))} is above the limit of ${limits.maxAttributeBytes} bytes`;
  }
  return imageProblem(frame, limits);
}
