// csv:FILE report: one row per track, written at close. Duplicates of a (camera, seq) already
// read are ignored, so at-least-once replays do not inflate the counts or the path.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TrackedFrame__Output } from '../../common/gen/vsp/v1/TrackedFrame.js';
import { timestampToMs } from '../../common/time.js';
import type { Zone } from '../rules/config.js';
import { bottomCentre, distance, pointInPolygon, type Point } from '../rules/geometry.js';
import type { Report, ReportFormat } from './report.js';

const CSV_COLUMNS = ['camera', 'track_id', 'label', 'first_seq', 'last_seq', 'first_time', 'last_time', 'frames', 'path_px', 'zones'] as const;

interface Summary {
  camera: string;
  id: number;
  /** Frames per label: a track's label is the one it had most often. */
  labels: Map<string, number>;
  firstSeq: number;
  lastSeq: number;
  firstMs: number;
  lastMs: number;
  frames: number;
  pathPx: number;
  last: Point;
  /** In order of first visit. */
  zones: Set<string>;
}

export class TrackSummaryReport implements Report {
  private readonly tracks = new Map<string, Summary>();
  private readonly lastSeq = new Map<string, number>();

  /** zones: from the rules config, to list the zones each track visited. */
  constructor(private readonly file: string, private readonly zones: readonly Zone[] = []) {}

  add(frame: TrackedFrame__Output): void {
    if (frame.seq <= (this.lastSeq.get(frame.cameraId) ?? -Infinity)) return;
    this.lastSeq.set(frame.cameraId, frame.seq);
    const ms = timestampToMs(frame.captureTime);
    for (const t of frame.tracks) {
      const key = `${frame.cameraId}\u0000${t.trackId}`;
      const p = bottomCentre(t);
      let s = this.tracks.get(key);
      if (!s) {
        s = { camera: frame.cameraId, id: t.trackId, labels: new Map(), firstSeq: frame.seq, lastSeq: frame.seq, firstMs: ms, lastMs: ms, frames: 0, pathPx: 0, last: p, zones: new Set() };
        this.tracks.set(key, s);
      }
      s.labels.set(t.label, (s.labels.get(t.label) ?? 0) + 1);
      s.pathPx += distance(s.last, p);
      Object.assign(s, { lastSeq: frame.seq, lastMs: ms, last: p });
      s.frames += 1;
      for (const z of this.zones) {
        if ((z.camera === undefined || z.camera === frame.cameraId) && pointInPolygon(p, z.polygon)) s.zones.add(z.name);
      }
    }
  }

  async close(): Promise<void> {
    const rows = [...this.tracks.values()]
      .sort((a, b) => (a.camera < b.camera ? -1 : a.camera > b.camera ? 1 : a.id - b.id))
      .map((s) => [s.camera, s.id, topLabel(s.labels), s.firstSeq, s.lastSeq, isoOrEmpty(s.firstMs), isoOrEmpty(s.lastMs), s.frames, s.pathPx.toFixed(1), [...s.zones].join(';')]);
    mkdirSync(path.dirname(path.resolve(this.file)), { recursive: true });
    writeFileSync(this.file, [CSV_COLUMNS, ...rows].map((r) => `${r.map(csvField).join(',')}\n`).join(''));
  }
}

/** The most frequent label; the first seen wins a tie. */
function topLabel(labels: Map<string, number>): string {
  let best = '';
  let n = 0;
  for (const [label, k] of labels) if (k > n) [best, n] = [label, k];
  return best;
}

export const csvFormat: ReportFormat = {
  kind: 'csv',
  target: 'FILE',
  help: 'one row per track',
  create: (file, ctx) => new TrackSummaryReport(file, ctx.zones),
};

function isoOrEmpty(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : '';
}

/** RFC 4180: quote a field holding a comma, quote or line break; double its quotes. */
export function csvField(v: string | number): string {
  // A text cell a spreadsheet would take for a formula (=, +, -, @, tab, CR first) is made plain text.
  const s = typeof v === 'string' && /^[=+\-@\t\r]/.test(v) ? `'${v}` : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}
