// Source `mot:DET.txt`: one blank frame per frame number of a MOTChallenge detection file, so that
// a processor replaying that file's detections (keyed by seq) can drive the pipeline without video.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FrameSource, SourceFrame } from './types.js';

const BLANK_WIDTH = 64;
const BLANK_HEIGHT = 48;

/**
 * The placeholder image shared by every frame: a 64x48 mid-grey (128, 128, 128) baseline JPEG,
 * made once with sharp (`sharp({ create: { width: 64, height: 48, channels: 3, background: 128 grey } }).jpeg()`)
 * and kept as bytes, so that this source needs no image library (test/unit/synthetic-sources.test.ts decodes it).
 */
export const BLANK_JPEG = Buffer.from(
  '/9j/2wBDAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQYGBcUFhYaHSUfGhsjHBYWICwgIyYnKSopGR8tMC0oMCUoKSj/2wBDAQcHBwoIChMKChMoGhYaKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCj/wAARCAAwAEADASIAAhEBAxEB/8QAFAABAAAAAAAAAAAAAAAAAAAAAP/EABQQAQAAAAAAAAAAAAAAAAAAAAD/xAAUAQEAAAAAAAAAAAAAAAAAAAAA/8QAFBEBAAAAAAAAAAAAAAAAAAAAAP/aAAwDAQACEQMRAD8AAAAAAAAAAAAAAAAAAAAAAAAA/9k=',
  'base64',
);

/** Default camera id of a MOT file: its base name without extension ('det/TUD-Campus.txt' → 'TUD-Campus'). */
export function motCameraId(file: string): string {
  return path.basename(file, path.extname(file));
}

/**
 * The last frame number in MOT text (`frame,id,x,y,w,h,score,...` per line); 0 when it has no
 * lines. Throws on a line whose first field is not a positive integer.
 */
export function lastMotFrame(text: string, name: string): number {
  let last = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    const comma = line.indexOf(',');
    const field = comma < 0 ? line : line.slice(0, comma);
    const frame = Number(field);
    if (!Number.isInteger(frame) || frame < 1) throw new Error(`${name}:${i + 1}: expected a frame number, got '${field}'`);
    if (frame > last) last = frame;
  }
  return last;
}

export function motBlankSource(file: string): FrameSource {
  return {
    description: `mot:${file}`,
    live: false,
    paced: false,
    /**
     * Frames 1..last frame number in the file, each with seq = its frame number whatever the
     * producer's seq state holds, so that a replay of the file matches the frames every time.
     * Ends quietly when `signal` aborts.
     */
    async *frames(signal: AbortSignal): AsyncIterable<SourceFrame> {
      const last = lastMotFrame(await readFile(file, 'utf8'), file);
      for (let frame = 1; frame <= last && !signal.aborted; frame++) {
        yield { image: BLANK_JPEG, width: BLANK_WIDTH, height: BLANK_HEIGHT, seq: frame };
      }
    },
  };
}
