// ByteTrack (Zhang et al., "ByteTrack: Multi-Object Tracking by Associating Every Detection
// Box", ECCV 2022), faithful to the official implementation (ifzhang/ByteTrack,
// yolox/tracker/): same filter, same three associations, same track life cycle, same ids and
// output order. One instance tracks one camera; ids count from 1 per instance. Pure code.
//
// Per update:
//   1. Detections above trackThresh are "high", those in (0.1, trackThresh) "low"; the rest
//      (and a score equal to either bound) take no part.
//   2. Confirmed tracks and lost tracks are predicted; they are matched with the high detections
//      on 1 - IoU (IoU with the reference's +1 pixel widths and heights), fused with the
//      detection scores unless mot20 (cost 1 - IoU·score), by lapjv with cost limit matchThresh.
//   3. Tracked (not lost) tracks left over are matched with the low detections on 1 - IoU,
//      limit 0.5; those still left over are lost.
//   4. Unconfirmed tracks (started last frame, not predicted) are matched with the leftover high
//      detections (limit 0.7); unmatched ones are removed.
//   5. Leftover high detections scoring at least trackThresh + 0.1 start tracks, taking an id at
//      once (so unconfirmed tracks that die leave gaps in the ids); on the first frame they are
//      confirmed at once. Lost tracks not seen for more than maxTimeLost frames are removed.
//   6. The track lists are merged as the reference does (a track removed for age stays among the
//      lost ones one more frame, where it can still be found again; a track ever listed as
//      removed that is lost again is dropped), tracked/lost pairs closer than 1 - IoU 0.15 lose
//      their younger member, and the confirmed tracked tracks are output in list order.
import { LapjvSolver } from '../../common/assignment.js';
import { KF_LENGTH, kfCovariance, kfInitiate, kfPredict, kfStateFrom, kfUpdate } from './bytetrack-kalman.js';
import { checkCount, invalidBox, type TrackerKind, type Tracker, type TrackerDetection, type TrackerOutput, type TrackerUpdate } from './tracker.js';

export interface ByteTrackParams {
  /** Detections above this are associated first and may start tracks; in [0, 1]. */
  trackThresh: number;
  /** Frames a lost track is kept at 30 fps (scaled by frameRate / 30). */
  trackBuffer: number;
  /** Cost limit of the first association (1 - IoU·score); in [0, 1]. */
  matchThresh: number;
  /** Frame rate of the source, scales trackBuffer. */
  frameRate: number;
  /** MOT20 mode: plain 1 - IoU costs (no score fusion). */
  mot20: boolean;
}

export const DEFAULT_BYTETRACK_PARAMS: Readonly<ByteTrackParams> = { trackThresh: 0.5, trackBuffer: 30, matchThresh: 0.8, frameRate: 30, mot20: false };

/** ByteTrack's fixed lower bound: detections at or below it are ignored. */
export const BYTETRACK_LOW_SCORE = 0.1;

type TrackStateName = 'tracked' | 'lost' | 'removed';

/** One track in a snapshot. */
export interface ByteTrackTrackState {
  id: number;
  state: TrackStateName;
  /** Confirmed (output when tracked). */
  activated: boolean;
  /** Listed among the reference's removed tracks: dropped for good if it is lost again. */
  listedRemoved: boolean;
  /** [cx, cy, a, h, vcx, vcy, va, vh] */
  mean: number[];
  /** 8×8, row-major. */
  covariance: number[];
  /** Score, class and label of the detection that last updated the track. */
  score: number;
  classId: number;
  label: string;
  /** Frame of the last update; frame the track started. */
  frameId: number;
  startFrame: number;
}

/** Everything a ByteTrack needs to continue exactly where it was; plain JSON (format version 1). */
export interface ByteTrackState {
  params: ByteTrackParams;
  frameId: number;
  nextId: number;
  tracked: ByteTrackTrackState[];
  lost: ByteTrackTrackState[];
}

/**
 * Scores above this (no detector's) count as this in the fused cost, which keeps every cost well
 * inside the range lapjv works in (|cost| < 1e6, the lap package's LARGE).
 */
const MAX_FUSED_SCORE = 1e5;

const TRACKED = 1;
const LOST = 2;
const REMOVED = 3;
const STATE_NAMES: Record<number, TrackStateName> = { [TRACKED]: 'tracked', [LOST]: 'lost', [REMOVED]: 'removed' };
const STATE_CODES: Record<TrackStateName, number> = { tracked: TRACKED, lost: LOST, removed: REMOVED };

interface Track {
  id: number;
  /** Kalman mean and covariance blocks (bytetrack-kalman.ts layout). */
  st: Float64Array;
  state: number;
  activated: boolean;
  listedRemoved: boolean;
  score: number;
  classId: number;
  label: string;
  frameId: number;
  startFrame: number;
}

/** A usable detection: box as top-left, width, height (the reference's arithmetic). */
interface Detection {
  x: number;
  y: number;
  w: number;
  h: number;
  score: number;
  classId: number;
  label: string;
}

interface Assignment {
  /** [row, col] pairs in row order. */
  matches: [number, number][];
  unmatchedRows: number[];
  unmatchedCols: number[];
}

export class ByteTrack implements Tracker {
  private readonly params: ByteTrackParams;
  private readonly detThresh: number;
  private readonly maxTimeLost: number;
  private frameId = 0;
  private nextId = 1;
  private tracked: Track[] = [];
  private lost: Track[] = [];
  private readonly solver = new LapjvSolver();

  constructor(params: Partial<ByteTrackParams> = {}) {
    this.params = checkParams({ ...DEFAULT_BYTETRACK_PARAMS, ...params });
    this.detThresh = this.params.trackThresh + 0.1;
    this.maxTimeLost = Math.trunc((this.params.frameRate / 30) * this.params.trackBuffer);
  }

  /**
   * Tracks one frame.
   *
   * `step` is how far the frame sequence moved since the previous update: 1 normally, k > 1 when
   * the source dropped k-1 frames. Then the frame counter advances by k (so lost tracks age by k
   * frames towards maxTimeLost, and the first update with k > 1 is not "frame 1") and the
   * tracks the reference predicts (confirmed and lost ones) are predicted k times, so motion and
   * uncertainty advance k frames; a dropped frame is missing data, not a miss, so no track
   * changes state for it. With step = 1 on every frame this is exactly the reference algorithm.
   */
  update(dets: readonly TrackerDetection[], step = 1): TrackerUpdate {
    if (!Number.isSafeInteger(step) || step < 1) throw new RangeError(`step must be a positive integer, got ${step}`);
    this.frameId += step;
    const frame = this.frameId;
    const { params } = this;
    const rejected: TrackerUpdate['rejected'] = [];
    const high: Detection[] = [];
    const low: Detection[] = [];
    dets.forEach((det, index) => {
      const reason = invalidBox(det);
      if (reason !== undefined) {
        rejected.push({ index, reason });
        return;
      }
      // A NaN score fails both comparisons in the reference too; ±Infinity is treated alike.
      if (!Number.isFinite(det.score)) return;
      const d: Detection = { x: det.x1, y: det.y1, w: det.x2 - det.x1, h: det.y2 - det.y1, score: det.score, classId: det.classId, label: det.label };
      if (det.score > params.trackThresh) high.push(d);
      else if (det.score > BYTETRACK_LOW_SCORE && det.score < params.trackThresh) low.push(d);
    });

    const activated: Track[] = [];
    const refound: Track[] = [];
    const newlyLost: Track[] = [];
    const newlyRemoved: Track[] = [];
    for (const t of joint(
      this.tracked.filter((t) => t.activated),
      this.lost,
    )) {
      // The reference zeroes the height velocity of a track not currently tracked before each prediction.
      if (t.state !== TRACKED) t.st[7] = 0;
      for (let k = 0; k < step; k++) kfPredict(t.st);
    }
    // Only extreme input (boxes near the largest doubles) can make a state overflow; such a track
    // is dropped, as SORT does, rather than poisoning the costs.
    this.tracked = this.tracked.filter(hasValidBox);
    this.lost = this.lost.filter(hasValidBox);
    const unconfirmed = this.tracked.filter((t) => !t.activated);
    const pool = joint(
      this.tracked.filter((t) => t.activated),
      this.lost,
    );

    // First association: confirmed and lost tracks with the high detections.
    const first = this.associate(pool, high, params.matchThresh, !params.mot20);
    for (const [r, c] of first.matches) {
      const t = pool[r] as Track;
      const wasTracked = t.state === TRACKED;
      this.correct(t, high[c] as Detection, frame);
      (wasTracked ? activated : refound).push(t);
    }

    // Second association: tracked tracks left over with the low detections.
    const remaining = first.unmatchedRows.map((r) => pool[r] as Track).filter((t) => t.state === TRACKED);
    const second = this.associate(remaining, low, 0.5, false);
    for (const [r, c] of second.matches) {
      const t = remaining[r] as Track;
      this.correct(t, low[c] as Detection, frame);
      activated.push(t);
    }
    for (const r of second.unmatchedRows) {
      const t = remaining[r] as Track;
      if (t.state !== LOST) {
        t.state = LOST;
        newlyLost.push(t);
      }
    }

    // Unconfirmed tracks with the high detections left over; the unmatched ones are removed.
    const leftover = first.unmatchedCols.map((c) => high[c] as Detection);
    const third = this.associate(unconfirmed, leftover, 0.7, !params.mot20);
    for (const [r, c] of third.matches) {
      const t = unconfirmed[r] as Track;
      this.correct(t, leftover[c] as Detection, frame);
      activated.push(t);
    }
    for (const r of third.unmatchedRows) {
      const t = unconfirmed[r] as Track;
      t.state = REMOVED;
      newlyRemoved.push(t);
    }

    // New tracks, then lost tracks too old.
    for (const c of third.unmatchedCols) {
      const d = leftover[c] as Detection;
      if (d.score < this.detThresh) continue;
      activated.push(this.startTrack(d, frame));
    }
    for (const t of this.lost) {
      if (frame - t.frameId > this.maxTimeLost) {
        t.state = REMOVED;
        newlyRemoved.push(t);
      }
    }

    let tracked = joint(
      joint(
        this.tracked.filter((t) => t.state === TRACKED),
        activated,
      ),
      refound,
    );
    let lost = sub(this.lost, tracked);
    lost.push(...newlyLost);
    lost = lost.filter((t) => !t.listedRemoved);
    for (const t of newlyRemoved) t.listedRemoved = true;
    [tracked, lost] = this.removeDuplicates(tracked, lost);
    // As after predicting: a state that overflowed (extreme input only) is not kept.
    this.tracked = tracked.filter(hasValidBox);
    this.lost = lost.filter(hasValidBox);

    const confirmed = this.tracked.filter((t) => t.activated);
    const boxes = trackBoxes(confirmed);
    const tracks = confirmed.map(
      (t, i): TrackerOutput => ({
        trackId: t.id,
        x1: boxes[i * 4] as number,
        y1: boxes[i * 4 + 1] as number,
        x2: boxes[i * 4 + 2] as number,
        y2: boxes[i * 4 + 3] as number,
        classId: t.classId,
        label: t.label,
        score: t.score,
      }),
    );
    return { tracks, rejected };
  }

  /** A copy of the whole state; `ByteTrack.restore(s.snapshot())` continues bit-identically. */
  snapshot(): ByteTrackState {
    const track = (t: Track): ByteTrackTrackState => ({
      id: t.id,
      state: STATE_NAMES[t.state] as TrackStateName,
      activated: t.activated,
      listedRemoved: t.listedRemoved,
      mean: Array.from(t.st.subarray(0, 8)),
      covariance: kfCovariance(t.st),
      score: t.score,
      classId: t.classId,
      label: t.label,
      frameId: t.frameId,
      startFrame: t.startFrame,
    });
    return { params: { ...this.params }, frameId: this.frameId, nextId: this.nextId, tracked: this.tracked.map(track), lost: this.lost.map(track) };
  }

  /** Rebuilds a tracker from `snapshot()` (e.g. after JSON); throws a RangeError naming a bad field. */
  static restore(state: ByteTrackState): ByteTrack {
    if (typeof state !== 'object' || state === null) throw new RangeError('state: expected an object');
    if (typeof state.params !== 'object' || state.params === null) throw new RangeError('state.params: expected an object');
    const tracker = new ByteTrack(checkParams(state.params, 'state.params.'));
    tracker.frameId = checkCount(state.frameId, 0, 'state.frameId');
    tracker.nextId = checkCount(state.nextId, 1, 'state.nextId');
    const ids = new Set<number>();
    const tracks = (list: unknown, name: 'tracked' | 'lost'): Track[] => {
      if (!Array.isArray(list)) throw new RangeError(`state.${name}: expected an array`);
      return list.map((raw: unknown, i) => {
        const where = `state.${name}[${i}]`;
        if (typeof raw !== 'object' || raw === null) throw new RangeError(`${where}: expected an object`);
        const t = raw as Partial<ByteTrackTrackState>;
        const id = checkCount(t.id, 1, `${where}.id`);
        if (id >= tracker.nextId || ids.has(id)) throw new RangeError(`${where}.id: ${id} is repeated or not below nextId`);
        ids.add(id);
        const code = typeof t.state === 'string' ? STATE_CODES[t.state as TrackStateName] : undefined;
        // After an update the tracked list holds tracked tracks only, the lost list lost ones and
        // those removed for age in that update (already listed as removed).
        const allowed = name === 'tracked' ? ['tracked'] : ['lost', 'removed'];
        if (code === undefined || !allowed.includes(t.state as string)) {
          throw new RangeError(`${where}.state: expected ${allowed.map((s) => `'${s}'`).join(' or ')}, got ${String(t.state)}`);
        }
        for (const key of ['activated', 'listedRemoved'] as const) {
          if (typeof t[key] !== 'boolean') throw new RangeError(`${where}.${key}: expected a boolean, got ${String(t[key])}`);
        }
        if (name === 'lost' && !t.activated) throw new RangeError(`${where}.activated: a lost track is always activated`);
        if (code === REMOVED && !t.listedRemoved) throw new RangeError(`${where}.listedRemoved: a removed track is listed as removed`);
        if (typeof t.score !== 'number' || !Number.isFinite(t.score)) throw new RangeError(`${where}.score: expected a finite number, got ${String(t.score)}`);
        if (typeof t.classId !== 'number' || !Number.isFinite(t.classId)) throw new RangeError(`${where}.classId: expected a finite number, got ${String(t.classId)}`);
        if (typeof t.label !== 'string') throw new RangeError(`${where}.label: expected a string, got ${String(t.label)}`);
        const startFrame = checkCount(t.startFrame, 1, `${where}.startFrame`);
        const frameId = checkCount(t.frameId, startFrame, `${where}.frameId`);
        if (frameId > tracker.frameId) throw new RangeError(`${where}.frameId: ${frameId} is after state.frameId ${tracker.frameId}`);
        const st = kfStateFrom(t.mean, t.covariance, where);
        return {
          id,
          st,
          state: code,
          activated: t.activated as boolean,
          listedRemoved: t.listedRemoved as boolean,
          score: t.score,
          classId: t.classId,
          label: t.label,
          frameId,
          startFrame,
        };
      });
    };
    tracker.tracked = tracks(state.tracked, 'tracked');
    tracker.lost = tracks(state.lost, 'lost');
    return tracker;
  }

  /** Kalman-corrects a track with a detection in this frame; it is tracked and confirmed. */
  private correct(t: Track, d: Detection, frame: number): void {
    kfUpdate(t.st, d.x + d.w / 2, d.y + d.h / 2, d.w / d.h, d.h);
    t.state = TRACKED;
    t.activated = true;
    t.frameId = frame;
    t.score = d.score;
    t.classId = d.classId;
    t.label = d.label;
  }

  private startTrack(d: Detection, frame: number): Track {
    const st = kfInitiate(new Float64Array(KF_LENGTH), d.x + d.w / 2, d.y + d.h / 2, d.w / d.h, d.h);
    return {
      id: this.nextId++,
      st,
      state: TRACKED,
      activated: frame === 1,
      listedRemoved: false,
      score: d.score,
      classId: d.classId,
      label: d.label,
      frameId: frame,
      startFrame: frame,
    };
  }

  /**
   * The reference's linear_assignment on the IoU distance of tracks and detections (fused with
   * the scores when `fuse`): lapjv with the cost limit, pairs in track order.
   */
  private associate(tracks: readonly Track[], dets: readonly Detection[], limit: number, fuse: boolean): Assignment {
    const nr = tracks.length;
    const nc = dets.length;
    if (nr === 0 || nc === 0) return { matches: [], unmatchedRows: range(nr), unmatchedCols: range(nc) };
    const cost = iouDistance(trackBoxes(tracks), detBoxes(dets));
    if (fuse) {
      for (let r = 0; r < nr; r++) {
        for (let c = 0; c < nc; c++) {
          const k = r * nc + c;
          cost[k] = 1 - (1 - (cost[k] as number)) * Math.min((dets[c] as Detection).score, MAX_FUSED_SCORE);
        }
      }
    }
    const colForRow = new Int32Array(nr);
    const rowForCol = new Int32Array(nc);
    this.solver.solve(cost, nr, nc, limit, colForRow, rowForCol);
    const result: Assignment = { matches: [], unmatchedRows: [], unmatchedCols: [] };
    colForRow.forEach((c, r) => (c >= 0 ? result.matches.push([r, c]) : result.unmatchedRows.push(r)));
    rowForCol.forEach((r, c) => {
      if (r < 0) result.unmatchedCols.push(c);
    });
    return result;
  }

  /** Of each tracked/lost pair closer than 1 - IoU 0.15, drops the one tracked for less time. */
  private removeDuplicates(tracked: Track[], lost: Track[]): [Track[], Track[]] {
    if (tracked.length === 0 || lost.length === 0) return [tracked, lost];
    const dist = iouDistance(trackBoxes(tracked), trackBoxes(lost));
    const dropTracked = new Set<number>();
    const dropLost = new Set<number>();
    for (let p = 0; p < tracked.length; p++) {
      for (let q = 0; q < lost.length; q++) {
        if (!((dist[p * lost.length + q] as number) < 0.15)) continue;
        const a = tracked[p] as Track;
        const b = lost[q] as Track;
        if (a.frameId - a.startFrame > b.frameId - b.startFrame) dropLost.add(q);
        else dropTracked.add(p);
      }
    }
    return [tracked.filter((_, p) => !dropTracked.has(p)), lost.filter((_, q) => !dropLost.has(q))];
  }
}

/** Writes [x1, y1, x2, y2] of a state (the reference's tlbr) at out[at..]. */
function writeTrackBox(st: Float64Array, out: Float64Array, at: number): void {
  const h = st[3] as number;
  const w = (st[2] as number) * h;
  const x1 = (st[0] as number) - w / 2;
  const y1 = (st[1] as number) - h / 2;
  out[at] = x1;
  out[at + 1] = y1;
  out[at + 2] = w + x1;
  out[at + 3] = h + y1;
}

const scratchBox = new Float64Array(4);

/** Whether a track's state is finite and gives a box that `invalidBox` would accept. */
function hasValidBox(t: Track): boolean {
  for (let k = 0; k < KF_LENGTH; k++) if (!Number.isFinite(t.st[k])) return false;
  writeTrackBox(t.st, scratchBox, 0);
  const [x1, y1, x2, y2] = [scratchBox[0] as number, scratchBox[1] as number, scratchBox[2] as number, scratchBox[3] as number];
  const w = x2 - x1;
  const h = y2 - y1;
  return Number.isFinite(x1) && Number.isFinite(y1) && Number.isFinite(x2) && Number.isFinite(y2) && w > 0 && h > 0 && Number.isFinite(w * h);
}

/** The boxes of tracks, flat. */
function trackBoxes(tracks: readonly Track[]): Float64Array {
  const out = new Float64Array(tracks.length * 4);
  tracks.forEach((t, i) => writeTrackBox(t.st, out, i * 4));
  return out;
}

function detBoxes(dets: readonly Detection[]): Float64Array {
  const out = new Float64Array(dets.length * 4);
  dets.forEach((d, i) => {
    out[i * 4] = d.x;
    out[i * 4 + 1] = d.y;
    out[i * 4 + 2] = d.w + d.x;
    out[i * 4 + 3] = d.h + d.y;
  });
  return out;
}

/**
 * 1 - IoU of the flat boxes a (rows) and b (columns), row-major, IoU as the reference computes it
 * (cython_bbox's bbox_overlaps: every width and height is one pixel more, 0 without overlap).
 */
function iouDistance(a: Float64Array, b: Float64Array): Float64Array {
  const na = a.length / 4;
  const nb = b.length / 4;
  const out = new Float64Array(na * nb);
  for (let k = 0; k < nb; k++) {
    const qx1 = b[k * 4] as number;
    const qy1 = b[k * 4 + 1] as number;
    const qx2 = b[k * 4 + 2] as number;
    const qy2 = b[k * 4 + 3] as number;
    const qArea = (qx2 - qx1 + 1) * (qy2 - qy1 + 1);
    for (let n = 0; n < na; n++) {
      const px1 = a[n * 4] as number;
      const py1 = a[n * 4 + 1] as number;
      const px2 = a[n * 4 + 2] as number;
      const py2 = a[n * 4 + 3] as number;
      let iou = 0;
      const iw = Math.min(px2, qx2) - Math.max(px1, qx1) + 1;
      if (iw > 0) {
        const ih = Math.min(py2, qy2) - Math.max(py1, qy1) + 1;
        if (ih > 0) iou = (iw * ih) / ((px2 - px1 + 1) * (py2 - py1 + 1) + qArea - iw * ih);
      }
      // Areas can overflow only for boxes near the largest doubles: count those as no overlap.
      out[n * nb + k] = 1 - (Number.isFinite(iou) ? iou : 0);
    }
  }
  return out;
}

/** The reference's joint_stracks: a, then the tracks of b not in a (by id). */
function joint(a: readonly Track[], b: readonly Track[]): Track[] {
  const ids = new Set(a.map((t) => t.id));
  const out = [...a];
  for (const t of b) {
    if (ids.has(t.id)) continue;
    ids.add(t.id);
    out.push(t);
  }
  return out;
}

/** The reference's sub_stracks: the tracks of a not in b (by id), in a's order. */
function sub(a: readonly Track[], b: readonly Track[]): Track[] {
  const ids = new Set(b.map((t) => t.id));
  return a.filter((t) => !ids.has(t.id));
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function checkParams(p: ByteTrackParams, prefix = ''): ByteTrackParams {
  for (const key of ['trackThresh', 'matchThresh'] as const) {
    if (typeof p[key] !== 'number' || !(p[key] >= 0 && p[key] <= 1)) throw new RangeError(`${prefix}${key} must be a number in [0, 1], got ${String(p[key])}`);
  }
  for (const key of ['trackBuffer', 'frameRate'] as const) {
    if (typeof p[key] !== 'number' || !Number.isSafeInteger(p[key]) || p[key] < 1) throw new RangeError(`${prefix}${key} must be an integer ≥ 1, got ${String(p[key])}`);
  }
  if (typeof p.mot20 !== 'boolean') throw new RangeError(`${prefix}mot20 must be a boolean, got ${String(p.mot20)}`);
  return { trackThresh: p.trackThresh, trackBuffer: p.trackBuffer, matchThresh: p.matchThresh, frameRate: p.frameRate, mot20: p.mot20 };
}

export const BYTETRACK: TrackerKind = {
  name: 'bytetrack',
  version: 1,
  description: 'ByteTrack (Zhang et al. 2022), identical to the official implementation',
  params: [
    { flag: '--track-thresh <x>', param: 'trackThresh', description: 'score above which detections are associated first and start tracks (at +0.1), in [0, 1]', type: 'unit', default: DEFAULT_BYTETRACK_PARAMS.trackThresh },
    { flag: '--track-buffer <n>', param: 'trackBuffer', description: 'frames a lost track is kept (at 30 fps)', type: 'positive', default: DEFAULT_BYTETRACK_PARAMS.trackBuffer },
    { flag: '--match-thresh <x>', param: 'matchThresh', description: 'cost limit of the first association, in [0, 1]', type: 'unit', default: DEFAULT_BYTETRACK_PARAMS.matchThresh },
    { flag: '--frame-rate <n>', param: 'frameRate', description: 'source frame rate, scales --track-buffer', type: 'positive', default: DEFAULT_BYTETRACK_PARAMS.frameRate },
    { flag: '--mot20', param: 'mot20', description: 'MOT20 mode: IoU costs not fused with scores', type: 'boolean', default: DEFAULT_BYTETRACK_PARAMS.mot20 },
  ],
  create: (params) => new ByteTrack(params as Partial<ByteTrackParams>),
  restore: (state) => ByteTrack.restore(state as ByteTrackState),
  minScore: () => BYTETRACK_LOW_SCORE,
};
