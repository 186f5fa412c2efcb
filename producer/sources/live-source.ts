// Keeps a live source (camera, stream) going: runs its capture program, and when the program
// dies, stalls or the stream ends, logs why and runs it again after a backoff delay, for as
// long as the signal allows. Frames are handed out in the order they arrive, across restarts.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { ffmpeg } from '../../common/requirements.js';
import { jpegSize } from '../../common/jpeg.js';
import { DEFAULT_BACKOFF, backoffDelayMs, type BackoffOptions } from './backoff.js';
import { JpegProcess } from './jpeg-process.js';
import { FpsCap } from './pacing.js';
import { redactCredentials } from './redact.js';
import type { SourceFrame } from './types.js';

export interface CaptureCommand {
  command: string;
  args: string[];
}

export interface LiveSourceOptions {
  description: string;
  log: Logger;
  /** Drop frames above this rate. */
  fps?: number;
  /** Restart the program when it gives no frame for this long (a hung camera or stream). */
  stallMs?: number;
  backoff?: BackoffOptions;
  /** The command for the next attempt (may probe the device first); an error here is fatal. */
  prepare(signal: AbortSignal): Promise<CaptureCommand>;
}

export const DEFAULT_STALL_MS = 10_000;

/** A capture by the ffmpeg this machine has (common/requirements.ts), given arguments for a current ffmpeg. */
export async function ffmpegCapture(args: readonly string[]): Promise<CaptureCommand> {
  const ff = await ffmpeg();
  return { command: ff.command, args: ff.args(args) };
}

export async function* liveFrames(o: LiveSourceOptions, signal: AbortSignal): AsyncGenerator<SourceFrame> {
  const backoff = o.backoff ?? DEFAULT_BACKOFF;
  const cap = o.fps ? new FpsCap(o.fps) : undefined;
  const log = o.log.child({ source: o.description });
  let attempt = 0;
  let lastFrameAt: number | undefined;
  let lostAt: number | undefined; // time of the last frame before the current outage

  while (!signal.aborted) {
    const { command, args } = await o.prepare(signal);
    log.info({ command, args: args.map(redactCredentials) }, 'starting capture');
    const proc = new JpegProcess(command, args, { signal, stallMs: o.stallMs ?? DEFAULT_STALL_MS });
    let firstFrameAt: number | undefined;
    let unreadable = 0;

    for await (const image of proc.jpegs()) {
      if (signal.aborted) break; // frames still in the pipe after an abort are not wanted
      let size;
      try {
        size = jpegSize(image);
      } catch (err) {
        unreadable++;
        log.debug({ err }, 'dropped a frame without a readable size');
        continue;
      }
      const now = performance.now();
      firstFrameAt ??= now;
      lastFrameAt = now;
      if (lostAt !== undefined) {
        log.info({ gapMs: now - lostAt, attempts: attempt }, 'source resumed after a gap');
        lostAt = undefined;
      }
      if (cap && !cap.accept(now)) continue;
      yield { image, ...size };
    }

    const end = await proc.ended;
    if (signal.aborted) return;
    if (end.spawnError?.code === 'ENOENT') throw new Error(`${o.description}: ${command} is not installed (not found on PATH)`);
    // A run that delivered frames for a while counts as recovered: retries start short again.
    if (firstFrameAt !== undefined && (lastFrameAt ?? 0) - firstFrameAt >= backoff.maxMs) attempt = 0;
    attempt++;
    lostAt ??= lastFrameAt ?? performance.now();
    const retryInMs = backoffDelayMs(attempt, backoff);
    log.warn(
      {
        exitCode: end.code,
        exitSignal: end.signal,
        stalled: end.stalled,
        spawnError: end.spawnError?.message,
        stderr: end.stderr.slice(-5).map(redactCredentials),
        splitter: end.splitter,
        unreadableFrames: unreadable,
        attempt,
        retryInMs,
      },
      end.stalled ? 'source stalled; restarting' : 'source lost; retrying',
    );
    try {
      await sleep(retryInMs, undefined, { signal });
    } catch {
      return; // aborted while waiting
    }
  }
}
