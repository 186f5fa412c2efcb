// Report writers fed with tracked frames in arrival order. Pure formatting plus file output;
// no Kafka here.
import { createWriteStream, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import type { TrackedFrame__Output } from '../common/gen/vsp/v1/TrackedFrame.js';
import type { Frame__Output } from '../common/gen/vsp/v1/Frame.js';
import { formatMotRow } from '../common/mot/format.js';
import { UsageError } from '../common/errors.js';
import { AnnotatedReport } from './annotate.js';
import type { Zone } from './rules/config.js';
import { TrackSummaryReport } from './track-summary.js';

export interface Report {
  add(frame: TrackedFrame__Output): void;
  /** Writes what is buffered and closes files. */
  close(): Promise<void>;
}

/** A report that draws on the images: fed each tracked frame joined with its frame. */
export interface ImageReport {
  addJoined(tracked: TrackedFrame__Output, frame: Frame__Output): void;
  /** Resolves once it can take more: the frames reader waits for it. */
  ready(): Promise<void>;
  /** Writes what is queued. */
  close(): Promise<void>;
}

/** jsonl:FILE: one JSON object per tracked frame, as received (a log: duplicates included). */
export class JsonlReport implements Report {
  private readonly out: WriteStream;

  constructor(file: string) {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.out = createWriteStream(file);
  }

  add(frame: TrackedFrame__Output): void {
    this.out.write(`${JSON.stringify(frame)}\n`);
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => this.out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
}

/**
 * mot:FILE: MOTChallenge rows `frame,id,x,y,w,h,1,-1,-1,-1` with frame = seq. Keeps the last
 * record per (camera, seq), so at-least-once duplicates vanish, and writes frames in seq order at
 * close. With several cameras, FILE must contain `{camera}` (one file per camera).
 */
export class MotReport implements Report {
  private readonly cameras = new Map<string, Map<number, TrackedFrame__Output>>();

  constructor(private readonly file: string) {}

  add(frame: TrackedFrame__Output): void {
    let frames = this.cameras.get(frame.cameraId);
    if (!frames) {
      frames = new Map();
      this.cameras.set(frame.cameraId, frames);
    }
    frames.set(frame.seq, frame);
  }

  async close(): Promise<void> {
    if (this.cameras.size > 1 && !this.file.includes('{camera}')) {
      throw new UsageError(`--report mot:${this.file}: ${this.cameras.size} cameras were read; use --camera ID or put {camera} in the file name`);
    }
    for (const [camera, frames] of this.cameras) {
      const lines: string[] = [];
      for (const seq of [...frames.keys()].sort((a, b) => a - b)) {
        for (const t of frames.get(seq)!.tracks) {
          lines.push(formatMotRow(seq, t.trackId, t.x1, t.y1, t.x2 - t.x1, t.y2 - t.y1));
        }
      }
      const file = this.file.replaceAll('{camera}', camera);
      mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      writeFileSync(file, lines.length ? `${lines.join('\n')}\n` : '');
    }
  }
}

/** Parses a --report value (jsonl:FILE | mot:FILE | annotated:DIR | csv:FILE); zones from --rules name the zones a csv row lists. */
export function createReport(spec: string, o: { zones?: readonly Zone[] } = {}): Report | ImageReport {
  const colon = spec.indexOf(':');
  const kind = colon > 0 ? spec.slice(0, colon) : '';
  const file = spec.slice(colon + 1);
  if (!file) throw new UsageError(`--report: '${spec}' needs a file, e.g. jsonl:out.jsonl`);
  switch (kind) {
    case 'jsonl':
      return new JsonlReport(file);
    case 'mot':
      return new MotReport(file);
    case 'annotated':
      return new AnnotatedReport(file);
    case 'csv':
      return new TrackSummaryReport(file, o.zones);
    default:
      throw new UsageError(`--report: unknown kind '${kind}' in '${spec}' (expected jsonl:FILE, mot:FILE, annotated:DIR or csv:FILE)`);
  }
}
