// USB (UVC) and other V4L2 cameras through ffmpeg. Most webcams offer MJPEG, which is passed
// through untouched (-c:v copy); a camera offering only raw (or other compressed) formats is
// encoded to JPEG. The choice comes from the formats the device lists, asked again on every
// attempt since another camera may be plugged in while the first is gone. When the listing
// names nothing (device missing, busy), ffmpeg picks the format and the frames are encoded.
import { execFile } from 'node:child_process';
import { ffmpeg } from '../../common/requirements.js';
import { ffmpegCapture, liveFrames } from './live-source.js';
import type { CaptureMode, FrameSource, SourceOptions } from './types.js';

export interface V4l2Formats {
  compressed: string[];
  raw: string[];
}

export interface InputChoice {
  /** ffmpeg's -input_format, absent to let ffmpeg pick. */
  inputFormat?: string;
  /** The device gives JPEG already: copy it instead of encoding. */
  passthrough: boolean;
}

// ffmpeg prints e.g. "[video4linux2,v4l2 @ 0x…] Compressed:       mjpeg :          Motion-JPEG : 640x480 …"
const FORMAT_LINE = /\b(Raw|Compressed)\s*:\s*(\S+)\s*:/;

/** Formats ffmpeg can read, from the stderr of `ffmpeg -f v4l2 -list_formats all -i DEVICE`. */
export function parseV4l2Formats(listing: string): V4l2Formats {
  const formats: V4l2Formats = { compressed: [], raw: [] };
  for (const line of listing.split('\n')) {
    const m = FORMAT_LINE.exec(line);
    if (!m?.[2] || m[2] === 'Unsupported') continue;
    (m[1] === 'Raw' ? formats.raw : formats.compressed).push(m[2]);
  }
  return formats;
}

/** MJPEG when offered; otherwise the first listed format (drivers list their preferred first). */
export function chooseInput(formats: V4l2Formats): InputChoice {
  if (formats.compressed.includes('mjpeg')) return { inputFormat: 'mjpeg', passthrough: true };
  const first = formats.raw[0] ?? formats.compressed[0];
  return first ? { inputFormat: first, passthrough: false } : { passthrough: false };
}

export function v4l2Args(device: string, mode: CaptureMode, input: InputChoice): string[] {
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'v4l2'];
  if (input.inputFormat) args.push('-input_format', input.inputFormat);
  if (mode.width !== undefined && mode.height !== undefined) args.push('-video_size', `${mode.width}x${mode.height}`);
  if (mode.fps !== undefined) args.push('-framerate', String(mode.fps));
  args.push('-i', device);
  args.push(...(input.passthrough ? ['-c:v', 'copy'] : ['-c:v', 'mjpeg', '-q:v', '3', '-fps_mode', 'passthrough']));
  args.push('-f', 'mjpeg', '-');
  return args;
}

async function listFormats(device: string, signal: AbortSignal): Promise<string> {
  const args = ['-hide_banner', '-nostdin', '-f', 'v4l2', '-list_formats', 'all', '-i', device];
  const { command } = await ffmpeg();
  return new Promise((resolve, reject) => {
    // ffmpeg lists the formats and exits with an error ("Immediate exit requested"): only ENOENT matters.
    execFile(command, args, { signal, timeout: 10_000 }, (err, _stdout, stderr) => {
      if ((err as NodeJS.ErrnoException | null)?.code === 'ENOENT') reject(new Error(`cannot run ${command}: not found`));
      else resolve(stderr);
    });
  });
}

export function v4l2Source(description: string, device: string, mode: CaptureMode, o: SourceOptions): FrameSource {
  const requested = { ...mode, fps: mode.fps ?? o.fps };
  return {
    description,
    live: true,
    paced: true,
    frames: (signal) =>
      liveFrames(
        {
          description,
          log: o.log,
          fps: o.fps,
          async prepare(signal) {
            const formats = parseV4l2Formats(await listFormats(device, signal));
            const input = chooseInput(formats);
            o.log.info({ source: description, formats, ...input }, 'v4l2 input format');
            return ffmpegCapture(v4l2Args(device, requested, input));
          },
        },
        signal,
      ),
  };
}
