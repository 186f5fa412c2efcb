// Every tracking algorithm the broker and `vsp track` can run, by name. Adding one: implement
// `Tracker`, declare its `TrackerKind` next to it, list it here.
import type { Tracker, TrackerSnapshot } from './tracker.js';
import { SORT } from './sort.js';
import { BYTETRACK } from './bytetrack.js';

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

export const TRACKERS: Readonly<Record<string, TrackerKind>> = { sort: SORT, bytetrack: BYTETRACK };

/** Which tracker a camera gets, with its parameters (complete: defaults filled in). */
export interface TrackerSpec {
  kind: string;
  params: TrackerParams;
}

export function trackerKind(name: string): TrackerKind {
  const kind = TRACKERS[name];
  if (!kind) throw new RangeError(`unknown tracker '${name}' (known: ${Object.keys(TRACKERS).join(', ')})`);
  return kind;
}

export function defaultParams(name: string): TrackerParams {
  return Object.fromEntries(trackerKind(name).params.map((p) => [p.param, p.default]));
}

export function createTracker(spec: TrackerSpec): Tracker {
  return trackerKind(spec.kind).create(spec.params);
}

export function snapshotTracker(spec: TrackerSpec, tracker: Tracker): TrackerSnapshot {
  return { kind: spec.kind, version: trackerKind(spec.kind).version, state: tracker.snapshot() };
}

/**
 * Rebuilds a tracker from a stored snapshot, refusing (with a message saying both) one written by
 * another tracker kind or state version than `spec`'s.
 */
export function restoreTracker(spec: TrackerSpec, snapshot: TrackerSnapshot): Tracker {
  const kind = trackerKind(spec.kind);
  if (snapshot?.kind !== spec.kind || snapshot.version !== kind.version) {
    throw new RangeError(`snapshot of tracker ${String(snapshot?.kind)} v${String(snapshot?.version)}, but this broker runs ${spec.kind} v${kind.version}`);
  }
  return kind.restore(snapshot.state);
}
