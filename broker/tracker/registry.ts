// Every tracking algorithm the broker and `vsp track` can run, by name. Adding one: implement
// `Tracker`, declare its `TrackerKind` next to it, list it here.
import type { Tracker, TrackerKind, TrackerParams, TrackerSnapshot } from './tracker.js';

export type { TrackerKind, TrackerParam, TrackerParams } from './tracker.js';
import { SORT } from './sort.js';
import { BYTETRACK } from './bytetrack.js';

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
