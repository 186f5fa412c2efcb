import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { parseMot } from '../../common/mot/format.js';
import { UsageError } from '../../common/errors.js';
import { BYTETRACK, ByteTrack, type ByteTrackParams, type ByteTrackState } from '../../broker/tracker/bytetrack.js';
import { KF_LENGTH, kfCovariance, kfPredict, kfStateFrom } from '../../broker/tracker/bytetrack-kalman.js';
import { detectionsPerFrame, formatSortRow, motRowFormatter, numpyRound, pythonFloat, trackMot } from '../../broker/tracker/mot-track.js';
import { addTrackerOptions, trackerSpecFromOptions } from '../../broker/tracker/options.js';
import { TRACKERS, createTracker, defaultParams, restoreTracker, snapshotTracker, type TrackerSpec } from '../../broker/tracker/registry.js';
import { Sort } from '../../broker/tracker/sort.js';
import { trackCommand } from '../../broker/tracker/track-command.js';
import { invalidBox, type TrackerDetection, type TrackerOutput } from '../../broker/tracker/tracker.js';
import { MOT15, REFERENCE_SEQUENCES, ROOT, lines, readFixture, rng } from './tracker-helpers.js';

/** The two parameter sets of the reference outputs (test/fixtures/mot15/bytetrack/README.md). */
const PARAM_SETS = {
  a: { trackThresh: 0.5, trackBuffer: 30, matchThresh: 0.8, frameRate: 30, mot20: false },
  b: { trackThresh: 0.7, trackBuffer: 30, matchThresh: 0.8, frameRate: 30, mot20: false },
} as const satisfies Record<string, ByteTrackParams>;

function det(x1: number, y1: number, x2: number, y2: number, score = 0.9, label = 'person', classId = 0): TrackerDetection {
  return { x1, y1, x2, y2, score, classId, label };
}

/** A 20×40 box whose left edge is at x. */
const boxAt = (x: number, score = 0.9, label = 'person') => det(x, 100, x + 20, 140, score, label);

const ids = (tracks: readonly TrackerOutput[]) => tracks.map((t) => t.trackId);

/** Tracker outputs of every frame of a det fixture, as [frame, output] pairs. */
function runSequence(seq: string, params: ByteTrackParams): { frame: number; t: TrackerOutput }[] {
  const tracker = new ByteTrack(params);
  const out: { frame: number; t: TrackerOutput }[] = [];
  detectionsPerFrame(parseMot(readFixture(`det/${seq}.txt`))).forEach((dets, i) => {
    const { tracks, rejected } = tracker.update(dets);
    assert.deepEqual(rejected, []);
    for (const t of tracks) out.push({ frame: i + 1, t });
  });
  return out;
}

/**
 * Asserts that tracker outputs equal the reference rows: the same frames with output, the same
 * ids in the same order per frame, boxes within one rounding step (0.1) and scores within 0.01
 * of the reference's rounded values, the constant trailing fields.
 */
function assertMatchesByteTrackReference(actual: { frame: number; t: TrackerOutput }[], reference: readonly string[], name: string): void {
  const want = new Map<number, number[][]>();
  for (const line of reference) {
    const f = line.split(',').map(Number);
    assert.deepEqual(f.slice(7), [-1, -1, -1], `${name}: trailing fields of '${line}'`);
    const list = want.get(f[0] as number) ?? [];
    list.push(f);
    want.set(f[0] as number, list);
  }
  const got = new Map<number, TrackerOutput[]>();
  for (const { frame, t } of actual) got.set(frame, [...(got.get(frame) ?? []), t]);
  assert.deepEqual([...got.keys()], [...want.keys()], `${name}: frames with output`);
  for (const [frame, rows] of want) {
    const mine = got.get(frame) as TrackerOutput[];
    assert.deepEqual(ids(mine), rows.map((r) => r[1]), `${name} frame ${frame}: ids in order`);
    rows.forEach((r, i) => {
      const t = mine[i] as TrackerOutput;
      const values = [t.x1, t.y1, t.x2 - t.x1, t.y2 - t.y1];
      values.forEach((v, k) => {
        assert.ok(Math.abs(v - (r[k + 2] as number)) <= 0.1 + 1e-9, `${name} frame ${frame} id ${r[1]}: field ${k + 2} is ${v}, reference ${r[k + 2]}`);
      });
      assert.ok(Math.abs(t.score - (r[6] as number)) <= 0.01 + 1e-9, `${name} frame ${frame} id ${r[1]}: score ${t.score}, reference ${r[6]}`);
    });
  }
}

function vsp(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/vsp.js'), ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('ByteTrack tracker', () => {
  for (const [set, params] of Object.entries(PARAM_SETS)) {
    for (const seq of REFERENCE_SEQUENCES) {
      it(`${seq} (${set}: track_thresh ${params.trackThresh}): equals the official output (ids, rows per frame, boxes, scores)`, () => {
        const reference = lines(readFixture(`bytetrack/${set}/${seq}.txt`));
        assertMatchesByteTrackReference(runSequence(seq, params), reference, `${seq}/${set}`);
        // Formatted as the official writer does, the rows are the reference's, character for character.
        const { lines: out, rejected } = trackMot(parseMot(readFixture(`det/${seq}.txt`)), { kind: 'bytetrack', params });
        assert.deepEqual(rejected, []);
        assert.deepEqual(out, reference);
      });
    }
  }

  it('starts confirmed tracks on the first frame only; later ones wait one frame, and their ids are taken at once', () => {
    const bt = new ByteTrack();
    assert.deepEqual(bt.update([]), { tracks: [], rejected: [] });
    // Frame 2 is not the first frame: the new track is unconfirmed, not output, but has id 1.
    assert.deepEqual(bt.update([boxAt(0)]).tracks, []);
    assert.deepEqual(bt.snapshot().tracked.map((t) => [t.id, t.activated]), [[1, false]]);
    assert.deepEqual(ids(bt.update([boxAt(1)]).tracks), [1]);

    const first = new ByteTrack();
    const { tracks } = first.update([boxAt(0, 0.9, 'a'), boxAt(100, 0.8, 'b')]);
    assert.deepEqual(
      tracks.map((t) => [t.trackId, t.label, t.score, t.x1, t.y1, t.x2, t.y2]),
      [
        [1, 'a', 0.9, 0, 100, 20, 140],
        [2, 'b', 0.8, 100, 100, 120, 140],
      ],
    );
  });

  it('leaves gaps in the ids: an unconfirmed track that is not matched again is removed with its id', () => {
    const bt = new ByteTrack();
    bt.update([boxAt(0)]); // id 1, confirmed (frame 1)
    assert.deepEqual(ids(bt.update([boxAt(0), boxAt(300)]).tracks), [1]); // id 2 unconfirmed
    assert.deepEqual(ids(bt.update([boxAt(0)]).tracks), [1]); // id 2 removed
    assert.deepEqual(bt.snapshot().tracked.map((t) => t.id), [1]);
    assert.deepEqual(ids(bt.update([boxAt(0), boxAt(600)]).tracks), [1]); // id 3 unconfirmed
    assert.deepEqual(ids(bt.update([boxAt(0), boxAt(600)]).tracks), [1, 3]);
  });

  it('uses low-score detections only to continue tracked tracks, with their score, class and label', () => {
    const bt = new ByteTrack(); // trackThresh 0.5: new tracks need ≥ 0.6, low detections are in (0.1, 0.5)
    bt.update([boxAt(0, 0.9, 'person')]);
    const low = bt.update([det(1, 100, 21, 140, 0.3, 'cyclist', 7), boxAt(300, 0.3), boxAt(500, 0.55)]);
    assert.deepEqual(
      low.tracks.map((t) => [t.trackId, t.classId, t.label, t.score]),
      [[1, 7, 'cyclist', 0.3]],
    );
    // Neither the low detection nor the one in (0.5, 0.6) started a track.
    assert.deepEqual(bt.snapshot().tracked.map((t) => t.id), [1]);
    // Scores equal to 0.1 or to trackThresh belong to neither group: the track is lost.
    const edge = new ByteTrack();
    edge.update([boxAt(0)]);
    assert.deepEqual(edge.update([boxAt(0, 0.5), boxAt(0, 0.1)]).tracks, []);
    assert.deepEqual(edge.snapshot().lost.map((t) => [t.id, t.state]), [[1, 'lost']]);
    // A lost track is found again by a high detection only, with its old id.
    assert.deepEqual(edge.update([boxAt(0, 0.3)]).tracks, []);
    assert.deepEqual(ids(edge.update([boxAt(0, 0.52)]).tracks), [1]);
  });

  it('keeps a lost track for trackBuffer·frameRate/30 frames, then removes it (one frame later from the lost list)', () => {
    const lostFor = (params: Partial<ByteTrackParams>, gap: number) => {
      const bt = new ByteTrack(params);
      bt.update([boxAt(0)]);
      for (let k = 0; k < gap; k++) bt.update([]);
      return bt;
    };
    // Default: max_time_lost 30. Lost at frame 2 (last seen at frame 1).
    assert.deepEqual(ids(lostFor({}, 30).update([boxAt(0)]).tracks), [1], 'seen again 31 frames later: same id');
    const aged = lostFor({}, 31); // frame 32: 32 - 1 > 30
    assert.deepEqual(aged.snapshot().lost.map((t) => [t.id, t.state, t.listedRemoved]), [[1, 'removed', true]]);
    // As in the reference, it can still be found in the next frame...
    assert.deepEqual(ids(lostFor({}, 31).update([boxAt(0)]).tracks), [1]);
    // ...after which it is gone and a detection there starts track 2.
    aged.update([]);
    assert.deepEqual(aged.snapshot().lost, []);
    aged.update([boxAt(0)]);
    assert.deepEqual(aged.snapshot().tracked.map((t) => t.id), [2]);
    // frameRate 10 scales the buffer to trunc(10 / 30 · 30) = 10 frames.
    assert.deepEqual(lostFor({ frameRate: 10 }, 10).snapshot().lost.map((t) => t.state), ['lost']);
    assert.deepEqual(lostFor({ frameRate: 10 }, 11).snapshot().lost.map((t) => t.state), ['removed']);
  });

  it('rejects NaN/Infinity coordinates and non-positive sizes with a reason; a non-finite score takes no part', () => {
    const bt = new ByteTrack();
    const clean = new ByteTrack();
    const { tracks, rejected } = bt.update([
      det(Number.NaN, 0, 10, 10),
      det(0, 0, 10, Number.POSITIVE_INFINITY),
      det(5, 0, 5, 10),
      det(0, 10, 10, 4),
      det(0, 0, 1e200, 1e200),
      det(0, 0, 10, 10, Number.NaN),
      det(10, 10, 30, 50, 0.8, 'car', 2),
    ]);
    assert.deepEqual(rejected, [
      { index: 0, reason: 'x1 is not a finite number (NaN)' },
      { index: 1, reason: 'y2 is not a finite number (Infinity)' },
      { index: 2, reason: 'width x2 - x1 is not positive (0)' },
      { index: 3, reason: 'height y2 - y1 is not positive (-6)' },
      { index: 4, reason: 'x2 is beyond ±1000000000 (1e+200)' },
    ]);
    assert.deepEqual(tracks, clean.update([det(10, 10, 30, 50, 0.8, 'car', 2)]).tracks);
    assert.deepStrictEqual(bt.snapshot(), clean.snapshot());
  });

  it('survives hostile input: rejects exactly the invalid boxes, outputs finite boxes, snapshots restore', () => {
    const random = rng(2024);
    const specials = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0, 2 ** 53, 2 ** 64, 1e308, 1e-300];
    const hostile = () => {
      const r = random();
      if (r < 0.15) return specials[Math.floor(random() * specials.length)] as number;
      if (r < 0.3) return (random() - 0.5) * 10 ** Math.floor(random() * 600 - 300);
      return Math.floor(random() * 300);
    };
    const score = () => (random() < 0.3 ? hostile() : random());
    for (let run = 0; run < 60; run++) {
      let bt = new ByteTrack({ trackThresh: random(), matchThresh: random(), trackBuffer: 1 + Math.floor(random() * 40) });
      for (let f = 0; f < 40; f++) {
        const dets = Array.from({ length: Math.floor(random() * 10) }, (): TrackerDetection => {
          if (random() < 0.5) {
            const x = Math.floor(random() * 200);
            const y = Math.floor(random() * 200);
            return det(x, y, x + 1 + Math.floor(random() * 60), y + 1 + Math.floor(random() * 90), score());
          }
          return det(hostile(), hostile(), hostile(), hostile(), score());
        });
        const step = random() < 0.8 ? 1 : 1 + Math.floor(random() * 50);
        const { tracks, rejected } = bt.update(dets, step);
        assert.deepEqual(
          rejected.map((r) => r.index),
          dets.flatMap((d, i) => (invalidBox(d) === undefined ? [] : [i])),
        );
        for (const t of tracks) assert.ok([t.x1, t.y1, t.x2, t.y2, t.score].every(Number.isFinite), JSON.stringify(t));
        const snapshot = bt.snapshot();
        bt = ByteTrack.restore(JSON.parse(JSON.stringify(snapshot)) as ByteTrackState);
        assert.deepStrictEqual(bt.snapshot(), snapshot);
      }
    }
  });

  it('restores a JSON snapshot at any point and continues identically', () => {
    const frames = detectionsPerFrame(parseMot(readFixture('det/PETS09-S2L1.txt')));
    const original = new ByteTrack(PARAM_SETS.a);
    const seen = { unconfirmed: 0, lost: 0, removed: 0, refoundRemoved: 0 };
    const restored: { from: number; tracker: ByteTrack }[] = [];
    frames.forEach((dets, i) => {
      const want = original.update(dets);
      for (const r of restored) assert.deepStrictEqual(r.tracker.update(dets), want, `frame ${i + 1}, restored after frame ${r.from}`);
      const snapshot = original.snapshot();
      seen.unconfirmed += snapshot.tracked.filter((t) => !t.activated).length;
      seen.lost += snapshot.lost.filter((t) => t.state === 'lost').length;
      seen.removed += snapshot.lost.filter((t) => t.state === 'removed').length;
      seen.refoundRemoved += snapshot.tracked.filter((t) => t.listedRemoved).length;
      if ((i + 1) % 100 === 0) {
        const json = JSON.parse(JSON.stringify(snapshot)) as ByteTrackState;
        assert.deepStrictEqual(json, snapshot, 'the snapshot is plain JSON');
        restored.push({ from: i + 1, tracker: ByteTrack.restore(json) });
      }
    });
    for (const r of restored) assert.deepStrictEqual(r.tracker.snapshot(), original.snapshot());
    // The cut points covered every kind of track state.
    assert.ok(seen.unconfirmed > 0 && seen.lost > 0 && seen.removed > 0, JSON.stringify(seen));
  });

  it('goes through the registry: snapshot and restore by spec, and a SORT snapshot is refused', () => {
    const spec: TrackerSpec = { kind: 'bytetrack', params: defaultParams('bytetrack') };
    assert.deepEqual(spec.params, { trackThresh: 0.5, trackBuffer: 30, matchThresh: 0.8, frameRate: 30, mot20: false });
    const tracker = createTracker(spec);
    assert.ok(tracker instanceof ByteTrack);
    tracker.update([boxAt(0), boxAt(100)]);
    const stored = JSON.parse(JSON.stringify(snapshotTracker(spec, tracker))) as ReturnType<typeof snapshotTracker>;
    assert.deepEqual([stored.kind, stored.version], ['bytetrack', 1]);
    const again = restoreTracker(spec, stored);
    assert.deepStrictEqual(again.update([boxAt(2)]), tracker.update([boxAt(2)]));

    const sortSpec: TrackerSpec = { kind: 'sort', params: defaultParams('sort') };
    const sortSnapshot = snapshotTracker(sortSpec, new Sort());
    assert.throws(
      () => restoreTracker(spec, sortSnapshot),
      (err: unknown) => err instanceof RangeError && err.message === 'snapshot of tracker sort v1, but this broker runs bytetrack v1',
    );
    assert.throws(() => restoreTracker(spec, { ...stored, version: 2 }), /snapshot of tracker bytetrack v2, but this broker runs bytetrack v1/);
    assert.throws(() => restoreTracker(sortSpec, stored), /snapshot of tracker bytetrack v1, but this broker runs sort v1/);
  });

  it('refuses a snapshot with a bad field, naming it', () => {
    const bt = new ByteTrack();
    bt.update([boxAt(0), boxAt(100)]);
    bt.update([boxAt(0), boxAt(300)]); // 1 tracked, 3 unconfirmed, 2 lost
    const good = bt.snapshot();
    assert.deepEqual(
      [good.tracked.map((t) => [t.id, t.activated]), good.lost.map((t) => t.id)],
      [
        [
          [1, true],
          [3, false],
        ],
        [2],
      ],
    );
    assert.deepStrictEqual(ByteTrack.restore(structuredClone(good)).snapshot(), good);
    const bad = (patch: (s: ByteTrackState) => void) => {
      const s = structuredClone(good);
      patch(s);
      return () => ByteTrack.restore(s);
    };
    const cases: [(s: ByteTrackState) => void, RegExp][] = [
      [(s) => ((s as unknown as { params: null }).params = null), /^RangeError: state\.params: expected an object$/],
      [(s) => (s.params.trackThresh = 2), /^RangeError: state\.params\.trackThresh must be a number in \[0, 1\], got 2$/],
      [(s) => (s.params.trackBuffer = 0), /^RangeError: state\.params\.trackBuffer must be an integer ≥ 1, got 0$/],
      [(s) => ((s.params as unknown as { mot20: number }).mot20 = 1), /^RangeError: state\.params\.mot20 must be a boolean, got 1$/],
      [(s) => (s.frameId = -1), /^RangeError: state\.frameId: expected an integer ≥ 0, got -1$/],
      [(s) => (s.nextId = 3), /^RangeError: state\.tracked\[1\]\.id: 3 is repeated or not below nextId$/],
      [(s) => (s.lost[0]!.id = 1), /^RangeError: state\.lost\[0\]\.id: 1 is repeated or not below nextId$/],
      [(s) => ((s as unknown as { lost: object }).lost = {}), /^RangeError: state\.lost: expected an array$/],
      [(s) => (s.tracked[0]!.state = 'lost'), /^RangeError: state\.tracked\[0\]\.state: expected 'tracked', got lost$/],
      [(s) => (s.lost[0]!.state = 'tracked'), /^RangeError: state\.lost\[0\]\.state: expected 'lost' or 'removed', got tracked$/],
      [(s) => (s.lost[0]!.state = 'removed'), /^RangeError: state\.lost\[0\]\.listedRemoved: a removed track is listed as removed$/],
      [(s) => (s.lost[0]!.activated = false), /^RangeError: state\.lost\[0\]\.activated: a lost track is always activated$/],
      [(s) => ((s.tracked[1] as unknown as { activated: string }).activated = 'yes'), /^RangeError: state\.tracked\[1\]\.activated: expected a boolean, got yes$/],
      [(s) => (s.tracked[0]!.mean[3] = Number.NaN), /^RangeError: state\.tracked\[0\]\.mean\[3\]: expected a finite number, got NaN$/],
      [(s) => s.tracked[0]!.mean.pop(), /^RangeError: state\.tracked\[0\]\.mean: expected an array of 8 numbers$/],
      [(s) => (s.tracked[0]!.covariance[1] = 0.5), /^RangeError: state\.tracked\[0\]\.covariance\[1\]: expected 0 outside the \(value, velocity\) blocks, got 0\.5$/],
      [(s) => (s.tracked[0]!.covariance[63] = Number.POSITIVE_INFINITY), /^RangeError: state\.tracked\[0\]\.covariance\[63\]: expected a finite number/],
      [(s) => ((s.tracked[0] as unknown as { score: string }).score = '1'), /^RangeError: state\.tracked\[0\]\.score: expected a finite number, got 1$/],
      [(s) => ((s.tracked[0] as unknown as { label: number }).label = 3), /^RangeError: state\.tracked\[0\]\.label: expected a string, got 3$/],
      [(s) => (s.tracked[0]!.classId = Number.NaN), /^RangeError: state\.tracked\[0\]\.classId: expected a finite number, got NaN$/],
      [(s) => (s.tracked[0]!.startFrame = 3), /^RangeError: state\.tracked\[0\]\.frameId: expected an integer ≥ 3, got 2$/],
      [(s) => (s.tracked[0]!.frameId = 5), /^RangeError: state\.tracked\[0\]\.frameId: 5 is after state\.frameId 2$/],
    ];
    for (const [patch, message] of cases) assert.throws(bad(patch), (err: unknown) => err instanceof RangeError && message.test(String(err)), String(message));
    assert.throws(() => ByteTrack.restore(null as unknown as ByteTrackState), /^RangeError: state: expected an object$/);
  });

  it('validates its parameters and the step; declares its CLI flags and minimum score', () => {
    assert.deepEqual(new ByteTrack().snapshot().params, { trackThresh: 0.5, trackBuffer: 30, matchThresh: 0.8, frameRate: 30, mot20: false });
    assert.throws(() => new ByteTrack({ trackThresh: 1.5 }), /^RangeError: trackThresh must be a number in \[0, 1\], got 1.5$/);
    assert.throws(() => new ByteTrack({ matchThresh: -0.1 }), /^RangeError: matchThresh must be a number in \[0, 1\], got -0.1$/);
    assert.throws(() => new ByteTrack({ matchThresh: Number.NaN }), /matchThresh/);
    assert.throws(() => new ByteTrack({ trackBuffer: 0 }), /^RangeError: trackBuffer must be an integer ≥ 1, got 0$/);
    assert.throws(() => new ByteTrack({ frameRate: 2.5 }), /^RangeError: frameRate must be an integer ≥ 1, got 2.5$/);
    assert.throws(() => new ByteTrack({ mot20: 'no' as unknown as boolean }), /^RangeError: mot20 must be a boolean, got no$/);
    for (const step of [0, -1, 1.5, Number.NaN]) assert.throws(() => new ByteTrack().update([], step), /step must be a positive integer/);

    assert.equal(TRACKERS.bytetrack, BYTETRACK);
    assert.deepEqual([BYTETRACK.name, BYTETRACK.version], ['bytetrack', 1]);
    assert.deepEqual(
      BYTETRACK.params.map((p) => [p.flag, p.param, p.type, p.default]),
      [
        ['--track-thresh <x>', 'trackThresh', 'unit', 0.5],
        ['--track-buffer <n>', 'trackBuffer', 'positive', 30],
        ['--match-thresh <x>', 'matchThresh', 'unit', 0.8],
        ['--frame-rate <n>', 'frameRate', 'positive', 30],
        ['--mot20', 'mot20', 'boolean', false],
      ],
    );
    assert.equal(BYTETRACK.minScore(defaultParams('bytetrack')), 0.1);
  });

  it('takes its parameters from the command line (--tracker bytetrack, --mot20 as a switch), refusing bad values', async () => {
    const parse = (...args: string[]) => {
      const cmd = addTrackerOptions(new Command()).exitOverride().configureOutput({ writeErr: () => undefined });
      return trackerSpecFromOptions(cmd.parse(args, { from: 'user' }).opts());
    };
    assert.deepEqual(parse('--tracker', 'bytetrack'), { kind: 'bytetrack', params: defaultParams('bytetrack') });
    assert.deepEqual(parse('--tracker', 'bytetrack', '--track-thresh', '0.7', '--track-buffer', '60', '--match-thresh', '0.9', '--frame-rate', '25', '--mot20'), {
      kind: 'bytetrack',
      params: { trackThresh: 0.7, trackBuffer: 60, matchThresh: 0.9, frameRate: 25, mot20: true },
    });
    assert.equal(parse('--iou', '0.5').kind, 'sort');
    const usage = async (args: string[], message: string) => {
      const cmd = trackCommand().exitOverride();
      await assert.rejects(cmd.parseAsync(['--mot', 'unused.txt', '--tracker', 'bytetrack', ...args], { from: 'user' }), (err: unknown) => {
        return err instanceof UsageError && err.message === message;
      });
    };
    await usage(['--track-thresh', '1.5'], '--track-thresh: expected a number in [0, 1], got 1.5');
    await usage(['--match-thresh', 'x'], '--match-thresh: expected a number in [0, 1], got NaN');
    assert.throws(() => parse('--tracker', 'bytetrack', '--track-buffer', '0'), /--track-buffer <n>' argument '0' is invalid. expected a positive integer/);
  });

  describe('frame gaps (step > 1)', () => {
    /** A box moving 8 px and growing 2 px per frame, at frame f (from 0). */
    const movingBox = (f: number) => det(8 * f, 100, 8 * f + 20, 140 + 2 * f);
    /** A tracker that has followed movingBox for 10 frames. */
    function moving(): ByteTrack {
      const bt = new ByteTrack();
      for (let f = 0; f < 10; f++) bt.update([movingBox(f)]);
      return bt;
    }

    it('advances the frame by k and predicts tracked tracks k times (velocities kept), not k missed frames', () => {
      const start = moving().snapshot();
      const gap = ByteTrack.restore(start);
      gap.update([], 3);
      const track = start.tracked[0]!;
      const st = kfStateFrom(track.mean, track.covariance, 'expected');
      for (let k = 0; k < 3; k++) kfPredict(st);
      const after = gap.snapshot();
      assert.equal(after.frameId, start.frameId + 3);
      assert.deepEqual(after.tracked, []);
      assert.deepStrictEqual(
        after.lost.map((t) => [t.id, t.state, t.mean, t.covariance, t.frameId]),
        [[1, 'lost', Array.from(st.subarray(0, 8)), kfCovariance(st), start.frameId]],
      );
      assert.equal(st.length, KF_LENGTH);
      // Three updates of one frame differ: after the first the track is lost, and a lost track's
      // height velocity is zeroed before each prediction.
      const steps = ByteTrack.restore(start);
      for (let k = 0; k < 3; k++) steps.update([]);
      assert.notDeepStrictEqual(steps.snapshot().lost[0]?.mean, after.lost[0]?.mean);
      assert.equal(steps.snapshot().frameId, after.frameId);
    });

    it('finds a moving object where it is after the gap, with the same id', () => {
      const after = movingBox(9 + 3); // 3 frames after the last one seen
      const { tracks } = moving().update([after], 3);
      assert.deepEqual(ids(tracks), [1]);
      assert.ok(Math.abs((tracks[0] as TrackerOutput).x1 - after.x1) < 5, 'box follows the detection');
      // Fed as one step, the prediction lags behind: the object starts a new (unconfirmed) track.
      const asOneStep = moving();
      assert.deepEqual(asOneStep.update([after]).tracks, []);
      const s = asOneStep.snapshot();
      assert.deepEqual([s.tracked.map((t) => [t.id, t.activated]), s.lost.map((t) => t.id)], [[[2, false]], [1]]);
    });

    it('ages lost tracks by the frames skipped', () => {
      const lostThenGap = (gap: number) => {
        const bt = new ByteTrack();
        bt.update([boxAt(0)]);
        bt.update([]); // frame 2: lost, last seen at frame 1
        bt.update([], gap);
        return bt.snapshot().lost.map((t) => [t.id, t.state]);
      };
      assert.deepEqual(lostThenGap(29), [[1, 'lost']]); // frame 31: 31 - 1 = 30, not > 30
      assert.deepEqual(lostThenGap(30), [[1, 'removed']]); // frame 32
    });

    it('does not count a first update with step k as the first frame: its tracks wait for confirmation', () => {
      const bt = new ByteTrack();
      assert.deepEqual(bt.update([boxAt(0)], 3).tracks, []);
      assert.deepEqual(bt.snapshot().frameId, 3);
      assert.deepEqual(ids(bt.update([boxAt(0)]).tracks), [1]);
    });
  });

  describe('MOT output rows', () => {
    it('rounds the numpy way (half to even after scaling) and prints as Python does', () => {
      assert.equal(numpyRound(1233.55, 1), 1233.6); // Python's round() gives 1233.5
      assert.equal(numpyRound(0.995, 2), 1);
      assert.equal(numpyRound(0.125, 2), 0.12);
      assert.equal(numpyRound(0.135, 2), 0.14);
      assert.equal(numpyRound(2.5, 0), 2);
      assert.equal(numpyRound(-3.5, 0), -4);
      assert.ok(Object.is(numpyRound(-0.04, 1), -0));
      assert.deepEqual([1, -0, 0, 1233.6, -9.6, 0.1, 1e16, 1.5e-5, Number.NaN].map(pythonFloat), ['1.0', '-0.0', '0.0', '1233.6', '-9.6', '0.1', '1e+16', '1.5e-05', 'nan']);
      const t: TrackerOutput = { trackId: 4, x1: 1233.55, y1: -0.04, x2: 1233.55 + 79.94, y2: 209.5, classId: -1, label: '', score: 0.995 };
      assert.equal(motRowFormatter('bytetrack')(12, t), '12,4,1233.6,-0.0,79.9,209.5,1.0,-1,-1,-1');
      // SORT keeps its own format.
      assert.equal(motRowFormatter('sort'), formatSortRow);
      assert.equal(formatSortRow(12, t), '12,4,1233.55,-0.04,79.94,209.54,1,-1,-1,-1');
    });
  });
});

describe('vsp track --tracker bytetrack (CLI)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'vsp-bytetrack-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the official output (set a) to stdout', () => {
    const r = vsp('track', '--tracker', 'bytetrack', '--mot', `${MOT15}/det/TUD-Campus.txt`);
    assert.deepEqual([r.status, r.stderr], [0, '']);
    assert.equal(r.stdout, readFixture('bytetrack/a/TUD-Campus.txt'));
  });

  it('takes --track-thresh 0.7 (set b) and --out', () => {
    const out = path.join(dir, 'kitti.txt');
    const r = vsp('track', '--tracker', 'bytetrack', '--mot', `${MOT15}/det/KITTI-17.txt`, '--track-thresh', '0.7', '--out', out);
    assert.deepEqual([r.status, r.stdout, r.stderr], [0, '', '']);
    assert.equal(readFileSync(out, 'utf8'), readFixture('bytetrack/b/KITTI-17.txt'));
  });

  it('runs with --mot20 (no score fusion) and exits 2 on a bad parameter', () => {
    const mot20 = vsp('track', '--tracker', 'bytetrack', '--mot20', '--mot', `${MOT15}/det/TUD-Campus.txt`);
    assert.deepEqual([mot20.status, mot20.stderr], [0, '']);
    assert.notEqual(mot20.stdout, readFixture('bytetrack/a/TUD-Campus.txt'));
    assert.match(mot20.stdout, /^1,1,281\.9,187\.5,79\.9,209\.5,1\.0,-1,-1,-1\n/);
    const bad = vsp('track', '--tracker', 'bytetrack', '--track-thresh', '2', '--mot', `${MOT15}/det/TUD-Campus.txt`);
    assert.deepEqual([bad.status, bad.stdout, bad.stderr], [2, '', 'vsp: --track-thresh: expected a number in [0, 1], got 2\n']);
  });
});
