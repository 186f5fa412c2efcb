// Video files through ffmpeg: any format it decodes, every frame (no rate conversion), encoded
// to JPEG. The frames' pts come from ffmpeg's showinfo filter, which logs one line on stderr
// per frame before that frame is encoded; the nth line belongs to the nth JPEG. With --loop
// ffmpeg's -stream_loop keeps pts increasing across restarts of the file.
import { setTimeout as sleep } from 'node:timers/promises';
import { ffmpeg } from '../../common/requirements.js';
import { jpegSize } from '../../common/jpeg.js';
import { JpegProcess } from './jpeg-process.js';
import { RealtimePacer } from './pacing.js';
import type { FrameSource, SourceFrame, SourceOptions } from './types.js';

export function fileArgs(path: string, loop: boolean): string[] {
  return [
    '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info', // info: showinfo logs at that level
    ...(loop ? ['-stream_loop', '-1'] : []),
    // The file: protocol keeps a path with a colon (or one that looks like a URL) a file.
    '-i', `file:${path}`,
    '-map', '0:v:0', '-vf', 'showinfo=checksum=0', '-fps_mode', 'passthrough',
    '-f', 'mjpeg', '-q:v', '3', '-',
  ];
}

/** Reads frame timestamps from showinfo's stderr lines, in frame order. */
export class ShowinfoTimes {
  private timeBase: { num: bigint; den: bigint } | undefined;
  private readonly times: Array<bigint | undefined> = [];
  private waiting: ((t: bigint | undefined) => void) | undefined;
  private ended = false;

  /** Takes a stderr line; true when it was showinfo's (not of interest to anyone else). */
  line(line: string): boolean {
    if (!line.startsWith('[Parsed_showinfo')) return false;
    const tb = /config in time_base: (\d+)\/(\d+)/.exec(line);
    if (tb?.[1] && tb[2] && tb[2] !== '0') this.timeBase = { num: BigInt(tb[1]), den: BigInt(tb[2]) };
    const frame = /\bn:\s*\d+\s+pts:\s*(\S+)/.exec(line);
    if (frame?.[1]) this.add(/^-?\d+$/.test(frame[1]) && this.timeBase ? (BigInt(frame[1]) * this.timeBase.num * 1_000_000_000n) / this.timeBase.den : undefined);
    return true;
  }

  end(): void {
    this.ended = true;
    this.waiting?.(undefined);
    this.waiting = undefined;
  }

  /** The next frame's time in ns; undefined when it has none or stderr ended without it. */
  next(): Promise<bigint | undefined> {
    if (this.times.length > 0 || this.ended) return Promise.resolve(this.times.shift());
    return new Promise((resolve) => (this.waiting = resolve));
  }

  private add(t: bigint | undefined): void {
    if (this.waiting) {
      this.waiting(t);
      this.waiting = undefined;
    } else {
      this.times.push(t);
    }
  }
}

export function fileSource(path: string, o: SourceOptions): FrameSource {
  const description = `file:${path}`;
  return {
    description,
    live: false,
    paced: o.realtime === true,
    async *frames(signal): AsyncGenerator<SourceFrame> {
      const ff = await ffmpeg();
      const times = new ShowinfoTimes();
      const proc = new JpegProcess(ff.command, ff.args(fileArgs(path, o.loop ?? false)), {
        signal,
        onStderrLine: (line) => times.line(line),
        onStderrEnd: () => times.end(),
      });
      const pacer = o.realtime ? new RealtimePacer() : undefined;
      for await (const image of proc.jpegs()) {
        if (signal.aborted) break;
        const sourceTimeNs = await times.next();
        if (pacer && sourceTimeNs !== undefined) {
          const delay = pacer.delayMs(Number(sourceTimeNs) / 1e6, performance.now());
          if (delay > 0) await sleep(delay, undefined, { signal }).catch(() => undefined);
          if (signal.aborted) break;
        }
        yield { image, ...jpegSize(image), sourceTimeNs };
      }
      const end = await proc.ended;
      if (signal.aborted) return;
      if (end.spawnError) throw new Error(`${description}: cannot run ${ff.command}: ${end.spawnError.message}`);
      if (end.code !== 0) {
        const why = end.stderr.at(-1) ?? `exit code ${end.code ?? end.signal}`;
        throw new Error(`${description}: ffmpeg could not read it: ${why}`);
      }
      if (end.splitter.frames === 0) throw new Error(`${description}: no video frames`);
    },
  };
}
