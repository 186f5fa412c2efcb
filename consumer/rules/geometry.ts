// Plane geometry for zones and lines, in source-image pixels (x right, y down). Pure functions.
//
// A line's sides are named as on the screen, whatever the order of its points: left and right for
// a steep line (|dy| ≥ |dx|), top and bottom for a flat one.
import type { Box } from '../../common/boxes.js';

export type Point = readonly [x: number, y: number];

export type LineDirection = 'left-to-right' | 'right-to-left' | 'top-to-bottom' | 'bottom-to-top';

/** z of (b − a) × (c − a): its sign says on which side of a→b the point c lies (0: on the line). */
function cross(a: Point, b: Point, c: Point): number {
  return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
}

/** 1 or −1 for the two sides of the (infinite) line from→to, 0 on it. */
export function sideOf(p: Point, from: Point, to: Point): -1 | 0 | 1 {
  const c = cross(from, to, p);
  return c > 0 ? 1 : c < 0 ? -1 : 0;
}

/** Whether p lies on the closed segment a–b. */
export function onSegment(p: Point, a: Point, b: Point): boolean {
  return (
    cross(a, b, p) === 0 &&
    p[0] >= Math.min(a[0], b[0]) && p[0] <= Math.max(a[0], b[0]) &&
    p[1] >= Math.min(a[1], b[1]) && p[1] <= Math.max(a[1], b[1])
  );
}

/** Whether closed segments p1–p2 and q1–q2 share a point (touching and collinear overlap count). */
export function segmentsIntersect(p1: Point, p2: Point, q1: Point, q2: Point): boolean {
  const d1 = cross(q1, q2, p1);
  const d2 = cross(q1, q2, p2);
  const d3 = cross(p1, p2, q1);
  const d4 = cross(p1, p2, q2);
  if (d1 * d2 < 0 && d3 * d4 < 0) return true;
  return (
    (d1 === 0 && onSegment(p1, q1, q2)) ||
    (d2 === 0 && onSegment(p2, q1, q2)) ||
    (d3 === 0 && onSegment(q1, p1, p2)) ||
    (d4 === 0 && onSegment(q2, p1, p2))
  );
}

/**
 * Whether p is inside the polygon (vertices in order, closed implicitly). Points on an edge or
 * vertex are inside, so a box resting on a zone's border is in the zone. Self-intersecting
 * polygons use the even-odd rule.
 */
export function pointInPolygon(p: Point, polygon: readonly Point[]): boolean {
  const n = polygon.length;
  for (let i = 0; i < n; i++) {
    if (onSegment(p, polygon[i] as Point, polygon[(i + 1) % n] as Point)) return true;
  }
  // Ray towards +x; the half-open test on y counts a vertex on the ray once, horizontal edges never.
  let inside = false;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const [xi, yi] = polygon[i] as Point;
    const [xj, yj] = polygon[j] as Point;
    if (yi > p[1] !== yj > p[1] && p[0] < xi + ((p[1] - yi) * (xj - xi)) / (yj - yi)) inside = !inside;
  }
  return inside;
}

/** Twice the signed area (shoelace); 0 for a degenerate polygon. */
export function doubleArea(polygon: readonly Point[]): number {
  let a = 0;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i] as Point;
    const [xj, yj] = polygon[j] as Point;
    a += xj * yi - xi * yj;
  }
  return a;
}

/** Steep lines have left and right sides; flat ones (|dy| < |dx|) top and bottom. */
export function isSteep(from: Point, to: Point): boolean {
  return Math.abs(to[1] - from[1]) >= Math.abs(to[0] - from[0]);
}

/**
 * The crossing of segment from–to by a point that moved from p0 to p1, or undefined. Both ends
 * must be strictly on opposite sides and the path must pass through the segment (not around
 * its ends). A point resting on the line has not crossed: callers keep the last point that was
 * off the line as p0.
 */
export function crossingOf(from: Point, to: Point, p0: Point, p1: Point): LineDirection | undefined {
  const s0 = sideOf(p0, from, to);
  const s1 = sideOf(p1, from, to);
  if (s0 === 0 || s1 === 0 || s0 === s1) return undefined;
  if (!segmentsIntersect(p0, p1, from, to)) return undefined;
  // The left (or top) side is where a step left (or up) from the line leads.
  const steep = isSteep(from, to);
  const leftOrTop = sideOf(steep ? [from[0] - 1, from[1]] : [from[0], from[1] - 1], from, to);
  if (steep) return s1 === leftOrTop ? 'right-to-left' : 'left-to-right';
  return s1 === leftOrTop ? 'bottom-to-top' : 'top-to-bottom';
}

export function distance(a: Point, b: Point): number {
  return Math.hypot(b[0] - a[0], b[1] - a[1]);
}

/** Where a track stands: the bottom-centre of its box. */
export function bottomCentre(box: Pick<Box, 'x1' | 'x2' | 'y2'>): Point {
  return [(box.x1 + box.x2) / 2, box.y2];
}
