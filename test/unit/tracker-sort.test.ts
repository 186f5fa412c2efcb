import assert from 'node:assert/strict';
import { parseMot } from '../../common/mot/format.js';
import { detectionsPerFrame, trackMot } from '../../broker/tracker/mot-track.js';
import { Sort, type SortState } from '../../broker/tracker/sort.js';
import type { TrackerDetection, TrackerOutput } from '../../broker/tracker/tracker.js';
import { REFERENCE_SEQUENCES, assertMatchesReference, lines, readFixture } from './tracker-helpers.js';

function det(x1: number, y1: number, x2: number, y2: number, label = 'person', score = 0.9, classId = 0): TrackerDetection {
  return { x1, y1, x2, y2, score, classId, label };
}

/** A 20×40 box whose left edge is at x. */
const boxAt = (x: number, label?: string) => det(x, 100, x + 20, 140, label);

function assertBox(t: TrackerOutput, d: TrackerDetection): void {
  for (const k of ['x1', 'y1', 'x2', 'y2'] as const) assert.ok(Math.abs(t[k] - d[k]) < 1e-9, `${k}: ${t[k]} vs ${d[k]}`);
}

describe('SORT tracker', () => {
  for (const seq of REFERENCE_SEQUENCES) {
    it(`${seq}: equals the reference SORT output (rows per frame, ids, boxes within 0.01 px)`, () => {
      const { lines: out, rejected } = trackMot(parseMot(readFixture(`det/${seq}.txt`)));
      assert.deepEqual(rejected, []);
      assertMatchesReference(out, lines(readFixture(`reference/${seq}.txt`)), seq);
    });
  }

  it('vsp track core: every frame from 1 to the last is a step, rejections are reported per frame', () => {
    // Frames 2 and 3 have no rows: as steps, they end track 1 (max_age 1) and the warm-up, so
    // the box at frame 4 starts track 2, not output yet.
    const { lines: out, rejected } = trackMot(parseMot('1,-1,10,20,30,40,0.9\n4,-1,10,20,30,40,0.9\n4,-1,10,20,0,40,0.9\n'));
    assert.deepEqual(out, ['1,1,10.00,20.00,30.00,40.00,1,-1,-1,-1']);
    assert.deepEqual(rejected, [{ frame: 4, index: 1, reason: 'width x2 - x1 is not positive (0)' }]);
  });

  it('starts a track per detection when there are no trackers: ids from 1, output last first', () => {
    const dets = [det(0, 0, 10, 20, 'a', 0.5, 1), det(100, 0, 130, 50, 'b', 0.6, 2), det(300, 10, 310, 15, 'c', 0.7, 3)];
    const { tracks, rejected } = new Sort().update(dets);
    assert.deepEqual(rejected, []);
    assert.deepEqual(
      tracks.map((t) => [t.trackId, t.classId, t.label, t.score]),
      [
        [3, 3, 'c', 0.7],
        [2, 2, 'b', 0.6],
        [1, 1, 'a', 0.5],
      ],
    );
    tracks.forEach((t, i) => assertBox(t, dets[2 - i] as TrackerDetection));
  });

  it('counts ids per instance (per camera)', () => {
    const a = new Sort();
    const b = new Sort();
    a.update([boxAt(0), boxAt(100)]);
    assert.deepEqual(b.update([boxAt(0)]).tracks.map((t) => t.trackId), [1]);
  });

  it('carries the class, label and score of the detection that updated the track this frame', () => {
    const sort = new Sort();
    sort.update([boxAt(0, 'person')]);
    const { tracks } = sort.update([det(1, 100, 21, 140, 'cyclist', 0.42, 7)]);
    assert.deepEqual(
      tracks.map((t) => [t.trackId, t.classId, t.label, t.score]),
      [[1, 7, 'cyclist', 0.42]],
    );
  });

  it('treats empty frames as steps: no output, and they use up the warm-up frames', () => {
    assert.deepEqual(new Sort().update([]), { tracks: [], rejected: [] });
    const outputFrames = (frames: TrackerDetection[][]) => {
      const sort = new Sort();
      return frames.flatMap((dets, i) => (sort.update(dets).tracks.length > 0 ? [i + 1] : []));
    };
    const still = [boxAt(50)];
    // From frame 1: output during warm-up (frames 1-3) and from the 3rd consecutive match on.
    assert.deepEqual(outputFrames([still, still, still, still, still]), [1, 2, 3, 4, 5]);
    // After 3 empty frames the warm-up is over: the track needs 3 matches first.
    assert.deepEqual(outputFrames([[], [], [], still, still, still, still, still]), [7, 8]);
  });

  it('keeps a track through max_age missed frames, drops it after, and never reuses its id', () => {
    const sort = new Sort({ minHits: 0 });
    sort.update([boxAt(50)]);
    assert.deepEqual(sort.update([]).tracks, []);
    assert.equal(sort.snapshot().trackers.length, 1);
    assert.deepEqual(sort.update([boxAt(50)]).tracks.map((t) => t.trackId), [1]);
    sort.update([]);
    sort.update([]);
    assert.equal(sort.snapshot().trackers.length, 0);
    assert.deepEqual(sort.update([boxAt(50)]).tracks.map((t) => t.trackId), [2]);
  });

  it('rejects NaN/Infinity coordinates and zero or negative sizes with a reason, keeping the rest', () => {
    const sort = new Sort();
    const { tracks, rejected } = sort.update([
      det(Number.NaN, 0, 10, 10),
      det(0, 0, 10, Number.POSITIVE_INFINITY),
      det(5, 0, 5, 10),
      det(0, 10, 10, 4),
      det(0, 0, 1e200, 1e200),
      det(10, 10, 30, 50, 'car', 0.8, 2),
    ]);
    assert.deepEqual(rejected, [
      { index: 0, reason: 'x1 is not a finite number (NaN)' },
      { index: 1, reason: 'y2 is not a finite number (Infinity)' },
      { index: 2, reason: 'width x2 - x1 is not positive (0)' },
      { index: 3, reason: 'height y2 - y1 is not positive (-6)' },
      { index: 4, reason: 'x2 is beyond ±1000000000 (1e+200)' },
    ]);
    assert.deepEqual(
      tracks.map((t) => [t.trackId, t.label]),
      [[1, 'car']],
    );
    assert.equal(sort.snapshot().trackers.length, 1);
  });

  it('is not disturbed by rejected detections: same output as without them', () => {
    const clean = new Sort();
    const noisy = new Sort();
    for (let f = 0; f < 12; f++) {
      const good = boxAt(10 + 6 * f);
      const bad = [det(Number.NaN, 100, 30, 140), det(good.x1, 100, good.x1, 140), det(good.x1, 140, good.x2, 100)];
      const a = clean.update([good]);
      const b = noisy.update([bad[0] as TrackerDetection, good, ...bad.slice(1)]);
      assert.deepEqual(b.tracks, a.tracks, `frame ${f + 1}`);
      assert.deepEqual(b.rejected.map((r) => r.index), [0, 2, 3]);
    }
    assert.deepEqual(noisy.snapshot(), clean.snapshot());
  });

  it('drops a track whose predicted box is not finite instead of matching against it', () => {
    const sort = new Sort({ minHits: 0 });
    sort.update([boxAt(0), boxAt(100)]);
    const state = sort.snapshot();
    state.trackers[0]!.x[3] = -1; // negative aspect: no real width
    const restored = Sort.restore(state);
    const { tracks } = restored.update([boxAt(0), boxAt(100)]);
    assert.deepEqual(tracks.map((t) => t.trackId).sort(), [2, 3]);
    assert.deepEqual(restored.snapshot().trackers.map((t) => t.id), [2, 3]);
  });

  it('restores a JSON snapshot mid-sequence and continues identically', () => {
    const frames = detectionsPerFrame(parseMot(readFixture('det/PETS09-S2L1.txt')));
    const cut = 400;
    const original = new Sort();
    for (const dets of frames.slice(0, cut)) original.update(dets);
    const snapshot = original.snapshot();
    const json = JSON.parse(JSON.stringify(snapshot)) as SortState;
    assert.deepStrictEqual(json, snapshot, 'the snapshot is plain JSON');
    assert.ok(snapshot.trackers.length > 0);
    const restored = Sort.restore(json);
    for (const [i, dets] of frames.slice(cut).entries()) {
      assert.deepStrictEqual(restored.update(dets), original.update(dets), `frame ${cut + i + 1}`);
    }
    assert.deepStrictEqual(restored.snapshot(), original.snapshot());
  });

  it('refuses a snapshot with a bad field, naming it', () => {
    const sort = new Sort();
    sort.update([boxAt(0), boxAt(100)]);
    const good = sort.snapshot();
    const bad = (patch: (s: SortState) => void) => {
      const s = structuredClone(good);
      patch(s);
      return () => Sort.restore(s);
    };
    assert.throws(() => Sort.restore(null as unknown as SortState), /state: expected an object/);
    assert.throws(bad((s) => (s.params.maxAge = -1)), /maxAge must be an integer ≥ 0/);
    assert.throws(bad((s) => (s.nextId = 2)), /state\.trackers\[1\]\.id: 2 is repeated or not below nextId/);
    assert.throws(bad((s) => (s.trackers[1]!.id = 1)), /state\.trackers\[1\]\.id/);
    assert.throws(bad((s) => (s.trackers[0]!.hitStreak = 0.5)), /state\.trackers\[0\]\.hitStreak/);
    assert.throws(bad((s) => (s.trackers[0]!.x[2] = Number.NaN)), /state\.trackers\[0\]\.x\[2\] is not a finite number/);
    assert.throws(bad((s) => (s.frameCount = -1)), /state\.frameCount/);
  });

  it('validates its parameters and the step', () => {
    assert.deepEqual(new Sort().snapshot().params, { maxAge: 1, minHits: 3, iouThreshold: 0.3 });
    assert.throws(() => new Sort({ maxAge: -1 }), /maxAge must be an integer ≥ 0, got -1/);
    assert.throws(() => new Sort({ minHits: 1.5 }), /minHits must be an integer ≥ 0, got 1.5/);
    assert.throws(() => new Sort({ iouThreshold: 1.5 }), /iouThreshold must be a number in \[0, 1\], got 1.5/);
    assert.throws(() => new Sort({ iouThreshold: Number.NaN }), /iouThreshold/);
    for (const step of [0, -1, 1.5, Number.NaN]) assert.throws(() => new Sort().update([], step), /step must be a positive integer/);
  });

  describe('frame gaps (step > 1)', () => {
    /** A tracker that has followed a box moving 8 px per frame for 10 frames. */
    function moving(): Sort {
      const sort = new Sort();
      for (let f = 0; f < 10; f++) sort.update([boxAt(8 * f)]);
      return sort;
    }

    it('predicts k frames ahead: the filter state equals k single predictions', () => {
      const start = Sort.restore({ ...moving().snapshot(), params: { maxAge: 10, minHits: 3, iouThreshold: 0.3 } });
      const snap = start.snapshot();
      const gap = Sort.restore(snap);
      gap.update([], 3);
      const steps = Sort.restore(snap);
      for (let k = 0; k < 3; k++) steps.update([]);
      const [a] = gap.snapshot().trackers;
      const [b] = steps.snapshot().trackers;
      assert.deepStrictEqual([a?.x, a?.P], [b?.x, b?.P]);
      // ... while the life-cycle counters advance by one update only.
      assert.equal(a?.timeSinceUpdate, 1);
      assert.equal(b?.timeSinceUpdate, 3);
      assert.equal(gap.snapshot().frameCount, snap.frameCount + 1);
    });

    it('finds a moving object where it is after the gap, with the same id and its streak kept', () => {
      const after = boxAt(8 * 9 + 8 * 3); // 3 frames after the last one seen
      const { tracks } = moving().update([after], 3);
      assert.deepEqual(tracks.map((t) => t.trackId), [1]);
      assert.ok(Math.abs((tracks[0] as TrackerOutput).x1 - after.x1) < 1, 'box follows the detection');
      // Fed as one step, the prediction lags behind: the object looks new and is not output yet.
      const asOneStep = moving();
      assert.deepEqual(asOneStep.update([after]).tracks, []);
      assert.deepEqual(asOneStep.snapshot().trackers.map((t) => t.id), [1, 2]);
    });

    it('does not age tracks out across a gap without detections', () => {
      const sort = moving();
      sort.update([], 5); // max_age 1: one missed update is allowed, whatever the gap
      assert.deepEqual(sort.snapshot().trackers.map((t) => [t.id, t.timeSinceUpdate]), [[1, 1]]);
      sort.update([]);
      assert.deepEqual(sort.snapshot().trackers, []);
    });
  });
});
