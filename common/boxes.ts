// Axis-aligned boxes by corners, as every component passes them (x1 < x2, y1 < y2, pixels).

export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** Intersection over union; 0 for disjoint or touching boxes. */
export function iou(a: Box, b: Box): number {
  const w = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const h = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / ((a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter);
}
