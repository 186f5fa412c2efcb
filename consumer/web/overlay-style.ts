// How tracks are drawn, the one place for it: the web page (this file is also served to it as an
// ES module, so it must stay free of Node imports), the desktop window (display/draw.ts) and the
// annotated JPEGs (reports/annotated.ts) take colours, tag text, line widths and sizes from here.
import type { Box } from '../../common/boxes.js';

export type Rgb = [number, number, number];

/** A saturated colour for a track id: hues a golden angle apart, so neighbouring ids differ. */
export function trackColor(id: number): Rgb {
  return hslToRgb((id * 137.508) % 360, 0.9, 0.55);
}

export function cssColor([r, g, b]: Rgb): string {
  return `rgb(${r}, ${g}, ${b})`;
}

/** Black or white, whichever reads better on `rgb`. */
export function textColorOn(rgb: Rgb): string {
  return textRgbOn(rgb)[0] === 0 ? '#000' : '#fff';
}

/** textColorOn as an Rgb, for drawing APIs that take numbers. */
export function textRgbOn([r, g, b]: Rgb): Rgb {
  return 0.299 * r + 0.587 * g + 0.114 * b > 150 ? [0, 0, 0] : [255, 255, 255];
}

/** The text of a track's tag: `#id label` (just `#id` without a label). */
export function tagText(id: number, label: string): string {
  return `#${id} ${label}`.trim();
}

/** Space between a tag's edge and its text, in image pixels. */
export const TAG_PADDING = 3;

/** Height of a tag holding text of font size `font`, padding included. */
export function tagHeightFor(font: number): number {
  return font + 4;
}

/** Width of a tag holding text `textWidth` pixels wide, padding included. */
export function tagWidthFor(textWidth: number): number {
  return textWidth + 2 * TAG_PADDING;
}

/** Box line width in image pixels: thin lines vanish when a big frame is shown small. */
export function lineWidth(width: number, height: number): number {
  return Math.max(3, Math.round(Math.min(width, height) / 160));
}

/** Font size of the `#id label` tags, in image pixels. */
export function tagFontSize(width: number, height: number): number {
  return Math.max(11, Math.round(Math.min(width, height) / 32));
}

/**
 * Where a box's tag goes: above the box when it fits, else below it; never inside, where it would
 * hide the object. `tagHeight` includes padding.
 */
export function tagTop(box: Pick<Box, 'y1' | 'y2'>, lw: number, tagHeight: number): number {
  const above = box.y1 - lw / 2 - tagHeight;
  return above >= 0 ? above : box.y2 + lw / 2;
}

/** Left edge of a tag: under the box's left edge, moved left to keep the tag inside the image. */
export function tagLeft(box: Pick<Box, 'x1'>, lw: number, tagWidth: number, imageWidth: number): number {
  return Math.max(0, Math.min(box.x1 - lw / 2, imageWidth - tagWidth));
}

function hslToRgb(h: number, s: number, l: number): Rgb {
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => {
    const k = (n + h / 30) % 12;
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}
