// Class-wise greedy non-maximum suppression.
import type { Candidate } from './candidate.js';
import { iou } from '../../common/boxes.js';

/** Candidates looked at per image: bounds NMS's quadratic cost when the score threshold is low. */
const MAX_CANDIDATES = 3000;
/** Detections kept per image. */
export const MAX_DETECTIONS = 300;

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
