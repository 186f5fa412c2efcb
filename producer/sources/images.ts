// A folder of still images as a video: its JPEG and PNG files in natural name order (frame2
// before frame10). JPEGs are passed through; anything else is converted to JPEG with sharp.
import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { jpegSize } from '../../common/jpeg.js';
import { loadSharp } from '../../common/sharp.js';
import { RealtimePacer } from './pacing.js';
import type { FrameSource, SourceFrame, SourceOptions } from './types.js';

const IMAGE_FILE = /\.(jpe?g|png)$/i;
/** Pace under --realtime when --fps is not given. */
export const DEFAULT_IMAGES_FPS = 10;

export async function listImages(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const collator = new Intl.Collator('en', { numeric: true });
  return entries
    .filter((e) => e.isFile() && IMAGE_FILE.test(e.name))
    .map((e) => e.name)
    .sort(collator.compare)
    .map((name) => join(dir, name));
}

async function readAsJpeg(file: string): Promise<Buffer> {
  // Synchronous on purpose: an image is read in well under a millisecond, while the promise API
  // takes four thread-pool round trips (open, stat, read, close), each waking the process; at
  // 30 frames a second those wake-ups cost more CPU than the reads (measured: 0.5 ms a frame).
  const bytes = readFileSync(file);
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return bytes;
  const sharp = await loadSharp();
  return sharp(bytes).jpeg({ quality: 90 }).toBuffer();
}

export function imagesSource(dir: string, o: SourceOptions): FrameSource {
  const description = `images:${dir}`;
  const intervalMs = 1000 / (o.fps ?? DEFAULT_IMAGES_FPS);
  return {
    description,
    live: false,
    paced: o.realtime === true,
    async *frames(signal): AsyncGenerator<SourceFrame> {
      let files: string[];
      try {
        files = await listImages(dir);
      } catch (err) {
        throw new Error(`${description}: cannot list the folder: ${(err as Error).message}`);
      }
      if (files.length === 0) throw new Error(`${description}: no .jpg, .jpeg or .png files`);
      const pacer = o.realtime ? new RealtimePacer() : undefined;
      let index = 0;
      do {
        for (const file of files) {
          if (signal.aborted) return;
          let frame: SourceFrame;
          try {
            const image = await readAsJpeg(file);
            frame = { image, ...jpegSize(image) };
          } catch (err) {
            throw new Error(`${description}: ${file}: ${(err as Error).message}`);
          }
          if (pacer) {
            const delay = pacer.delayMs(index * intervalMs, performance.now());
            if (delay > 0) await sleep(delay, undefined, { signal }).catch(() => undefined);
            if (signal.aborted) return;
          }
          index++;
          yield frame;
        }
      } while (o.loop);
    },
  };
}
