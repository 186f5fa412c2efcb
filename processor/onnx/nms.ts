// Class-wise greedy non-maximum suppression.
import type { Box, Candidate } from './candidate.js';

/** Candidates looked at per image: bounds NMS's quadratic cost when the score threshold is low. */
const MAX_CANDIDATES = 3000;
/** Detections kept per image. */
export const MAX_DETECTIONS = 300;

export function iou(a: Box, b: Box): number {
  const w = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const h = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / ((a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter);
}

/**
 * Keeps the best-scoring boxes, dropping any box that overlaps a kept box of the same class by
 * more than `iouThreshold`. Boxes of different classes never suppress each other. Highest score first.
 */
export function nms(candidates: readonly Candidate[], iouThreshold: number, maxDetections = MAX_DETECTIONS): Candidate[] {
  const sorted = [...candidates].sort((a, b) => b.score - a.score).slice(0, MAX_CANDIDATES);
  const kept: Candidate[] = [];
  for (const c of sorted) {
    if (kept.length >= maxDetections) break;
    if (kept.every((k) => k.classId !== c.classId || iou(k, c) <= iouThreshold)) kept.push(c);
  }
  return kept;
}
