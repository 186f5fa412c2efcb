// vtest.avi frames for the ONNX detector and converter tests. Frame N is the N-th frame, 1-based
// like Frame.seq (ffmpeg select=eq(n\,N-1)): test/fixtures/frames/vtest-N.jpg, 768x576 JPEG.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Frame__Output } from '../../common/gen/vsp/v1/Frame.js';

// Compiled to dist/test/integration; the fixtures stay in the source tree.
const FRAMES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/frames');

export const VTEST_WIDTH = 768;
export const VTEST_HEIGHT = 576;

export function vtestFrame(n: number, image: Buffer = readFileSync(path.join(FRAMES, `vtest-${n}.jpg`))): Frame__Output {
  return { cameraId: 'vtest', seq: n, captureTime: null, sourceTime: null, width: VTEST_WIDTH, height: VTEST_HEIGHT, encoding: 'JPEG', image, attributes: {} };
}
