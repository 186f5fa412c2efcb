// MOTChallenge text files (detections, ground truth, tracker output): one box per line,
// `frame,id,x,y,w,h,score,...` with frames from 1 and (x, y) the top-left corner. Pure code.

export interface MotRow {
  frame: number;
  /** Track/object id; -1 in detection files. */
  id: number;
  x: number;
  y: number;
  w: number;
  h: number;
  /** Detection confidence; in ground truth the "consider" flag, in tracker output usually 1 or -1. */
  score: number;
}

/** A line that is not a MOT row; `line` is 1-based. */
export class MotParseError extends Error {
  override name = 'MotParseError';
  constructor(
    readonly source: string,
    readonly line: number,
    problem: string,
  ) {
    super(`${source}:${line}: ${problem}`);
  }
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const FIELDS = ['frame', 'id', 'x', 'y', 'w', 'h', 'score'] as const;

/**
 * Parses a whole file. Fields are separated by commas (or, in lines without commas, by
 * whitespace); blank lines, surrounding whitespace, CRLF and fields after the 7th are tolerated.
 * Throws MotParseError naming `source` and the line of the first bad row.
 */
export function parseMot(text: string, source = 'input'): MotRow[] {
  const rows: MotRow[] = [];
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = (lines[n] as string).trim();
    if (line === '') continue;
    const fields = line.includes(',') ? line.split(',') : line.split(/\s+/);
    if (fields.length < FIELDS.length) {
      throw new MotParseError(source, n + 1, `expected at least 7 fields (frame,id,x,y,w,h,score), got ${fields.length}`);
    }
    const values = new Array<number>(FIELDS.length);
    for (let f = 0; f < FIELDS.length; f++) {
      const field = (fields[f] as string).trim();
      if (!NUMBER.test(field)) throw new MotParseError(source, n + 1, `${FIELDS[f]} is not a number: '${field}'`);
      values[f] = Number(field);
    }
    const [frame, id, x, y, w, h, score] = values as [number, number, number, number, number, number, number];
    if (!Number.isSafeInteger(frame) || frame < 1) throw new MotParseError(source, n + 1, `frame must be an integer ≥ 1, got ${frame}`);
    if (!Number.isSafeInteger(id)) throw new MotParseError(source, n + 1, `id must be an integer, got ${id}`);
    for (const [name, value] of [['x', x], ['y', y], ['w', w], ['h', h], ['score', score]] as const) {
      if (!Number.isFinite(value)) throw new MotParseError(source, n + 1, `${name} is out of range: ${value}`);
    }
    rows.push({ frame, id, x, y, w, h, score });
  }
  return rows;
}

/** Rows per frame, in file order within a frame; frames without rows are absent. */
export function rowsByFrame(rows: readonly MotRow[]): Map<number, MotRow[]> {
  const byFrame = new Map<number, MotRow[]>();
  for (const row of rows) {
    const list = byFrame.get(row.frame);
    if (list) list.push(row);
    else byFrame.set(row.frame, [row]);
  }
  return byFrame;
}

/** The last frame number with a row, 0 when there are none. */
export function lastFrame(rows: readonly MotRow[]): number {
  let last = 0;
  for (const row of rows) if (row.frame > last) last = row.frame;
  return last;
}

/** One tracker-output line, `frame,id,x,y,w,h,1,-1,-1,-1`, box to two decimals (no newline). */
export function formatMotRow(frame: number, id: number, x: number, y: number, w: number, h: number): string {
  return `${frame},${id},${x.toFixed(2)},${y.toFixed(2)},${w.toFixed(2)},${h.toFixed(2)},1,-1,-1,-1`;
}
