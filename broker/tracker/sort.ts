// SORT (Bewley et al., "Simple Online and Realtime Tracking", 2016), faithful to the reference
// Python implementation: same filter, same association, same track life cycle, same output
// order and ids. One instance tracks one camera; ids count from 1 per instance. Pure code.
import { AssignmentSolver } from '../../common/assignment.js';
import { checkCount, invalidBox, type TrackerKind, type Tracker, type TrackerDetection, type TrackerOutput, type TrackerUpdate } from './tracker.js';
import { STATE_LENGTH, covariance, initState, predict, stateFrom, update as correct } from './kalman.js';

export interface SortParams {
  /** Frames (updates) a track may go unmatched before it is dropped. */
  maxAge: number;
  /** Consecutive matches before a track is output (waived during the first minHits updates). */
  minHits: number;
  /** Minimum IoU between a detection and a track's predicted box for them to match. */
  iouThreshold: number;
}

export const DEFAULT_SORT_PARAMS: Readonly<SortParams> = { maxAge: 1, minHits: 3, iouThreshold: 0.3 };

/** One track in a snapshot: the full Kalman state and the life-cycle counters. */
export interface SortTrackState {
  id: number;
  /** [cx, cy, s, r, vx, vy, vs] */
  x: number[];
  /** 7×7 covariance, row-major. */
  P: number[];
  timeSinceUpdate: number;
  hitStreak: number;
}

/** Everything a Sort needs to continue exactly where it was; plain JSON (format version 1). */
export interface SortState {
  params: SortParams;
  frameCount: number;
  nextId: number;
  trackers: SortTrackState[];
}

interface Track {
  id: number;
  st: Float64Array;
  timeSinceUpdate: number;
  hitStreak: number;
  /** Index (in this update's input) of the detection that updated or created the track. */
  det: number;
}

export class Sort implements Tracker {
  private readonly params: SortParams;
  private frameCount = 0;
  private nextId = 1;
  private trackers: Track[] = [];
  private readonly solver = new AssignmentSolver();

  // Work arrays reused across updates (grown on demand), so that a frame allocates little.
  private cap = 0;
  private detBox = new Float64Array(0);
  private detInput = new Int32Array(0);
  private trkBox = new Float64Array(0);
  private iou = new Float64Array(0);
  private trkForDet = new Int32Array(0);
  private lateDets = new Int32Array(0);
  private paired = new Int32Array(0);
  private nLate = 0;

  constructor(params: Partial<SortParams> = {}) {
    this.params = checkParams({ ...DEFAULT_SORT_PARAMS, ...params });
  }

  /**
   * Tracks one frame.
   *
   * `step` is how far the frame sequence moved since the previous update: 1 normally, k > 1 when
   * the source dropped k-1 frames. Across such a gap each track's filter is predicted k times
   * (the motion and its uncertainty advance k frames, so a moving object is looked for where it
   * is now), while the life-cycle counters (time since update, hit streak, max_age, min_hits and
   * the warm-up frame count) advance by one update: a dropped frame is missing data, not a miss,
   * so it neither ages a track out nor breaks its streak. With step = 1 on every frame this is
   * exactly the reference algorithm.
   */
  update(dets: readonly TrackerDetection[], step = 1): TrackerUpdate {
    if (!Number.isSafeInteger(step) || step < 1) throw new RangeError(`step must be a positive integer, got ${step}`);
    this.frameCount++;
    this.reserve(Math.max(dets.length, this.trackers.length));
    const rejected: TrackerUpdate['rejected'] = [];
    const nd = this.acceptDetections(dets, rejected);
    const nt = this.predictTracks(step);
    this.associate(nd, nt);

    const { detBox, detInput, trkForDet, trackers } = this;
    for (let d = 0; d < nd; d++) {
      const t = trkForDet[d] as number;
      if (t < 0) continue;
      const trk = trackers[t] as Track;
      const b = d * 4;
      measure(detBox[b] as number, detBox[b + 1] as number, detBox[b + 2] as number, detBox[b + 3] as number);
      correct(trk.st, z[0] as number, z[1] as number, z[2] as number, z[3] as number);
      trk.timeSinceUpdate = 0;
      trk.hitStreak++;
      trk.det = detInput[d] as number;
    }
    this.startTracks(nd);
    return { tracks: this.emit(dets), rejected };
  }

  /** A copy of the whole state; `Sort.restore(s.snapshot())` continues bit-identically. */
  snapshot(): SortState {
    return {
      params: { ...this.params },
      frameCount: this.frameCount,
      nextId: this.nextId,
      trackers: this.trackers.map((t) => ({
        id: t.id,
        x: Array.from(t.st.subarray(0, 7)),
        P: covariance(t.st),
        timeSinceUpdate: t.timeSinceUpdate,
        hitStreak: t.hitStreak,
      })),
    };
  }

  /** Rebuilds a tracker from `snapshot()` (e.g. after JSON); throws a RangeError naming a bad field. */
  static restore(state: SortState): Sort {
    if (typeof state !== 'object' || state === null) throw new RangeError('state: expected an object');
    if (typeof state.params !== 'object' || state.params === null) throw new RangeError('state.params: expected an object');
    const sort = new Sort(state.params);
    sort.frameCount = checkCount(state.frameCount, 0, 'state.frameCount');
    sort.nextId = checkCount(state.nextId, 1, 'state.nextId');
    if (!Array.isArray(state.trackers)) throw new RangeError('state.trackers: expected an array');
    const ids = new Set<number>();
    sort.trackers = state.trackers.map((t, i) => {
      const where = `state.trackers[${i}]`;
      const id = checkCount(t.id, 1, `${where}.id`);
      if (id >= sort.nextId || ids.has(id)) throw new RangeError(`${where}.id: ${id} is repeated or not below nextId`);
      ids.add(id);
      if (!Array.isArray(t.x) || !Array.isArray(t.P)) throw new RangeError(`${where}: x and P must be arrays`);
      return {
        id,
        st: stateFrom(t.x, t.P, where),
        timeSinceUpdate: checkCount(t.timeSinceUpdate, 0, `${where}.timeSinceUpdate`),
        hitStreak: checkCount(t.hitStreak, 0, `${where}.hitStreak`),
        det: -1,
      };
    });
    return sort;
  }

  private reserve(n: number): void {
    if (n <= this.cap) return;
    const cap = Math.max(n, this.cap * 2, 16);
    this.cap = cap;
    this.detBox = new Float64Array(cap * 4);
    this.detInput = new Int32Array(cap);
    this.trkBox = new Float64Array(cap * 4);
    this.iou = new Float64Array(cap * cap);
    this.trkForDet = new Int32Array(cap);
    this.lateDets = new Int32Array(cap);
    this.paired = new Int32Array(cap);
  }

  /** Copies the usable detections into detBox; the others go to `rejected` with a reason. */
  private acceptDetections(dets: readonly TrackerDetection[], rejected: TrackerUpdate['rejected']): number {
    const { detBox, detInput } = this;
    let nd = 0;
    for (let i = 0; i < dets.length; i++) {
      const det = dets[i] as TrackerDetection;
      const reason = invalidBox(det);
      if (reason !== undefined) {
        rejected.push({ index: i, reason });
        continue;
      }
      const b = nd * 4;
      detBox[b] = det.x1;
      detBox[b + 1] = det.y1;
      detBox[b + 2] = det.x2;
      detBox[b + 3] = det.y2;
      detInput[nd++] = i;
    }
    return nd;
  }

  /** Advances every track by `step` frames into trkBox; drops tracks whose box is no longer finite. */
  private predictTracks(step: number): number {
    const { trackers, trkBox } = this;
    let kept = 0;
    for (let t = 0; t < trackers.length; t++) {
      const trk = trackers[t] as Track;
      for (let k = 0; k < step; k++) predict(trk.st);
      if (trk.timeSinceUpdate > 0) trk.hitStreak = 0;
      trk.timeSinceUpdate++;
      if (!toBox(trk.st, trkBox, kept * 4)) continue;
      trackers[kept++] = trk;
    }
    trackers.length = kept;
    return kept;
  }

  /**
   * Fills trkForDet (track per detection, -1 none) and lateDets, as the reference does: if every
   * detection and every track has at most one candidate above the threshold (and there is at
   * least one), those pairs are taken as they are; otherwise the optimal assignment on -IoU is
   * solved and its pairs below the threshold are undone. Detections undone that way become new
   * tracks after the never-paired ones (the reference's order, which fixes the new ids).
   */
  private associate(nd: number, nt: number): void {
    const { detBox, trkBox, iou, trkForDet, paired, params } = this;
    const thr = params.iouThreshold;
    trkForDet.fill(-1, 0, nd);
    this.nLate = 0;
    if (nd === 0 || nt === 0) return;

    let maxPerDet = 0;
    const perTrk = paired; // candidates per track, reused below as the solver's output
    perTrk.fill(0, 0, nt);
    for (let d = 0; d < nd; d++) {
      const b = d * 4;
      const dx1 = detBox[b] as number;
      const dy1 = detBox[b + 1] as number;
      const dx2 = detBox[b + 2] as number;
      const dy2 = detBox[b + 3] as number;
      const dArea = (dx2 - dx1) * (dy2 - dy1);
      let count = 0;
      for (let t = 0; t < nt; t++) {
        const c = t * 4;
        const tx1 = trkBox[c] as number;
        const ty1 = trkBox[c + 1] as number;
        const tx2 = trkBox[c + 2] as number;
        const ty2 = trkBox[c + 3] as number;
        const w = Math.max(0, Math.min(dx2, tx2) - Math.max(dx1, tx1));
        const h = Math.max(0, Math.min(dy2, ty2) - Math.max(dy1, ty1));
        const wh = w * h;
        const o = wh / (dArea + (tx2 - tx1) * (ty2 - ty1) - wh);
        iou[d * nt + t] = o;
        if (o > thr) {
          count++;
          perTrk[t] = (perTrk[t] as number) + 1;
        }
      }
      if (count > maxPerDet) maxPerDet = count;
    }
    let maxPerTrk = 0;
    for (let t = 0; t < nt; t++) if ((perTrk[t] as number) > maxPerTrk) maxPerTrk = perTrk[t] as number;

    if (maxPerDet === 1 && maxPerTrk === 1) {
      for (let d = 0; d < nd; d++) {
        for (let t = 0; t < nt; t++) if ((iou[d * nt + t] as number) > thr) trkForDet[d] = t;
      }
      return;
    }

    const n = nd * nt;
    for (let k = 0; k < n; k++) iou[k] = -(iou[k] as number);
    const colForRow = this.solver.solve(iou, nd, nt, paired);
    for (let d = 0; d < nd; d++) {
      const t = colForRow[d] as number;
      if (t < 0) continue;
      // iou holds -IoU now.
      if (-(iou[d * nt + t] as number) < thr) this.lateDets[this.nLate++] = d;
      else trkForDet[d] = t;
    }
  }

  /** New tracks for unmatched detections: never-paired ones first, then those undone for low IoU. */
  private startTracks(nd: number): void {
    const { trkForDet, lateDets, nLate } = this;
    let late = 0;
    for (let d = 0; d < nd; d++) {
      if (trkForDet[d] !== -1) continue;
      if (late < nLate && lateDets[late] === d) {
        late++;
        continue;
      }
      this.startTrack(d);
    }
    for (let k = 0; k < nLate; k++) this.startTrack(lateDets[k] as number);
  }

  private startTrack(d: number): void {
    const b = d * 4;
    measure(this.detBox[b] as number, this.detBox[b + 1] as number, this.detBox[b + 2] as number, this.detBox[b + 3] as number);
    const st = initState(new Float64Array(STATE_LENGTH), z[0] as number, z[1] as number, z[2] as number, z[3] as number);
    this.trackers.push({ id: this.nextId++, st, timeSinceUpdate: 0, hitStreak: 0, det: this.detInput[d] as number });
  }

  /** Output in the reference's order (last track first); drops tracks unmatched for too long. */
  private emit(dets: readonly TrackerDetection[]): TrackerOutput[] {
    const { trackers, params } = this;
    const warmingUp = this.frameCount <= params.minHits;
    const out: TrackerOutput[] = [];
    for (let t = trackers.length - 1; t >= 0; t--) {
      const trk = trackers[t] as Track;
      if (trk.timeSinceUpdate < 1 && (trk.hitStreak >= params.minHits || warmingUp)) {
        toBox(trk.st, box, 0);
        const det = dets[trk.det] as TrackerDetection;
        out.push({
          trackId: trk.id,
          x1: box[0] as number,
          y1: box[1] as number,
          x2: box[2] as number,
          y2: box[3] as number,
          classId: det.classId,
          label: det.label,
          score: det.score,
        });
      }
    }
    let kept = 0;
    for (let t = 0; t < trackers.length; t++) {
      const trk = trackers[t] as Track;
      if (trk.timeSinceUpdate <= params.maxAge) trackers[kept++] = trk;
    }
    trackers.length = kept;
    return out;
  }
}

// Scratch for the conversions below (single-threaded, never held across calls).
const z = new Float64Array(4);
const box = new Float64Array(4);

/** [x1, y1, x2, y2] → z = [cx, cy, area, w/h], the reference's arithmetic. */
function measure(x1: number, y1: number, x2: number, y2: number): void {
  const w = x2 - x1;
  const h = y2 - y1;
  z[0] = x1 + w / 2;
  z[1] = y1 + h / 2;
  z[2] = w * h;
  z[3] = w / h;
}

/**
 * State → [x1, y1, x2, y2] at out[at..]; false when the box or its area is not finite (e.g. a
 * negative predicted area), which would leave IoU undefined.
 */
function toBox(st: Float64Array, out: Float64Array, at: number): boolean {
  const cx = st[0] as number;
  const cy = st[1] as number;
  const s = st[2] as number;
  const w = Math.sqrt(s * (st[3] as number));
  const h = s / w;
  const x1 = cx - w / 2;
  const y1 = cy - h / 2;
  const x2 = cx + w / 2;
  const y2 = cy + h / 2;
  out[at] = x1;
  out[at + 1] = y1;
  out[at + 2] = x2;
  out[at + 3] = y2;
  return Number.isFinite(x1 + y1 + x2 + y2) && Number.isFinite((x2 - x1) * (y2 - y1));
}

function checkParams(p: SortParams): SortParams {
  if (!Number.isSafeInteger(p.maxAge) || p.maxAge < 0) throw new RangeError(`maxAge must be an integer ≥ 0, got ${p.maxAge}`);
  if (!Number.isSafeInteger(p.minHits) || p.minHits < 0) throw new RangeError(`minHits must be an integer ≥ 0, got ${p.minHits}`);
  if (typeof p.iouThreshold !== 'number' || !(p.iouThreshold >= 0 && p.iouThreshold <= 1)) {
    throw new RangeError(`iouThreshold must be a number in [0, 1], got ${p.iouThreshold}`);
  }
  return { maxAge: p.maxAge, minHits: p.minHits, iouThreshold: p.iouThreshold };
}

export const SORT: TrackerKind = {
  name: 'sort',
  version: 1,
  description: 'SORT (Bewley et al. 2016), identical to the reference implementation',
  params: [
    { flag: '--max-age <n>', param: 'maxAge', description: 'updates a track survives without a detection', type: 'count', default: DEFAULT_SORT_PARAMS.maxAge },
    { flag: '--min-hits <n>', param: 'minHits', description: 'detections before a track is output', type: 'count', default: DEFAULT_SORT_PARAMS.minHits },
    { flag: '--iou <x>', param: 'iouThreshold', description: 'minimum IoU to associate, in [0, 1]', type: 'unit', default: DEFAULT_SORT_PARAMS.iouThreshold },
  ],
  create: (params) => new Sort(params as Partial<SortParams>),
  restore: (state) => Sort.restore(state as SortState),
  minScore: () => undefined,
};
