// Finds the synthetic scene's rectangles in decoded pixels. Two passes: a coarse grid (every
// GRID-th pixel of every GRID-th row) classifies points by nearest palette colour within a tight
// tolerance and joins them into connected blobs; then each blob's edges are refined at full
// resolution, where a pixel belongs to a blob when it lies at least halfway from the background to
// the blob's colour. That midpoint rule places edges exactly despite JPEG blur and ringing, which
// spread symmetrically across an edge.
//
// Assumes what the scene guarantees: a plain BACKGROUND, and rectangles that are separated by
// background and at least MIN_SIZE pixels on a side.
import { BACKGROUND, PALETTE, type Rgb } from './scene.js';

export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  /** Bytes per pixel, R G B first (3 or 4). */
  channels: number;
}

/** A found rectangle; corners are pixel edges (it covers x1 <= x < x2), as in SceneObject. */
export interface FoundBox {
  classId: number;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  /** Fraction of a GRID-spaced sample of the box's pixels that are the blob's colour (1 for a clean rectangle). */
  fill: number;
}

/** Grid spacing: a MIN_SIZE (24 px) rectangle holds 4x4 grid points, 2x2 of them 6 px clear of its edges. */
const GRID = 6;
/** Fewer grid points than this in a blob is noise. */
const MIN_BLOB_POINTS = 4;
/** Tight enough that no JPEG artefact turns one palette colour (>= 105 apart) into another. */
const TOLERANCE_SQ = 40 * 40;
const PALETTE_RGB = Int32Array.from(PALETTE.flatMap((p) => p.color));

export function findBoxes(img: RawImage): FoundBox[] {
  if (img.channels < 3) return []; // greyscale: no palette colour can be present
  const gw = Math.ceil(img.width / GRID);
  const gh = Math.ceil(img.height / GRID);
  const classes = classifyGrid(img, gw, gh);
  const boxes: FoundBox[] = [];
  const stack = new Int32Array(gw * gh);
  for (let start = 0; start < classes.length; start++) {
    const classId = classes[start] as number;
    if (classId < 0) continue;
    // Flood fill (4-connected) over grid points of this colour, recording the extent.
    let minX = gw, maxX = -1, minY = gh, maxY = -1, count = 0, top = 0;
    stack[top++] = start;
    classes[start] = -1;
    while (top > 0) {
      const p = stack[--top] as number;
      const gx = p % gw, gy = (p - gx) / gw;
      count++;
      if (gx < minX) minX = gx;
      if (gx > maxX) maxX = gx;
      if (gy < minY) minY = gy;
      if (gy > maxY) maxY = gy;
      if (gx > 0 && classes[p - 1] === classId) { classes[p - 1] = -1; stack[top++] = p - 1; }
      if (gx < gw - 1 && classes[p + 1] === classId) { classes[p + 1] = -1; stack[top++] = p + 1; }
      if (gy > 0 && classes[p - gw] === classId) { classes[p - gw] = -1; stack[top++] = p - gw; }
      if (gy < gh - 1 && classes[p + gw] === classId) { classes[p + gw] = -1; stack[top++] = p + gw; }
    }
    if (count < MIN_BLOB_POINTS) continue;
    boxes.push(refine(img, classId, minX * GRID, maxX * GRID, minY * GRID, maxY * GRID));
  }
  return boxes;
}

/** Palette index of each grid point, or -1 for background and anything else. */
function classifyGrid(img: RawImage, gw: number, gh: number): Int8Array {
  const { data, width, channels } = img;
  const [br, bg, bb] = BACKGROUND;
  const classes = new Int8Array(gw * gh).fill(-1);
  for (let gy = 0; gy < gh; gy++) {
    for (let gx = 0; gx < gw; gx++) {
      const i = (gy * GRID * width + gx * GRID) * channels;
      const r = data[i] as number, g = data[i + 1] as number, b = data[i + 2] as number;
      // Most points are background: rule them out before trying each colour.
      if ((r - br) ** 2 + (g - bg) ** 2 + (b - bb) ** 2 < TOLERANCE_SQ) continue;
      for (let c = 0; c < PALETTE_RGB.length; c += 3) {
        const dr = r - (PALETTE_RGB[c] as number), dg = g - (PALETTE_RGB[c + 1] as number), db = b - (PALETTE_RGB[c + 2] as number);
        if (dr * dr + dg * dg + db * db < TOLERANCE_SQ) {
          classes[gy * gw + gx] = c / 3;
          break;
        }
      }
    }
  }
  return classes;
}

/**
 * Grows the span of grid points [left..right] x [top..bottom] (all inside the rectangle) outward
 * one pixel line at a time while the next line is mostly the blob's colour, measured along the
 * known-inside span so that corners and neighbours do not count.
 */
function refine(img: RawImage, classId: number, left: number, right: number, top: number, bottom: number): FoundBox {
  const inside = insideTest(img, (PALETTE[classId] as (typeof PALETTE)[number]).color);
  const column = (x: number) => mostly(inside, top, bottom, (y) => y * img.width + x);
  const row = (y: number) => mostly(inside, left, right, (x) => y * img.width + x);
  let x1 = left, x2 = right, y1 = top, y2 = bottom;
  while (x1 > 0 && column(x1 - 1)) x1--;
  while (x2 < img.width - 1 && column(x2 + 1)) x2++;
  while (y1 > 0 && row(y1 - 1)) y1--;
  while (y2 < img.height - 1 && row(y2 + 1)) y2++;
  // Fill is estimated on a GRID-spaced sample of the box: counting every pixel would triple the cost.
  let filled = 0, sampled = 0;
  for (let y = y1; y <= y2; y += GRID) {
    for (let x = x1; x <= x2; x += GRID, sampled++) if (inside(y * img.width + x)) filled++;
  }
  return { classId, x1, y1, x2: x2 + 1, y2: y2 + 1, fill: filled / sampled };
}

function mostly(inside: (pixel: number) => boolean, from: number, to: number, pixel: (k: number) => number): boolean {
  let hits = 0;
  for (let k = from; k <= to; k++) if (inside(pixel(k))) hits++;
  return 2 * hits > to - from + 1;
}

/**
 * Whether a pixel is at least halfway from the background to `color`: its projection onto the
 * background-to-colour vector d satisfies (p - bg) . d >= |d|^2 / 2.
 */
function insideTest(img: RawImage, color: Rgb): (pixel: number) => boolean {
  const { data, channels } = img;
  const [br, bg, bb] = BACKGROUND;
  const dr = color[0] - br, dg = color[1] - bg, db = color[2] - bb;
  const half = (dr * dr + dg * dg + db * db) / 2;
  return (pixel) => {
    const i = pixel * channels;
    return ((data[i] as number) - br) * dr + ((data[i + 1] as number) - bg) * dg + ((data[i + 2] as number) - bb) * db >= half;
  };
}
