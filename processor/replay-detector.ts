// The replay processor answers each frame with the detections of a MOTChallenge file
// DIR/<camera_id>.txt for frame number = seq, after a seeded random delay: exact, repeatable
// input for tests and benchmarks of the broker's ordering and pipelining. A frame beyond the
// file's last frame is answered with an error, not with "no detections": it is not the file's
// frame (seqs numbered on from an earlier run, say). An empty file answers every frame with no
// detections (a null processor, as the benchmarks use it).
import path from 'node:path';
import { readMotFile } from '../common/mot/read-file.js';
import { lastFrame, rowsByFrame, type MotRow } from '../common/mot/format.js';
import type { Detection, Detector, FrameDetections } from './detector.js';

export interface ReplayOptions {
  dir: string;
  /** Delay range in ms, [a, b]. */
  latencyMs: [number, number];
  seed: number;
}

interface CameraFile {
  file: string;
  byFrame: Map<number, MotRow[]>;
  /** The last frame number with a row; 0 for an empty file. */
  last: number;
}

export function createReplayDetector(o: ReplayOptions): Detector {
  const files = new Map<string, CameraFile | Error>();
  const detectionsOf = (camera: string): CameraFile | Error => {
    let entry = files.get(camera);
    if (!entry) {
      try {
        if (!/^[\w.-]+$/.test(camera)) throw new Error(`camera id '${camera}' cannot name a file`);
        const file = path.join(o.dir, `${camera}.txt`);
        const rows = readMotFile(file, '--mot-dets');
        entry = { file, byFrame: rowsByFrame(rows), last: lastFrame(rows) };
      } catch (err) {
        entry = err as Error;
      }
      files.set(camera, entry);
    }
    return entry;
  };
  const [lo, hi] = o.latencyMs;
  return {
    info: { name: 'replay', version: '1', labels: ['person'], inputWidth: 0, inputHeight: 0, maxBatch: 1024 },
    async detect(frames): Promise<FrameDetections[]> {
      const first = frames[0];
      // The delay depends only on (seed, camera, seq) of the call's first frame, not on timing.
      const delay = first && hi > 0 ? lo + (hi - lo) * unitRandom(o.seed, first.cameraId, first.seq) : 0;
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      return frames.map((frame) => {
        const camera = detectionsOf(frame.cameraId);
        if (camera instanceof Error) return { error: camera.message };
        if (camera.last > 0 && frame.seq > camera.last) return { error: `frame ${frame.seq} is beyond the last frame (${camera.last}) of ${camera.file}` };
        const detections: Detection[] = (camera.byFrame.get(frame.seq) ?? []).map((r) => ({
          x1: r.x, y1: r.y, x2: r.x + r.w, y2: r.y + r.h, score: r.score, classId: 0, label: 'person',
        }));
        return { detections };
      });
    },
    async close() {},
  };
}

/** A uniform number in [0, 1) from (seed, camera, seq): FNV-1a, then a murmur3 finaliser. */
function unitRandom(seed: number, camera: string, seq: number): number {
  let h = 0x811c9dc5 ^ seed;
  for (const ch of `${camera}#${seq}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}
