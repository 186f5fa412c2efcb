// People detector on OpenCV's HOG descriptor with its default people SVM (Dalal & Triggs, a
// 64x128 window trained on INRIA pedestrians). No model file and CPU only; it finds upright,
// unoccluded people and misses small, partly hidden or sitting ones (see docs/opencv.md).
import type { Box } from '../common/boxes.js';
import type { Frame__Output } from '../common/gen/vsp/v1/Frame.js';
import { loadOpenCv } from '../common/opencv.js';
import { loadSharp } from '../common/sharp.js';
import type { Detection, Detector, FrameDetections } from './detector.js';

/** How the frames are searched; docs/opencv.md explains each choice. */
export const HOG_PARAMS = {
  /** The window holds a ~96 px tall person: frames are enlarged so ~55 px people fill it. */
  upscale: 1.8,
  /** Minimum SVM margin of a window (0 = the SVM's own decision boundary). */
  hitThreshold: 0,
  /** Window step in pixels (a multiple of the 8 px cell). */
  winStride: 8,
  /** Border added around the image so people at its edges still fill a window. */
  padding: 16,
  /** Ratio between pyramid levels. */
  scale: 1.05,
  /** Windows a group needs to count as one person (OpenCV's groupRectangles). */
  groupThreshold: 2,
  /**
   * Then a box is dropped when more than this share of it, or of a stronger box, is their
   * overlap: groups at different scales leave a loose box around a person already found.
   */
  maxOverlap: 0.6,
} as const;

/**
 * The body inside a 64x128 training window: INRIA crops leave ~16 px above and below a person and
 * ~12 px on either side. Boxes are cut down to it so they compare with other detectors' boxes.
 */
const BODY = { x: 12 / 64, y: 16 / 128 } as const;

export async function createOpenCvHogDetector(): Promise<Detector> {
  const cv = await loadOpenCv();
  const hog = new cv.HOGDescriptor();
  hog.setSVMDetector(cv.HOGDescriptor.getDefaultPeopleDetector());
  const p = HOG_PARAMS;
  const winStride = new cv.Size(p.winStride, p.winStride);
  const padding = new cv.Size(p.padding, p.padding);

  const detectOne = async (frame: Frame__Output): Promise<FrameDetections> => {
    const decoded = await decodeEnlarged(frame).catch((err: unknown) => new Error(`cannot decode image: ${err instanceof Error ? err.message : String(err)}`));
    if (decoded instanceof Error) return { error: decoded.message };
    const { data, width, height, sourceWidth, sourceHeight } = decoded;
    // Channel order does not matter to HOG: it takes the strongest gradient over the channels.
    const image = new cv.Mat(data, height, width, cv.CV_8UC3);
    // On libuv's thread pool: a frame takes a fraction of a second, the event loop stays free.
    const { foundLocations, foundWeights } = await hog.detectMultiScaleAsync(image, p.hitThreshold, winStride, padding, p.scale, p.groupThreshold, false);
    const [sx, sy] = [sourceWidth / width, sourceHeight / height];
    const boxes = foundLocations.map((r, i) => ({
      x1: clamp((r.x + r.width * BODY.x) * sx, sourceWidth),
      y1: clamp((r.y + r.height * BODY.y) * sy, sourceHeight),
      x2: clamp((r.x + r.width * (1 - BODY.x)) * sx, sourceWidth),
      y2: clamp((r.y + r.height * (1 - BODY.y)) * sy, sourceHeight),
      // SVM margins are unbounded; the logistic maps them into [0, 1] (margin 0 → 0.5).
      score: 1 / (1 + Math.exp(-(foundWeights[i] ?? 0))),
      classId: 0,
      label: 'person',
    }));
    return { detections: suppressOverlaps(boxes.filter((b) => b.x2 > b.x1 && b.y2 > b.y1), p.maxOverlap) };
  };

  const { major, minor, revision } = cv.version;
  return {
    info: {
      name: 'opencv-hog',
      version: `HOG default people SVM; OpenCV ${major}.${minor}.${revision}`,
      labels: ['person'],
      inputWidth: 0,
      inputHeight: 0,
      maxBatch: 4,
    },
    detect: (frames: Frame__Output[]) => Promise.all(frames.map(detectOne)),
    close: async () => {},
  };
}

/** Greedy, strongest first: keeps a box unless it and a kept one overlap by more than `max` of the smaller. */
export function suppressOverlaps(boxes: readonly Detection[], max: number): Detection[] {
  const area = (b: Box) => (b.x2 - b.x1) * (b.y2 - b.y1);
  const overlap = (a: Box, b: Box) => Math.max(0, Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1)) * Math.max(0, Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1));
  const kept: Detection[] = [];
  for (const b of [...boxes].sort((x, y) => y.score - x.score)) {
    if (kept.every((k) => overlap(k, b) <= max * Math.min(area(k), area(b)))) kept.push(b);
  }
  return kept;
}

/** The frame as packed 8-bit RGB, enlarged by HOG_PARAMS.upscale. Strict: a truncated JPEG fails. */
async function decodeEnlarged(frame: Frame__Output) {
  const sharp = await loadSharp();
  const image = frame.encoding === 'RGB24'
    ? sharp(frame.image, { raw: { width: frame.width, height: frame.height, channels: 3 } })
    : sharp(frame.image);
  const { width: sourceWidth, height: sourceHeight } = await image.metadata();
  if (!sourceWidth || !sourceHeight) throw new Error('image has no size');
  const { data, info } = await image
    .resize(Math.round(sourceWidth * HOG_PARAMS.upscale), Math.round(sourceHeight * HOG_PARAMS.upscale), { kernel: 'linear' })
    .toColourspace('srgb')
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
  return { data, width: info.width, height: info.height, sourceWidth, sourceHeight };
}

function clamp(v: number, max: number): number {
  return Math.min(max, Math.max(0, v));
}
