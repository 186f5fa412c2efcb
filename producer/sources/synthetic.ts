// Source `synthetic[:WxH]`: frames of the synthetic scene (common/synthetic), rendered on demand.
import { setTimeout as sleep } from 'node:timers/promises';
import { renderFrame } from '../../common/synthetic/render.js';
import { checkSceneParams } from '../../common/synthetic/scene.js';

export interface SyntheticSpec {
  width: number;
  height: number;
  seed: number;
  /** Stop after this many frames (default: never). */
  frames?: number;
  /** Pace to this many frames per second (default or 0: as fast as they are taken). */
  fps?: number;
}

const DEFAULT_SIZE = { width: 640, height: 480 };

/** Size from 'synthetic' (640x480) or 'synthetic:WIDTHxHEIGHT'; throws an Error naming the problem. */
export function parseSyntheticSpec(spec: string): { width: number; height: number } {
  const m = /^synthetic(?::(\d+)x(\d+))?$/.exec(spec);
  if (!m) throw new Error(`bad source '${spec}': expected synthetic or synthetic:WIDTHxHEIGHT, e.g. synthetic:640x480`);
  const size = m[1] === undefined ? DEFAULT_SIZE : { width: Number(m[1]), height: Number(m[2]) };
  try {
    checkSceneParams({ ...size, seed: 0 });
  } catch (err) {
    throw new Error(`bad source '${spec}': ${(err as Error).message}`);
  }
  return size;
}

export function syntheticSource(spec: SyntheticSpec) {
  const { width, height, seed, frames, fps } = spec;
  checkSceneParams({ width, height, seed });
  if (frames !== undefined && !(Number.isInteger(frames) && frames >= 0)) {
    throw new Error(`synthetic source: frames must be an integer >= 0, got ${frames}`);
  }
  if (fps !== undefined && !(fps >= 0 && Number.isFinite(fps))) {
    throw new Error(`synthetic source: fps must be a finite number >= 0, got ${fps}`);
  }
  const interval = fps ? 1000 / fps : 0;
  return {
    description: `synthetic:${width}x${height} seed=${seed}`,
    live: false as const,
    paced: interval > 0,
    /** Frames 1, 2, …; ends quietly when `signal` aborts. */
    async *frames(signal: AbortSignal): AsyncIterable<{ image: Buffer; width: number; height: number }> {
      let due = performance.now();
      for (let seq = 1; frames === undefined || seq <= frames; seq++) {
        if (signal.aborted) return;
        const image = await renderFrame({ width, height, seed }, seq);
        if (interval > 0) {
          const wait = due - performance.now();
          if (wait > 0 && !(await sleep(wait, true, { signal }).catch(() => false))) return;
        }
        if (signal.aborted) return;
        yield { image, width, height };
        // After a stall (a slow consumer), carry on at the set rate rather than catching up.
        due = Math.max(due + interval, performance.now());
      }
    },
  };
}
