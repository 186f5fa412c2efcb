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
  return imageSourceProblem(frame, limits);
}

/** Longest frame store key accepted in a reference. */
export const MAX_FRAME_REF_KEY = 512;

/**
 * Where the frame's pixels are: inline bytes (checked by imageProblem), a frame store reference
 * (checked without fetching: the broker never touches those pixels), or none at all for an edge
 * frame that carries its detections.
 */
function imageSourceProblem(frame: Frame__Output, limits: FrameLimits): string | undefined {
  const ref = frame.imageRef;
  if (ref && frame.image.length > 0) return 'frame has both inline image bytes and an image_ref';
  if (!ref) return frame.edge && frame.image.length === 0 ? declaredSizeProblem(frame, limits) : imageProblem(frame, limits);
  if (!ref.key || ref.key.length > MAX_FRAME_REF_KEY) return `image_ref key is not 1-${MAX_FRAME_REF_KEY} characters`;
  const length = Number(ref.length);
  if (!Number.isSafeInteger(length) || length < 1) return `image_ref length ${String(ref.length)} is not a positive integer`;
  if (length > limits.maxImageBytes) return `image is ${length} bytes, above the limit of ${limits.maxImageBytes}`;
  if (ref.sha256.length !== 0 && ref.sha256.length !== 32) return `image_ref sha256 is ${ref.sha256.length} bytes, not 32`;
  if (frame.encoding !== 'RGB24' && !MAGIC[String(frame.encoding)]) return `unknown image encoding ${String(frame.encoding)}`;
  return declaredSizeProblem(frame, limits);
}

function declaredSizeProblem(frame: Pick<Frame__Output, 'width' | 'height'>, limits: FrameLimits): string | undefined {
  return frame.width * frame.height > limits.maxPixels ? `declared size ${frame.width}x${frame.height} is above the limit of ${limits.maxPixels} pixels` : undefined;
}
