// Raspberry Pi camera through rpicam-vid (libcamera-vid before Pi OS bookworm), which encodes
// MJPEG itself: its JPEGs are passed through untouched.
import { findOnPath, PICAMERA_PROGRAMS } from '../../common/requirements.js';
import { liveFrames } from './live-source.js';
import type { CaptureMode, FrameSource, SourceOptions } from './types.js';

/** rpicam-vid arguments: no time limit, MJPEG on stdout, no preview window. */
export function picameraArgs(mode: CaptureMode): string[] {
  const args = ['-t', '0', '--codec', 'mjpeg', '-o', '-'];
  if (mode.width !== undefined && mode.height !== undefined) args.push('--width', String(mode.width), '--height', String(mode.height));
  if (mode.fps !== undefined) args.push('--framerate', String(mode.fps));
  args.push('-n');
  return args;
}

export function picameraSource(description: string, mode: CaptureMode, o: SourceOptions): FrameSource {
  const args = picameraArgs({ ...mode, fps: mode.fps ?? o.fps });
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
          async prepare() {
            const command = await findOnPath(PICAMERA_PROGRAMS);
            if (!command) throw new Error(`${description}: neither rpicam-vid nor libcamera-vid is on PATH (install rpicam-apps)`);
            return { command, args };
          },
        },
        signal,
      ),
  };
}
