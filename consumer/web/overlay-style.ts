// How tracks are drawn, shared by the web page (this file is also served to it as an ES module,
// so it must stay free of Node imports) and the annotated JPEGs: same colour per id, same sizes.

export type Rgb = [number, number, number];

/** A saturated colour for a track id: hues a golden angle apart, so neighbouring ids differ. */
export function trackColor(id: number): Rgb {
  return hslToRgb((id * 137.508) % 360, 0.9, 0.55);
}

export function cssColor([r, g, b]: Rgb): string {
  return `rgb(${r}, ${g}, ${b})`;
}

/** Black or white, whichever reads better on `rgb`. */
export function textColorOn([r, g, b]: Rgb): string {
  return 0.299 * r + 0.587 * g + 0.114 * b > 150 ? '#000' : '#fff';
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
export function tagTop(box: { y1: number; y2: number }, lw: number, tagHeight: number): number {
  const above = box.y1 - lw / 2 - tagHeight;
  return above >= 0 ? above : box.y2 + lw / 2;
}

/** Left edge of a tag: under the box's left edge, moved left to keep the tag inside the image. */
export function tagLeft(box: { x1: number }, lw: number, tagWidth: number, imageWidth: number): number {
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
