// Frame numbers survive restarts: seqs are reserved in blocks written to a small state file
// *before* they are used, so a producer that crashes and restarts never reuses a seq (it skips
// at most one block, which the tracker sees as dropped frames). A clean close records the exact
// last seq, so a clean restart continues with no gap.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Seqs reserved per write of the state file; a crash skips fewer than this. */
export const SEQ_BLOCK = 64;

export class SeqStore {
  private last: number;
  private reserved: number;

  constructor(private readonly file: string) {
    this.last = readLast(file);
    this.reserved = this.last;
  }

  /** The next seq (1-based), reserving a new block on disk when the current one is used up. */
  next(): number {
    this.last += 1;
    if (this.last > this.reserved) {
      this.reserved = this.last + SEQ_BLOCK - 1;
      this.persist(this.reserved);
    }
    return this.last;
  }

  /** Records the exact last seq used, so the next run continues without a gap. */
  close(): void {
    this.persist(this.last);
  }

  private persist(value: number): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    // Synced before the rename: a reservation lost to a power cut would let seqs be reused.
    const fd = openSync(tmp, 'w');
    try {
      writeFileSync(fd, `${value}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
  }
}

function readLast(file: string): number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return 0;
  }
  const n = Number(text.trim());
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`corrupt seq state file ${file}: ${JSON.stringify(text.slice(0, 40))}`);
  return n;
}
