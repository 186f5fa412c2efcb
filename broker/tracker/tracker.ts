// The seam between the broker and a tracking algorithm. A tracker follows one camera: it is fed
// every frame in order, and its whole state can be written as plain JSON and restored exactly,
// so a partition's successor continues with the same track ids. Pure code.

export interface TrackerDetection {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
  classId: number;
  label: string;
}

export interface TrackerOutput {
  trackId: number;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  classId: number;
  label: string;
  score: number;
}

export interface TrackerUpdate {
  tracks: TrackerOutput[];
  /** Detections that never reached the tracker, by index in the input, with why. */
  rejected: { index: number; reason: string }[];
}

export interface Tracker {
  /**
   * Tracks one frame. `step` is how far the frame sequence moved since the previous update: 1
   * normally, k > 1 when the source dropped k-1 frames.
   */
  update(dets: readonly TrackerDetection[], step?: number): TrackerUpdate;
  /** The whole state as plain JSON; the kind's `restore` continues from it bit-identically. */
  snapshot(): unknown;
}

/** A tracker state as stored: which algorithm and state format wrote it, and the state. */
export interface TrackerSnapshot {
  kind: string;
  version: number;
  state: unknown;
}

/**
 * Coordinates beyond MAX_COORDINATE (far past any image) and sides below MIN_SIDE (far below a
 * pixel, even in normalised coordinates) are refused: the filters multiply and divide sides, and
 * an area or aspect outside the doubles' range would make a track's box NaN.
 */
export const MAX_COORDINATE = 1e9;
export const MIN_SIDE = 1e-6;

/** Why a detection's box cannot enter a tracker, or undefined when it can. */
export function invalidBox(det: TrackerDetection): string | undefined {
  for (const key of ['x1', 'y1', 'x2', 'y2'] as const) {
    if (typeof det[key] !== 'number' || !Number.isFinite(det[key])) return `${key} is not a finite number (${String(det[key])})`;
    if (Math.abs(det[key]) > MAX_COORDINATE) return `${key} is beyond ±${MAX_COORDINATE} (${det[key]})`;
  }
  const w = det.x2 - det.x1;
  const h = det.y2 - det.y1;
  if (!(w > 0)) return `width x2 - x1 is not positive (${w})`;
  if (!(h > 0)) return `height y2 - y1 is not positive (${h})`;
  if (w < MIN_SIDE || h < MIN_SIDE) return `box side below ${MIN_SIDE} (${w} × ${h})`;
  return undefined;
}

/** A snapshot field that must be an integer ≥ min; a RangeError naming the field otherwise. */
export function checkCount(value: unknown, min: number, where: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${where}: expected an integer ≥ ${min}, got ${String(value)}`);
  }
  return value;
}

/** One tunable parameter of a tracker, as a CLI flag. */
export interface TrackerParam {
  /** Commander flag, e.g. '--max-age <n>' ('--mot20' for a boolean). */
  flag: string;
  /** Key in the kind's parameter object. */
  param: string;
  description: string;
  /** count: integer ≥ 0; positive: integer ≥ 1; unit: number in [0, 1]; boolean: a switch. */
  type: 'count' | 'positive' | 'unit' | 'boolean';
  default: number | boolean;
}

export type TrackerParams = Record<string, number | boolean>;

export interface TrackerKind {
  name: string;
  /** Version of the state format `snapshot()` writes; a different one is refused on restore. */
  version: number;
  description: string;
  params: readonly TrackerParam[];
  /** Throws a RangeError naming the parameter when one is out of range. */
  create(params: TrackerParams): Tracker;
  /** Throws a RangeError naming the field when the state is not one this kind wrote. */
  restore(state: unknown): Tracker;
  /** Lowest detection score the tracker uses with these parameters; undefined: whatever processors report. */
  minScore(params: TrackerParams): number | undefined;
}
