// Tracker benchmark (`npm run bench:tracker [-- --json]`): the 11 MOT15 sequences of
// test/fixtures/mot15/det, for each tracker kind (SORT and ByteTrack, default parameters),
// frames per second of
//   - the tracker alone (update() over pre-parsed frames; median of RUNS passes after WARMUP),
//   - `vsp track --tracker NAME` as a whole process (wall time including node start-up, parsing
//     and output).
// The kinds are timed interleaved, so that load from elsewhere hits them alike. Prints a table
// and then one JSON line (rows per tracker and sequence, a total per tracker; `total` is SORT's,
// as before); with --json only the JSON line.
import { spawnSync } from 'node:child_process';
import { devNull } from 'node:os';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseMot } from '../common/mot/format.js';
import { detectionsPerFrame } from '../broker/tracker/mot-track.js';
import { createTracker, defaultParams } from '../broker/tracker/registry.js';
import type { TrackerDetection } from '../broker/tracker/tracker.js';

const TRACKERS = ['sort', 'bytetrack'] as const;
const WARMUP = 3;
const RUNS = 7;
const PROCESS_RUNS = 5;

const root = fileURLToPath(new URL('../..', import.meta.url));
const detDir = path.join(root, 'test/fixtures/mot15/det');
const jsonOnly = process.argv.includes('--json');

interface Sequence {
  name: string;
  file: string;
  frames: TrackerDetection[][];
  detections: number;
}

const sequences: Sequence[] = readdirSync(detDir)
  .filter((f) => f.endsWith('.txt'))
  .sort()
  .map((f) => {
    const rows = parseMot(readFileSync(path.join(detDir, f), 'utf8'), f);
    return { name: f.slice(0, -4), file: path.join(detDir, f), frames: detectionsPerFrame(rows), detections: rows.length };
  });

let checksum = 0; // consumed below so that no work can be optimised away

function runTracker(kind: string, seq: Sequence): number {
  const start = performance.now();
  const tracker = createTracker({ kind, params: defaultParams(kind) });
  for (const dets of seq.frames) checksum += tracker.update(dets).tracks.length;
  return performance.now() - start;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

const vsp = path.join(root, 'bin/vsp.js');
let processError: string | undefined;
function runProcess(kind: string, seq: Sequence): number {
  const start = performance.now();
  const r = spawnSync(process.execPath, [vsp, 'track', '--tracker', kind, '--mot', seq.file, '--out', devNull], { encoding: 'utf8' });
  const ms = performance.now() - start;
  if (r.status !== 0) processError ??= `vsp track --tracker ${kind} exited ${r.status}: ${(r.stderr || String(r.error)).trim().split('\n')[0]}`;
  return ms;
}

const fps = (frames: number, ms: number) => Math.round((frames * 1000) / ms);

interface Row {
  tracker: string;
  sequence: string;
  frames: number;
  detections: number;
  trackerMs: number;
  trackerFps: number;
  processMs: number;
  processFps: number;
}

interface Timings {
  /** Per sequence, the ms of each run. */
  trackerMs: number[][];
  /** Total ms of each whole pass. */
  passMs: number[];
  /** Per sequence, the ms of each process. */
  processMs: number[][];
}

/**
 * Times every tracker kind, interleaved (a pass of each kind per run, each kind's process on a
 * sequence after the other's), so that load from elsewhere on the machine hits them alike.
 */
function time(): Timings[] {
  const timings = TRACKERS.map(
    (): Timings => ({ trackerMs: sequences.map(() => []), passMs: [], processMs: sequences.map(() => []) }),
  );
  for (let i = 0; i < WARMUP; i++) for (const kind of TRACKERS) for (const seq of sequences) runTracker(kind, seq);
  for (let run = 0; run < RUNS; run++) {
    TRACKERS.forEach((kind, k) => {
      const t = timings[k] as Timings;
      let pass = 0;
      sequences.forEach((seq, i) => {
        const ms = runTracker(kind, seq);
        t.trackerMs[i]?.push(ms);
        pass += ms;
      });
      t.passMs.push(pass);
    });
  }
  sequences.forEach((seq, i) => {
    runProcess('sort', seq); // warm the file cache
    for (let run = 0; run < PROCESS_RUNS; run++) {
      TRACKERS.forEach((kind, k) => (timings[k] as Timings).processMs[i]?.push(runProcess(kind, seq)));
    }
  });
  return timings;
}

/** Rows per sequence and the total of one tracker kind. */
function summarize(kind: string, { trackerMs, passMs, processMs }: Timings): { rows: Row[]; total: Row } {
  const rows = sequences.map((seq, i): Row => {
    const t = median(trackerMs[i] as number[]);
    const p = median(processMs[i] as number[]);
    return {
      tracker: kind,
      sequence: seq.name,
      frames: seq.frames.length,
      detections: seq.detections,
      trackerMs: +t.toFixed(3),
      trackerFps: fps(seq.frames.length, t),
      processMs: +p.toFixed(1),
      processFps: fps(seq.frames.length, p),
    };
  });
  const frames = rows.reduce((n, r) => n + r.frames, 0);
  const totalTracker = median(passMs);
  const totalProcess = processMs.reduce((n, runs) => n + median(runs), 0);
  const total: Row = {
    tracker: kind,
    sequence: 'total',
    frames,
    detections: rows.reduce((n, r) => n + r.detections, 0),
    trackerMs: +totalTracker.toFixed(3),
    trackerFps: fps(frames, totalTracker),
    processMs: +totalProcess.toFixed(1),
    processFps: fps(frames, totalProcess),
  };
  return { rows, total };
}

const results = time().map((t, k) => summarize(TRACKERS[k] as string, t));
const rows = results.flatMap((r) => r.rows);
const totals = Object.fromEntries(results.map((r) => [r.total.tracker, r.total]));

if (!jsonOnly) {
  const header = ['tracker', 'sequence', 'frames', 'dets', 'tracker ms', 'tracker fps', 'vsp track ms', 'vsp track fps'];
  const cells = results.flatMap((r) => [...r.rows, r.total]).map((r) => [
    r.tracker,
    r.sequence,
    String(r.frames),
    String(r.detections),
    r.trackerMs.toFixed(3),
    String(r.trackerFps),
    r.processMs.toFixed(1),
    String(r.processFps),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((row) => (row[c] as string).length)));
  const line = (row: string[]) => row.map((cell, c) => (c < 2 ? cell.padEnd(widths[c] as number) : cell.padStart(widths[c] as number))).join('  ');
  console.log(line(header));
  for (const row of cells) console.log(line(row));
  console.log(
    `tracker alone: median of ${RUNS} runs after ${WARMUP} warm-up passes; vsp track: median of ${PROCESS_RUNS} processes (node start-up included)`,
  );
  if (processError) console.log(`warning: ${processError}`);
}
console.log(
  JSON.stringify({
    bench: 'tracker',
    node: process.version,
    runs: RUNS,
    processRuns: PROCESS_RUNS,
    trackers: TRACKERS,
    sequences: rows,
    totals,
    total: totals.sort,
    processError: processError ?? null,
    checksum,
  }),
);
