// jsonl:FILE report: one JSON object per tracked frame, as received (a log: duplicates included).
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import type { TrackedFrame__Output } from '../../common/gen/vsp/v1/TrackedFrame.js';
import type { Report, ReportFormat } from './report.js';

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

export const jsonlFormat: ReportFormat = {
  kind: 'jsonl',
  target: 'FILE',
  help: 'one JSON line per frame',
  create: (file) => new JsonlReport(file),
};
