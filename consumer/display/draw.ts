// Draws a frame's tracks onto its (BGR) image for the desktop window, in the web viewer's style
// (web/overlay-style.ts: same colour per track id, same tag text, line and tag sizes): box,
// `#id label` tag, trail, and an overlay with the camera's frame rate and end-to-end latency.
import type { Track__Output } from '../../common/gen/vsp/v1/Track.js';
import type { OpenCv } from '../../common/opencv.js';
import type { Mat } from '../../common/opencv-api.js';
import { lineWidth, TAG_PADDING, tagFontSize, tagHeightFor, tagLeft, tagText, tagTop, tagWidthFor, textRgbOn, trackColor, type Rgb } from '../web/overlay-style.js';
import type { Point } from './trails.js';

export interface Overlay {
  camera: string;
  seq: number;
  /** Joined frames per second of this camera. */
  fps: number;
  /** Capture to display, ms. */
  latencyMs: number;
}

/** Hershey Simplex capitals are ~22 px tall at scale 1. */
const HERSHEY_PX = 22;
const OVERLAY_BACKGROUND: Rgb = [24, 24, 24];
const WHITE: Rgb = [255, 255, 255];

export function drawFrame(cv: OpenCv, image: Mat, tracks: readonly Track__Output[], trails: ReadonlyMap<number, readonly Point[]>, overlay: Overlay): void {
  const bgr = ([r, g, b]: Rgb) => new cv.Vec3(b, g, r);
  const point = (x: number, y: number) => new cv.Point2(Math.round(x), Math.round(y));
  const lw = lineWidth(image.cols, image.rows);
  const font = tagFontSize(image.cols, image.rows);
  const fontScale = font / HERSHEY_PX;
  const text = (s: string, x: number, y: number, color: Rgb) =>
    image.putText(s, point(x, y), cv.FONT_HERSHEY_SIMPLEX, fontScale, bgr(color), 1, cv.LINE_AA);

  // Trails first, so that boxes and tags stay on top.
  for (const t of tracks) {
    const trail = trails.get(t.trackId);
    if (trail && trail.length > 1) {
      image.drawPolylines([trail.map((p) => point(p.x, p.y))], false, bgr(trackColor(t.trackId)), Math.max(1, lw - 1), cv.LINE_AA);
    }
  }
  for (const t of tracks) {
    const color = trackColor(t.trackId);
    image.drawRectangle(point(t.x1, t.y1), point(t.x2, t.y2), bgr(color), lw, cv.LINE_8);
    const label = tagText(t.trackId, t.label);
    const { size } = cv.getTextSize(label, cv.FONT_HERSHEY_SIMPLEX, fontScale, 1);
    const tagWidth = tagWidthFor(size.width);
    const tagHeight = tagHeightFor(font);
    const x = tagLeft(t, lw, tagWidth, image.cols);
    const y = tagTop(t, lw, tagHeight);
    image.drawRectangle(point(x, y), point(x + tagWidth, y + tagHeight), bgr(color), cv.FILLED, cv.LINE_8);
    text(label, x + TAG_PADDING, y + tagHeight - 3, textRgbOn(color));
  }

  const lines = [`${overlay.camera} #${overlay.seq}`, `${overlay.fps.toFixed(1)} fps, latency ${Math.round(overlay.latencyMs)} ms`];
  const widths = lines.map((s) => cv.getTextSize(s, cv.FONT_HERSHEY_SIMPLEX, fontScale, 1).size.width);
  const lineHeight = font + 6;
  image.drawRectangle(point(0, 0), point(Math.max(...widths) + 12, lines.length * lineHeight + 8), bgr(OVERLAY_BACKGROUND), cv.FILLED, cv.LINE_8);
  lines.forEach((s, i) => text(s, 6, 4 + (i + 1) * lineHeight - 4, WHITE));
}
