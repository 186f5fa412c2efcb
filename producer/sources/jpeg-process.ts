// Runs a program that writes MJPEG on stdout (rpicam-vid, ffmpeg) and yields its JPEGs.
// Reading stdout only as fast as frames are taken passes backpressure on to the program.
import { spawn, type ChildProcess } from 'node:child_process';
import { MjpegSplitter, type SplitterStats } from './mjpeg-splitter.js';

export interface JpegProcessOptions {
  signal: AbortSignal;
  /** Kill the program when it gives no JPEG for this long while a frame is awaited. */
  stallMs?: number;
  /** Sees each stderr line; returning true keeps the line out of ProcessEnd.stderr. */
  onStderrLine?: (line: string) => boolean;
  /** Called once stderr has closed (after the last onStderrLine). */
  onStderrEnd?: () => void;
}

export interface ProcessEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the program could not be started (ENOENT: not on PATH). */
  spawnError?: NodeJS.ErrnoException;
  /** We killed it because no frame came for stallMs. */
  stalled: boolean;
  /** The last lines it wrote on stderr. */
  stderr: string[];
  splitter: SplitterStats & { pendingBytes: number };
}

const STDERR_LINES_KEPT = 20;
const MAX_STDERR_LINE = 4096;
// Time a program gets to exit after SIGTERM (rpicam-vid releases the camera) before SIGKILL.
const TERM_GRACE_MS = 3000;

export class JpegProcess {
  /** Resolves once the program has exited and its pipes have closed. */
  readonly ended: Promise<ProcessEnd>;
  private readonly child: ChildProcess;
  private readonly splitter = new MjpegSplitter();
  private stalled = false;

  constructor(
    command: string,
    args: readonly string[],
    private readonly o: JpegProcessOptions,
  ) {
    this.child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const stderr: string[] = [];
    let spawnError: NodeJS.ErrnoException | undefined;
    this.child.on('error', (err) => (spawnError = err));
    this.readStderrLines((line) => {
      if (o.onStderrLine?.(line)) return;
      stderr.push(line.length > MAX_STDERR_LINE ? line.slice(0, MAX_STDERR_LINE) : line);
      if (stderr.length > STDERR_LINES_KEPT) stderr.shift();
    });
    this.ended = new Promise((resolve) =>
      this.child.once('close', (code, signal) =>
        resolve({
          code: spawnError ? null : code,
          signal,
          ...(spawnError ? { spawnError } : {}),
          stalled: this.stalled,
          stderr,
          splitter: { ...this.splitter.stats, pendingBytes: this.splitter.pendingBytes },
        }),
      ),
    );
    if (o.signal.aborted) this.stop();
    else o.signal.addEventListener('abort', this.stop, { once: true });
    void this.ended.then(() => o.signal.removeEventListener('abort', this.stop));
  }

  /** The JPEGs in the order written; ends when stdout closes. Stops the program if left early. */
  async *jpegs(): AsyncGenerator<Buffer> {
    const stdout = this.child.stdout![Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      if (this.o.stallMs === undefined) return;
      timer = setTimeout(() => {
        this.stalled = true;
        this.child.kill('SIGKILL');
      }, this.o.stallMs);
    };
    try {
      arm();
      for (;;) {
        const next = await stdout.next();
        if (next.done) break;
        const frames = this.splitter.push(next.value);
        if (frames.length === 0) continue;
        // The stall clock runs only while waiting on the program, not while the consumer is busy.
        clearTimeout(timer);
        for (const frame of frames) yield frame;
        arm();
      }
    } finally {
      clearTimeout(timer);
      // Unread output would keep the pipe, and so `ended`, open.
      this.child.stdout!.destroy();
      if (this.child.exitCode === null && this.child.signalCode === null) this.stop();
    }
  }

  private readonly stop = (): void => {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const escalate = setTimeout(() => this.child.kill('SIGKILL'), TERM_GRACE_MS);
    escalate.unref();
    void this.ended.then(() => clearTimeout(escalate));
  };

  private readStderrLines(onLine: (line: string) => void): void {
    let partial = '';
    const stream = this.child.stderr!;
    stream.setEncoding('utf8');
    stream.on('data', (text: string) => {
      const lines = (partial + text).split(/\r?\n|\r/);
      partial = lines.pop() ?? '';
      // A program that never ends a line must not grow this buffer without bound.
      if (partial.length > MAX_STDERR_LINE) partial = partial.slice(-MAX_STDERR_LINE);
      for (const line of lines) if (line) onLine(line);
    });
    stream.on('close', () => {
      if (partial) onLine(partial);
      this.o.onStderrEnd?.();
    });
  }
}
