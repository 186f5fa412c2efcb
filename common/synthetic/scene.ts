// The synthetic scene: coloured rectangles moving at constant velocity and bouncing off the
// edges, on a plain dark background. Positions are a closed-form function of (seed, seq), so any
// frame can be produced on its own, in any order, identically on every machine.
//
// Each object keeps to its own horizontal lane (lane i of n, with a gap between lanes), so
// objects never overlap or touch, and each has its own palette colour: a detector can then find
// every object exactly from the pixels.

import { mulberry32 } from '../prng.js';

export type Rgb = readonly [number, number, number];

export interface SceneParams {
  width: number;
  height: number;
  seed: number;
  /** Number of objects, 1..PALETTE.length (default DEFAULT_OBJECTS). */
  objects?: number;
}

/** One rectangle of one frame. Corners are pixel edges: it covers x1 <= x < x2, y1 <= y < y2. */
export interface SceneObject {
  /** Stable across frames: 1..n, lane n - 1 from the top. */
  id: number;
  /** Index into PALETTE and SCENE_LABELS. */
  classId: number;
  label: string;
  color: Rgb;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export const BACKGROUND: Rgb = [40, 40, 40];

// Colours at least 105 apart (RGB Euclidean) from each other and 160 from the background, so JPEG
// noise cannot turn one into another. White is the one unsaturated entry.
export const PALETTE: readonly { label: string; color: Rgb }[] = [
  { label: 'box-red', color: [230, 30, 30] },
  { label: 'box-green', color: [30, 200, 50] },
  { label: 'box-blue', color: [40, 70, 240] },
  { label: 'box-yellow', color: [240, 230, 30] },
  { label: 'box-magenta', color: [220, 40, 220] },
  { label: 'box-cyan', color: [30, 210, 220] },
  { label: 'box-orange', color: [255, 130, 0] },
  { label: 'box-white', color: [235, 235, 235] },
];

/** Class labels indexed by SceneObject.classId. */
export const SCENE_LABELS: readonly string[] = PALETTE.map((p) => p.label);

export const DEFAULT_OBJECTS = 3;
export const MIN_SIZE = 24;
/** Background rows kept free at the top and bottom of every lane. */
const LANE_MARGIN = 2;
const MAX_DIMENSION = 16384;

/** Throws an Error saying what is wrong when no scene can be laid out with these parameters. */
export function checkSceneParams(params: SceneParams): void {
  const { width, height, seed } = params;
  const objects = params.objects ?? DEFAULT_OBJECTS;
  for (const [name, v] of [['width', width], ['height', height]] as const) {
    if (!Number.isInteger(v) || v < 1 || v > MAX_DIMENSION) {
      throw new Error(`synthetic scene: ${name} must be an integer in 1..${MAX_DIMENSION}, got ${v}`);
    }
  }
  if (!Number.isInteger(seed)) throw new Error(`synthetic scene: seed must be an integer, got ${seed}`);
  if (!Number.isInteger(objects) || objects < 1 || objects > PALETTE.length) {
    throw new Error(`synthetic scene: objects must be an integer in 1..${PALETTE.length}, got ${objects}`);
  }
  // Widest object is a quarter of the width, and at least MIN_SIZE.
  if (width < 4 * MIN_SIZE) throw new Error(`synthetic scene: width must be at least ${4 * MIN_SIZE}, got ${width}`);
  const minHeight = objects * (MIN_SIZE + 2 * LANE_MARGIN + 1);
  if (height < minHeight) {
    throw new Error(`synthetic scene: ${objects} objects need a height of at least ${minHeight}, got ${height}`);
  }
}

/** The objects of frame `seq` (any integer >= 0; the pipeline numbers frames from 1). */
export function sceneAt(params: SceneParams, seq: number): SceneObject[] {
  checkSceneParams(params);
  if (!Number.isInteger(seq) || seq < 0) throw new Error(`synthetic scene: seq must be an integer >= 0, got ${seq}`);
  const { width, height } = params;
  const n = params.objects ?? DEFAULT_OBJECTS;
  const rand = mulberry32(params.seed);
  const classes = shuffledIndices(PALETTE.length, rand);
  const out: SceneObject[] = [];
  for (let i = 0; i < n; i++) {
    const laneTop = Math.floor((i * height) / n) + LANE_MARGIN;
    const laneBottom = Math.floor(((i + 1) * height) / n) - LANE_MARGIN;
    const w = randInt(rand, Math.max(MIN_SIZE, Math.round(width * 0.06)), Math.max(MIN_SIZE, Math.floor(width / 4)));
    const h = randInt(rand, Math.max(MIN_SIZE, Math.round((laneBottom - laneTop) * 0.4)), laneBottom - laneTop);
    const xRange = width - w;
    const yRange = laneBottom - laneTop - h;
    // Start anywhere, move 0.3..1% of the width and 0.1..0.4% of the height per frame.
    const x0 = rand() * xRange;
    const y0 = rand() * yRange;
    const vx = (rand() < 0.5 ? -1 : 1) * width * (0.003 + 0.007 * rand());
    const vy = (rand() < 0.5 ? -1 : 1) * height * (0.001 + 0.003 * rand());
    const x = Math.round(bounce(x0 + vx * seq, xRange));
    const y = laneTop + Math.round(bounce(y0 + vy * seq, yRange));
    const classId = classes[i] as number;
    const { label, color } = PALETTE[classId] as (typeof PALETTE)[number];
    out.push({ id: i + 1, classId, label, color, x1: x, y1: y, x2: x + w, y2: y + h });
  }
  return out;
}

/** Position on [0, range] of a point moving freely along p and reflected at both ends. */
function bounce(p: number, range: number): number {
  if (range <= 0) return 0;
  const period = 2 * range;
  const m = ((p % period) + period) % period;
  return m <= range ? m : period - m;
}

function randInt(rand: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}

/** Fisher-Yates shuffle of 0..n-1. */
function shuffledIndices(n: number, rand: () => number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j] as number, a[i] as number];
  }
  return a;
}
