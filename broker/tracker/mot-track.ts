// Offline tracking of a MOTChallenge detection file: the core of `vsp track`, shared with the
// tests and the benchmark. Pure code.
import { formatMotRow, lastFrame, rowsByFrame, type MotRow } from '../../common/mot/format.js';
import { createTracker, defaultParams, type TrackerSpec } from './registry.js';
import type { TrackerDetection, TrackerOutput } from './tracker.js';

/** Detections of frames 1..last (index 0 = frame 1), empty arrays for frames without any. */
export function detectionsPerFrame(rows: readonly MotRow[]): TrackerDetection[][] {
  const byFrame = rowsByFrame(rows);
  const frames: TrackerDetection[][] = [];
  for (let frame = 1, last = lastFrame(rows); frame <= last; frame++) {
    frames.push(
      (byFrame.get(frame) ?? []).map((r) => ({ x1: r.x, y1: r.y, x2: r.x + r.w, y2: r.y + r.h, score: r.score, classId: -1, label: '' })),
    );
  }
  return frames;
}

export interface MotTrackResult {
  /** MOTChallenge output lines, no newlines. */
  lines: string[];
  /** Detections the tracker refused: frame, index within the frame's rows, why. */
  rejected: { frame: number; index: number; reason: string }[];
}

/** One output line (no newline) for one track in one frame. */
export type MotRowFormatter = (frame: number, track: TrackerOutput) => string;

/** `frame,id,x,y,w,h,1,-1,-1,-1`, two decimals: the format of the reference SORT's output. */
export const formatSortRow: MotRowFormatter = (frame, t) => formatMotRow(frame, t.trackId, t.x1, t.y1, t.x2 - t.x1, t.y2 - t.y1);

/**
 * `frame,id,x,y,w,h,score,-1,-1,-1` as the official ByteTrack result writer prints it: box to
 * one decimal and score to two, rounded the numpy way (half to even after scaling), printed as
 * Python prints a float (`1.0`, `-0.0`).
 */
export const formatByteTrackRow: MotRowFormatter = (frame, t) => {
  const box = [t.x1, t.y1, t.x2 - t.x1, t.y2 - t.y1].map((v) => pythonFloat(numpyRound(v, 1)));
  return `${frame},${t.trackId},${box.join(',')},${pythonFloat(numpyRound(t.score, 2))},-1,-1,-1`;
};

/** Row format per tracker kind; kinds not listed write SORT's. */
const ROW_FORMATS: Readonly<Record<string, MotRowFormatter>> = { bytetrack: formatByteTrackRow };

export function motRowFormatter(kind: string): MotRowFormatter {
  return ROW_FORMATS[kind] ?? formatSortRow;
}

/** numpy's round(x, decimals) for decimals ≥ 0: x·10^d rounded half to even, divided back. */
export function numpyRound(x: number, decimals: number): number {
  const scale = 10 ** decimals;
  const y = x * scale;
  let r = Math.round(y); // half up
  if (r - y === 0.5 && r % 2 !== 0) r -= 1;
  return r / scale;
}

/** A double as Python's repr prints it: shortest round-trip digits, `.0` on integers, `-0.0`. */
export function pythonFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (Object.is(x, -0)) return '-0.0';
  const abs = Math.abs(x);
  if (abs >= 1e16 || (abs !== 0 && abs < 1e-4)) {
    const [digits, exp] = x.toExponential().split('e') as [string, string];
    const sign = exp.startsWith('-') ? '-' : '+';
    return `${digits}e${sign}${exp.replace(/^[+-]/, '').padStart(2, '0')}`;
  }
  const s = String(x);
  return Number.isInteger(x) ? `${s}.0` : s;
}

/** Runs one tracker over every frame from 1 to the last one (a frame without rows is a step too). */
export function trackMot(rows: readonly MotRow[], spec: TrackerSpec = { kind: 'sort', params: defaultParams('sort') }): MotTrackResult {
  const tracker = createTracker(spec);
  const format = motRowFormatter(spec.kind);
  const result: MotTrackResult = { lines: [], rejected: [] };
  detectionsPerFrame(rows).forEach((dets, i) => {
    const frame = i + 1;
    const { tracks, rejected } = tracker.update(dets);
    for (const t of tracks) result.lines.push(format(frame, t));
    for (const r of rejected) result.rejected.push({ frame, ...r });
  });
  return result;
}
