// mot:FILE report: MOTChallenge rows `frame,id,x,y,w,h,1,-1,-1,-1` with frame = seq.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TrackedFrame__Output } from '../../common/gen/vsp/v1/TrackedFrame.js';
import { formatMotRow } from '../../common/mot/format.js';
import { UsageError } from '../../common/errors.js';
import { cameraFileName, type Report, type ReportFormat } from './report.js';

/**
 * Keeps the last record per (camera, seq), so at-least-once duplicates vanish, and writes frames
 * in seq order at close. With several cameras, FILE must contain `{camera}` (one file per camera).
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
      const file = this.file.replaceAll('{camera}', cameraFileName(camera));
      mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      writeFileSync(file, lines.length ? `${lines.join('\n')}\n` : '');
    }
  }
}

export const motFormat: ReportFormat = {
  kind: 'mot',
  target: 'FILE',
  help: 'MOTChallenge rows; {camera} in FILE for one file per camera',
  create: (file) => new MotReport(file),
};
