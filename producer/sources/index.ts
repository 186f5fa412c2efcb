// `--source` specs to frame sources. Parsing does no I/O: a missing file or camera shows when
// frames are asked for.
import { UsageError } from '../../common/errors.js';
import type { Tool } from '../../common/requirements.js';
import { fileSource } from './file.js';
import { imagesSource } from './images.js';
import { motBlankSource } from './mot-blank.js';
import { networkSource } from './network.js';
import { picameraSource } from './picamera.js';
import { redactCredentials } from './redact.js';
import { parseSyntheticSpec, syntheticSource } from './synthetic.js';
import type { CaptureMode, FrameSource, SourceOptions } from './types.js';
import { v4l2Source } from './v4l2.js';

export type { CaptureMode, FrameSource, SourceFrame, SourceOptions } from './types.js';

const SPECS = 'picamera[:WxH@FPS], v4l2:/dev/videoN[:WxH@FPS], rtsp://…, http(s)://…, file:PATH, images:DIR, synthetic[:WxH], mot:DET.txt';
const MODE = /^(\d+)x(\d+)(?:@(\d+(?:\.\d+)?))?$/;

/** `WxH` or `WxH@FPS`, all positive. */
export function parseCaptureMode(text: string, spec: string): CaptureMode {
  const m = MODE.exec(text);
  const width = Number(m?.[1]);
  const height = Number(m?.[2]);
  const fps = m?.[3] === undefined ? undefined : Number(m[3]);
  if (!m || !(width > 0) || !(height > 0) || fps === 0) throw new UsageError(`--source ${spec}: bad capture mode "${text}" (expected WxH or WxH@FPS, e.g. 1280x720@30)`);
  return fps === undefined ? { width, height } : { width, height, fps };
}

/** `DEVICE[:WxH@FPS]`; device paths may hold colons themselves (/dev/v4l/by-path/pci-0000:00:14.0-…). */
export function parseV4l2Spec(rest: string, spec: string): { device: string; mode: CaptureMode } {
  const last = rest.lastIndexOf(':');
  const tail = rest.slice(last + 1);
  if (last < 0 || !/^\d+x/.test(tail)) return { device: rest, mode: {} };
  return { device: rest.slice(0, last), mode: parseCaptureMode(tail, spec) };
}

/** The programs a source spec runs (to check before starting anything). */
export function sourceTools(spec: string): Tool[] {
  const scheme = spec.split(':', 1)[0]!;
  if (scheme === 'picamera') return ['rpicam-vid'];
  return ['v4l2', 'rtsp', 'http', 'https', 'file'].includes(scheme) ? ['ffmpeg'] : [];
}

export function parseSource(spec: string, opts: SourceOptions): FrameSource {
  const colon = spec.indexOf(':');
  const scheme = colon < 0 ? spec : spec.slice(0, colon);
  const rest = colon < 0 ? '' : spec.slice(colon + 1);
  // --fps 0 means no rate for the camera and image sources.
  const o: SourceOptions = { ...opts, fps: opts.fps || undefined };
  const liveOnly = (): void => {
    if (opts.loop) throw new UsageError(`--loop applies to file: and images: sources, not ${scheme}`);
  };
  const needs = (what: string): string => {
    if (!rest) throw new UsageError(`--source ${spec}: expected ${scheme}:${what}`);
    return rest;
  };

  switch (scheme) {
    case 'picamera':
      liveOnly();
      return picameraSource(spec, rest ? parseCaptureMode(rest, spec) : {}, o);
    case 'v4l2': {
      liveOnly();
      const { device, mode } = parseV4l2Spec(needs('/dev/videoN[:WxH@FPS]'), spec);
      return v4l2Source(spec, device, mode, o);
    }
    case 'rtsp':
    case 'http':
    case 'https':
      liveOnly();
      if (!URL.canParse(spec) || !rest.startsWith('//')) throw new UsageError(`--source ${redactCredentials(spec)}: not a valid URL`);
      return networkSource(spec, o);
    case 'file':
      if (o.fps !== undefined) throw new UsageError("--fps does not apply to file: sources (they run at the file's own rate with --realtime)");
      return fileSource(needs('PATH'), o);
    case 'images':
      return imagesSource(needs('DIR'), o);
    case 'synthetic': {
      let size: { width: number; height: number };
      try {
        size = parseSyntheticSpec(spec);
      } catch (err) {
        throw new UsageError(`--source: ${(err as Error).message}`);
      }
      return syntheticSource({ ...size, seed: opts.seed ?? 1, fps: opts.fps });
    }
    case 'mot':
      return motBlankSource(needs('DET.txt'));
    default:
      throw new UsageError(`unknown source "${redactCredentials(spec)}" (expected ${SPECS})`);
  }
}
