// RTSP and HTTP(S) streams (IP cameras, MJPEG-over-HTTP) through ffmpeg, which reads any
// stream it knows and writes JPEGs. RTSP goes over TCP: UDP loses packets, hence broken frames.
import { ffmpegCapture, liveFrames } from './live-source.js';
import { redactCredentials } from './redact.js';
import type { FrameSource, SourceOptions } from './types.js';

export function networkArgs(url: string): string[] {
  const transport = url.startsWith('rtsp://') ? ['-rtsp_transport', 'tcp'] : [];
  return ['-hide_banner', '-nostdin', '-loglevel', 'error', ...transport, '-i', url, '-an', '-fps_mode', 'passthrough', '-f', 'mjpeg', '-q:v', '3', '-'];
}

export function networkSource(url: string, o: SourceOptions): FrameSource {
  const description = redactCredentials(url);
  const args = networkArgs(url);
  return {
    description,
    live: true,
    paced: true,
    frames: (signal) =>
      liveFrames({ description, log: o.log, fps: o.fps, prepare: () => ffmpegCapture(args) }, signal),
  };
}
