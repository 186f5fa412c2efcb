// CLEAR-MOT and identity metrics of a tracker output against ground truth, with the semantics
// of py-motmetrics (compare_to_groundtruth with IoU distance, then the MOTChallenge summary).
// Pure code.
//
// Per frame (every frame present in either file), distance = 1 - IoU, pairs farther than
// 1 - minIou are not allowed. An object matched to a hypothesis in the previous frame keeps it
// while the pair is still allowed; the rest are matched by a min-cost assignment (as many pairs
// as possible, then least distance). A match whose object was last matched to another
// hypothesis is an ID switch. Unmatched objects are misses (FN), unmatched hypotheses FP.
// IDF1/IDP/IDR come from the optimal one-to-one assignment of object ids to hypothesis ids
// over the whole sequence (Ristani et al. 2016), where a pair scores in every frame in which
// its boxes are within the distance threshold.
import { minCostMatching } from '../assignment.js';
import { rowsByFrame, type MotRow } from './format.js';

export interface MotMetrics {
  frames: number;
  /** Distinct ground-truth objects. */
  gt: number;
  /** Objects tracked in ≥ 80% / 20-80% / < 20% of the frames they appear in. */
  mt: number;
  pt: number;
  ml: number;
  fp: number;
  fn: number;
  idsw: number;
  /** Fragmentations: a tracked object lost and later tracked again. */
  fm: number;
  mota: number;
  /** Mean distance (1 - IoU) of matched pairs: lower is better. */
  motp: number;
  idf1: number;
  idp: number;
  idr: number;
  recall: number;
  precision: number;
  /** Ground-truth boxes, tracker boxes, matched pairs (including switches). */
  objects: number;
  predictions: number;
  matches: number;
  idtp: number;
  idfp: number;
  idfn: number;
}

interface ObjectStats {
  present: number;
  tracked: number;
  fragments: number;
  wasTracked: boolean;
  /** Lost after being tracked; becomes a fragmentation if tracked again. */
  gapOpen: boolean;
}

/** Evaluates `tracks` against `gt`; a ratio with a zero denominator is NaN. */
export function evaluateMot(gt: readonly MotRow[], tracks: readonly MotRow[], minIou = 0.5): MotMetrics {
  const maxDist = 1 - minIou;
  const gtBy = rowsByFrame(gt);
  const trBy = rowsByFrame(tracks);
  const frames = [...new Set([...gtBy.keys(), ...trBy.keys()])].sort((a, b) => a - b);

  const lastHyp = new Map<number, number>(); // object → hypothesis it was last matched to
  const lastMatchFrame = new Map<number, number>();
  const objects = new Map<number, ObjectStats>();
  const objectFrames = new Map<number, number>();
  const hypFrames = new Map<number, number>();
  const pairFrames = new Map<number, Map<number, number>>(); // object → hypothesis → frames within threshold
  let prevFrame = Number.NaN;
  let fp = 0;
  let fn = 0;
  let idsw = 0;
  let matches = 0;
  let distSum = 0;

  for (const frame of frames) {
    const o = gtBy.get(frame) ?? [];
    const h = trBy.get(frame) ?? [];
    const no = o.length;
    const nh = h.length;
    const dist = new Float64Array(no * nh);
    for (let i = 0; i < no; i++) {
      for (let j = 0; j < nh; j++) {
        const d = 1 - iou(o[i] as MotRow, h[j] as MotRow);
        dist[i * nh + j] = d > maxDist ? Number.NaN : d;
        if (d <= maxDist) increment(pairMap(pairFrames, (o[i] as MotRow).id), (h[j] as MotRow).id);
      }
    }
    for (const id of new Set(o.map((r) => r.id))) increment(objectFrames, id);
    for (const id of new Set(h.map((r) => r.id))) increment(hypFrames, id);

    const oDone = new Uint8Array(no);
    const hDone = new Uint8Array(nh);
    const tracked = (i: number, j: number, kind: 'keep' | 'assign'): void => {
      const oid = (o[i] as MotRow).id;
      const hid = (h[j] as MotRow).id;
      if (kind === 'assign' && lastHyp.has(oid) && lastHyp.get(oid) !== hid) idsw++;
      else matches++;
      distSum += dist[i * nh + j] as number;
      oDone[i] = 1;
      hDone[j] = 1;
      lastHyp.set(oid, hid);
      lastMatchFrame.set(oid, frame);
      const s = objectStats(objects, oid);
      s.present++;
      s.tracked++;
      if (s.gapOpen) s.fragments++;
      s.wasTracked = true;
      s.gapOpen = false;
    };

    if (no > 0 && nh > 0) {
      // 1. Keep last frame's correspondences that are still within the threshold.
      for (let i = 0; i < no; i++) {
        const oid = (o[i] as MotRow).id;
        if (lastMatchFrame.get(oid) !== prevFrame) continue;
        const hprev = lastHyp.get(oid);
        const j = h.findIndex((r, k) => !hDone[k] && r.id === hprev);
        if (j >= 0 && !Number.isNaN(dist[i * nh + j])) tracked(i, j, 'keep');
      }
      // 2. Optimal assignment of the rest.
      const cost = Float64Array.from(dist, (d, k) => (oDone[Math.floor(k / nh)] || hDone[k % nh] ? Number.NaN : d));
      const colForRow = minCostMatching(cost, no, nh);
      for (let i = 0; i < no; i++) {
        const j = colForRow[i] as number;
        if (j >= 0) tracked(i, j, 'assign');
      }
    }
    for (let i = 0; i < no; i++) {
      if (oDone[i]) continue;
      fn++;
      const s = objectStats(objects, (o[i] as MotRow).id);
      s.present++;
      if (s.wasTracked) s.gapOpen = true;
      s.wasTracked = false;
    }
    for (let j = 0; j < nh; j++) if (!hDone[j]) fp++;
    prevFrame = frame;
  }

  let mt = 0;
  let pt = 0;
  let ml = 0;
  let fm = 0;
  for (const s of objects.values()) {
    const ratio = s.tracked / s.present;
    if (ratio >= 0.8) mt++;
    else if (ratio >= 0.2) pt++;
    else ml++;
    fm += s.fragments;
  }

  const detections = matches + idsw;
  const nObjects = detections + fn;
  const nPredictions = detections + fp;
  const { idfp, idfn } = identityErrors(objectFrames, hypFrames, pairFrames);
  const idtp = nObjects - idfn;
  return {
    frames: frames.length,
    gt: objects.size,
    mt,
    pt,
    ml,
    fp,
    fn,
    idsw,
    fm,
    mota: 1 - (fn + idsw + fp) / nObjects,
    motp: distSum / detections,
    idf1: (2 * idtp) / (nObjects + nPredictions),
    idp: idtp / (idtp + idfp),
    idr: idtp / (idtp + idfn),
    recall: detections / nObjects,
    precision: detections / nPredictions,
    objects: nObjects,
    predictions: nPredictions,
    matches: detections,
    idtp,
    idfp,
    idfn,
  };
}

/**
 * IDFP/IDFN of the best global id assignment: a square problem over objects + hypotheses, where
 * object o paired with hypothesis h costs its frames without h plus h's frames without o, an
 * object left alone costs all its frames (FN), a hypothesis left alone all its frames (FP).
 */
function identityErrors(
  objectFrames: Map<number, number>,
  hypFrames: Map<number, number>,
  pairFrames: Map<number, Map<number, number>>,
): { idfp: number; idfn: number } {
  const oids = [...objectFrames.keys()].sort((a, b) => a - b);
  const hids = [...hypFrames.keys()].sort((a, b) => a - b);
  const no = oids.length;
  const nh = hids.length;
  const n = no + nh;
  // Rows: objects, then one "unmatched" row per hypothesis; columns: hypotheses, then one
  // "unmatched" column per object. NaN = not allowed.
  const fpCost = new Float64Array(n * n);
  const fnCost = new Float64Array(n * n);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const k = r * n + c;
      if (r < no && c < nh) {
        const oc = objectFrames.get(oids[r] as number) as number;
        const hc = hypFrames.get(hids[c] as number) as number;
        const both = pairFrames.get(oids[r] as number)?.get(hids[c] as number) ?? 0;
        fnCost[k] = oc - both;
        fpCost[k] = hc - both;
      } else if (r < no) {
        fnCost[k] = c - nh === r ? (objectFrames.get(oids[r] as number) as number) : Number.NaN;
      } else if (c < nh) {
        fpCost[k] = r - no === c ? (hypFrames.get(hids[c] as number) as number) : Number.NaN;
      }
    }
  }
  const total = Float64Array.from(fpCost, (v, k) => v + (fnCost[k] as number));
  const colForRow = minCostMatching(total, n, n);
  let idfp = 0;
  let idfn = 0;
  for (let r = 0; r < n; r++) {
    const k = r * n + (colForRow[r] as number);
    idfp += fpCost[k] as number;
    idfn += fnCost[k] as number;
  }
  return { idfp, idfn };
}

/** IoU of two (x, y, w, h) boxes, 0 when they do not intersect. */
function iou(a: MotRow, b: MotRow): number {
  const ax2 = a.x + a.w;
  const ay2 = a.y + a.h;
  const bx2 = b.x + b.w;
  const by2 = b.y + b.h;
  const inter = Math.max(Math.min(ax2, bx2) - Math.max(a.x, b.x), 0) * Math.max(Math.min(ay2, by2) - Math.max(a.y, b.y), 0);
  if (inter === 0) return 0;
  const areaA = Math.max(ax2 - a.x, 0) * Math.max(ay2 - a.y, 0);
  const areaB = Math.max(bx2 - b.x, 0) * Math.max(by2 - b.y, 0);
  return inter / (areaA + areaB - inter);
}

function increment<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function pairMap(pairs: Map<number, Map<number, number>>, oid: number): Map<number, number> {
  let m = pairs.get(oid);
  if (!m) pairs.set(oid, (m = new Map()));
  return m;
}

function objectStats(objects: Map<number, ObjectStats>, oid: number): ObjectStats {
  let s = objects.get(oid);
  if (!s) objects.set(oid, (s = { present: 0, tracked: 0, fragments: 0, wasTracked: false, gapOpen: false }));
  return s;
}
