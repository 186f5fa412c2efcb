// Detector for the synthetic scene (common/synthetic): finds its coloured rectangles in the
// decoded pixels. No model: it exercises the whole pipeline with exactly known ground truth.
import type { Frame__Output } from '../common/gen/vsp/v1/Frame.js';
import { findBoxes } from '../common/synthetic/find-boxes.js';
import { SCENE_LABELS } from '../common/synthetic/scene.js';
import { loadSharp } from '../common/sharp.js';
import type { Detector, FrameDetections } from './detector.js';

export function createSyntheticDetector(): Detector {
  return {
    info: {
      name: 'synthetic',
      version: '1.0.0',
      labels: [...SCENE_LABELS],
      inputWidth: 0,
      inputHeight: 0,
      maxBatch: 16,
    },
    detect: (frames: Frame__Output[]) => Promise.all(frames.map((f) => detectOne(f.image))),
    close: async () => {},
  };
}

async function detectOne(image: Buffer): Promise<FrameDetections> {
  const decoded = await decode(image).catch((err: unknown) => new Error(`cannot decode image: ${err instanceof Error ? err.message : String(err)}`));
  if (decoded instanceof Error) return { error: decoded.message };
  const { data, info } = decoded;
  const boxes = findBoxes({ data, width: info.width, height: info.height, channels: info.channels });
  return {
    detections: boxes.map((b) => ({
      x1: b.x1,
      y1: b.y1,
      x2: b.x2,
      y2: b.y2,
      score: b.fill,
      classId: b.classId,
      label: SCENE_LABELS[b.classId] as string,
    })),
  };
}

/** Async so that sharp's synchronous throws (e.g. on an empty buffer) become rejections too. */
async function decode(image: Buffer) {
  const sharp = await loadSharp();
  return sharp(image).raw().toBuffer({ resolveWithObject: true });
}
