// Annotated JPEGs: a frame's image with its tracks drawn on it (box in the track's colour, an
// `#id label` tag above it), as an SVG overlay composited by sharp. Also the `annotated:DIR` report.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import PQueue from 'p-queue';
import type { Sharp } from 'sharp';
import { DEFAULT_FRAME_LIMITS, imageProblem } from '../../common/frame-limits.js';
import { loadSharp } from '../../common/sharp.js';
import type { Frame__Output } from '../../common/gen/vsp/v1/Frame.js';
import type { Track__Output } from '../../common/gen/vsp/v1/Track.js';
import type { TrackedFrame__Output } from '../../common/gen/vsp/v1/TrackedFrame.js';
import { cssColor, lineWidth, TAG_PADDING, tagFontSize, tagHeightFor, tagLeft, tagText, tagTop, tagWidthFor, textColorOn, trackColor } from '../web/overlay-style.js';
import { cameraFileName, type ImageReport, type ReportFormat } from './report.js';

/** The frame's image as a sharp pipeline, whatever its encoding; frames from Kafka are not trusted. */
async function frameImage(frame: Frame__Output): Promise<Sharp> {
  const sharp = await loadSharp();
  const problem = imageProblem(frame);
  if (problem) throw new Error(problem);
  const limitInputPixels = DEFAULT_FRAME_LIMITS.maxPixels;
  if (frame.encoding === 'RGB24') return sharp(frame.image, { raw: { width: frame.width, height: frame.height, channels: 3 }, limitInputPixels });
  return sharp(frame.image, { limitInputPixels });
}

/** An SVG the size of the image with one box and one `#id label` tag per track. */
function overlaySvg(width: number, height: number, tracks: readonly Track__Output[]): string {
  const lw = lineWidth(width, height);
  const font = tagFontSize(width, height);
  const tagHeight = tagHeightFor(font);
  const parts: string[] = [];
  for (const t of tracks) {
    const color = trackColor(t.trackId);
    const text = tagText(t.trackId, t.label);
    // Glyph widths are unknown without measuring; 0.62 em per character fits DejaVu/Liberation Sans.
    const tagWidth = tagWidthFor(Math.ceil(text.length * font * 0.62));
    const tagX = tagLeft(t, lw, tagWidth, width);
    const tagY = tagTop(t, lw, tagHeight);
    parts.push(
      `<rect x="${t.x1}" y="${t.y1}" width="${t.x2 - t.x1}" height="${t.y2 - t.y1}" fill="none" stroke="${cssColor(color)}" stroke-width="${lw}"/>`,
      `<rect x="${tagX}" y="${tagY}" width="${tagWidth}" height="${tagHeight}" fill="${cssColor(color)}"/>`,
      `<text x="${tagX + TAG_PADDING}" y="${tagY + font}" font-size="${font}" font-family="DejaVu Sans, Liberation Sans, sans-serif" fill="${textColorOn(color)}">${escapeXml(text)}</text>`,
    );
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

/** The frame as a JPEG with its tracks drawn. */
export async function annotateFrame(frame: Frame__Output, tracks: readonly Track__Output[]): Promise<Buffer> {
  const image = await frameImage(frame);
  const { width, height } = await image.metadata();
  return image
    .composite([{ input: Buffer.from(overlaySvg(width, height, tracks)), top: 0, left: 0 }])
    // 4:4:4 keeps thin coloured lines from bleeding into their neighbours.
    .jpeg({ quality: 90, chromaSubsampling: '4:4:4' })
    .toBuffer();
}

/** `DIR/<camera>/<seq padded to 6>.jpg`; a camera id that is not a safe file name is made one. */
export function annotatedPath(dir: string, cameraId: string, seq: number): string {
  return path.join(dir, cameraFileName(cameraId), `${String(seq).padStart(6, '0')}.jpg`);
}

/** How many frames may wait to be drawn before the frames reader is held back. */
const MAX_QUEUED = 8;

/** annotated:DIR: one annotated JPEG per joined (frame, tracked frame), written as they come. */
export class AnnotatedReport implements ImageReport {
  private readonly queue = new PQueue({ concurrency: 2 });
  private readonly dirs = new Set<string>();
  private failures = 0;
  private firstFailure = '';

  constructor(private readonly dir: string) {}

  addJoined(tracked: TrackedFrame__Output, frame: Frame__Output): void {
    void this.queue.add(async () => {
      try {
        const file = annotatedPath(this.dir, tracked.cameraId, tracked.seq);
        const parent = path.dirname(file);
        if (!this.dirs.has(parent)) {
          await mkdir(parent, { recursive: true });
          this.dirs.add(parent);
        }
        await writeFile(file, await annotateFrame(frame, tracked.tracks));
      } catch (err) {
        this.failures += 1;
        this.firstFailure ||= `${tracked.cameraId} seq ${tracked.seq}: ${(err as Error).message}`;
      }
    });
  }

  ready(): Promise<void> {
    return this.queue.onSizeLessThan(MAX_QUEUED);
  }

  async close(): Promise<void> {
    await this.queue.onIdle();
    if (this.failures > 0) {
      throw new Error(`annotated:${this.dir}: ${this.failures} frame(s) could not be drawn; first: ${this.firstFailure}`);
    }
  }
}

export const annotatedFormat: ReportFormat = {
  kind: 'annotated',
  target: 'DIR',
  help: 'DIR/<camera>/<seq>.jpg with the tracks drawn',
  create: (dir) => new AnnotatedReport(dir),
};

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
