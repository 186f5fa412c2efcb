// `vsp consumer --display window`: one OpenCV (highgui) window per camera showing its latest
// joined frame with the tracks drawn. A timer pumps the GUI's event loop (cv.waitKey), which also
// reads the keyboard: `q` in a window quits. Frames arriving faster than they can be drawn are
// skipped: only each camera's latest waits, so a slow desktop never holds the readers back.
import type { Frame__Output } from '../../common/gen/vsp/v1/Frame.js';
import type { TrackedFrame__Output } from '../../common/gen/vsp/v1/TrackedFrame.js';
import type { Logger } from '../../common/log.js';
import { loadOpenCv, type OpenCv } from '../../common/opencv.js';
import { nowMs, timestampToMs } from '../../common/time.js';
import { drawFrame } from './draw.js';
import { Trails, type Point } from './trails.js';

export interface WindowDisplayOptions {
  log: Logger;
  /** Called once when the user presses `q` in a window. */
  onQuit: () => void;
}

export interface WindowDisplay {
  show(frame: Frame__Output, tracked: TrackedFrame__Output): void;
  close(): Promise<void>;
}

interface Camera {
  window: string;
  created: boolean;
  /** Arrival times (ms) over the last second, for the frame rate. */
  arrivals: number[];
  pending?: { frame: Frame__Output; tracked: TrackedFrame__Output; trails: ReadonlyMap<number, readonly Point[]>; fps: number; latencyMs: number };
}

/** How often the GUI's events are processed (and pending frames drawn). */
const PUMP_MS = 15;
/** Frames larger than this are shown scaled down, so a 4K camera still fits on a screen. */
const MAX_SIZE = { width: 1280, height: 720 };

export async function startWindowDisplay(o: WindowDisplayOptions): Promise<WindowDisplay> {
  // highgui aborts the whole process when it cannot reach a display: say so first, in one line.
  if (!process.env.DISPLAY && !process.env.WAYLAND_DISPLAY && !process.env.QT_QPA_PLATFORM) {
    throw new Error('--display window needs a desktop: DISPLAY is not set (use --display web, or run under Xvfb)');
  }
  const cv = await loadOpenCv();
  const cameras = new Map<string, Camera>();
  const trails = new Trails();
  let nextX = 0;
  let busy = false;
  let quit = false;

  const camera = (id: string): Camera => {
    let cam = cameras.get(id);
    if (!cam) {
      cam = { window: `vsp ${id}`, created: false, arrivals: [] };
      cameras.set(id, cam);
    }
    return cam;
  };

  const render = async (cam: Camera): Promise<void> => {
    const p = cam.pending;
    if (!p) return;
    cam.pending = undefined;
    let image;
    try {
      image = await decode(cv, p.frame);
    } catch (err) {
      o.log.debug({ camera: p.tracked.cameraId, seq: p.tracked.seq, err: (err as Error).message }, 'frame not shown: undecodable image');
      return;
    }
    drawFrame(cv, image, p.tracked.tracks, p.trails, { camera: p.tracked.cameraId, seq: p.tracked.seq, fps: p.fps, latencyMs: p.latencyMs });
    const scale = Math.min(1, MAX_SIZE.width / image.cols, MAX_SIZE.height / image.rows);
    if (scale < 1) image = image.resize(Math.round(image.rows * scale), Math.round(image.cols * scale), 0, 0, cv.INTER_AREA);
    if (!cam.created) {
      // Created on the first frame, side by side; no toolbar or status bar, just the picture.
      cv.namedWindow(cam.window, cv.WINDOW_AUTOSIZE | cv.WINDOW_GUI_NORMAL);
      cv.moveWindow(cam.window, nextX, 0);
      nextX += image.cols;
      cam.created = true;
    }
    cv.imshow(cam.window, image);
  };

  const pump = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    try {
      for (const cam of cameras.values()) await render(cam);
      const key = cv.waitKey(1);
      if (!quit && (key & 0xff) === 'q'.charCodeAt(0)) {
        quit = true;
        o.log.info('q pressed in the window: quitting');
        o.onQuit();
      }
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void pump().catch((err: unknown) => o.log.error({ err }, 'window display failed')), PUMP_MS);

  return {
    show(frame, tracked) {
      const cam = camera(tracked.cameraId);
      const now = nowMs();
      cam.arrivals.push(now);
      while (cam.arrivals[0]! < now - 1000) cam.arrivals.shift();
      cam.pending = {
        frame,
        tracked,
        // Every frame extends the trails, shown or not.
        trails: trails.update(tracked.cameraId, tracked.seq, tracked.tracks),
        fps: cam.arrivals.length,
        latencyMs: now - timestampToMs(tracked.captureTime),
      };
    },
    async close() {
      clearInterval(timer);
      while (busy) await new Promise((r) => setTimeout(r, PUMP_MS));
      cv.destroyAllWindows();
      cv.waitKey(1);
    },
  };
}

/** BGR image of a frame (JPEG/PNG as sent, or packed RGB24). */
async function decode(cv: OpenCv, frame: Frame__Output) {
  if (frame.encoding === 'RGB24') {
    return new cv.Mat(frame.image, frame.height, frame.width, cv.CV_8UC3).cvtColor(cv.COLOR_RGB2BGR);
  }
  const image = await cv.imdecodeAsync(frame.image, cv.IMREAD_COLOR);
  if (image.empty) throw new Error('not an image');
  return image;
}
