// Reading a MOT file for a command: unreadable or malformed input is the user's error (exit 2).
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { MotParseError, parseMot, type MotRow } from './format.js';

/** Reads and parses `path`; errors name the flag it came from, and the line for a bad row. */
export function readMotFile(path: string, flag: string): MotRow[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`${flag}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    return parseMot(text, path);
  } catch (err) {
    if (err instanceof MotParseError) throw new UsageError(`${flag}: ${err.message}`);
    throw err;
  }
}
