// Offline tracking of a MOTChallenge detection file: the core of `vsp track`, shared with the
// tests and the benchmark. Pure code.
import { formatMotRow, lastFrame, rowsByFrame, type MotRow } from '../../common/mot/format.js';
import { createTracker, defaultParams, type TrackerSpec } from './registry.js';
import type { TrackerDetection } from './tracker.js';

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

/** Runs one tracker over every frame from 1 to the last one (a frame without rows is a step too). */
export function trackMot(rows: readonly MotRow[], spec: TrackerSpec = { kind: 'sort', params: defaultParams('sort') }): MotTrackResult {
  const tracker = createTracker(spec);
  const result: MotTrackResult = { lines: [], rejected: [] };
  detectionsPerFrame(rows).forEach((dets, i) => {
    const frame = i + 1;
    const { tracks, rejected } = tracker.update(dets);
    for (const t of tracks) result.lines.push(formatMotRow(frame, t.trackId, t.x1, t.y1, t.x2 - t.x1, t.y2 - t.y1));
    for (const r of rejected) result.rejected.push({ frame, ...r });
  });
  return result;
}
