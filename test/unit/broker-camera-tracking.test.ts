// Camera tracking alone: snapshot and restore mid-stream, several cameras, refusals.
import assert from 'node:assert/strict';
import { CameraTracking, type ProcessedFrame, type TrackingEvent } from '../../broker/camera-tracking.js';
import { defaultParams, type TrackerSpec } from '../../broker/tracker/registry.js';
import { detectionsPerFrame } from '../../broker/tracker/mot-track.js';
import { parseMot } from '../../common/mot/format.js';
import type { TrackedFrame } from '../../common/gen/vsp/v1/TrackedFrame.js';
import { readFixture } from './tracker-helpers.js';

const SORT: TrackerSpec = { kind: 'sort', params: defaultParams('sort') };
const SOURCE = { topic: 'frames', partition: 0 };
const sequences = { a: detectionsPerFrame(parseMot(readFixture('det/TUD-Campus.txt'))), b: detectionsPerFrame(parseMot(readFixture('det/KITTI-17.txt'))) };

function processed(camera: 'a' | 'b', seq: number): ProcessedFrame {
  const detections = (sequences[camera][seq - 1] ?? []).map((d) => ({ ...d, classId: 0, label: 'person' }));
  return {
    frame: { cameraId: camera, seq, width: 640, height: 480, encoding: 'JPEG', image: Buffer.alloc(1), captureTime: null, sourceTime: null, attributes: {} },
    offset: String(seq),
    outcome: { ok: true, results: [], processor: 'p', ms: 1 },
    result: { cameraId: camera, seq, detections, error: '', processMs: 1 },
    admittedAt: 0,
    dispatchedAt: 0,
    completedAt: 0,
  };
}

function tracks(t: CameraTracking, camera: 'a' | 'b', seq: number): TrackedFrame['tracks'] {
  const r = t.track(processed(camera, seq));
  assert.equal(r.kind, 'tracked');
  return r.kind === 'tracked' ? r.tracked.tracks : [];
}

describe('CameraTracking', () => {
  it('continues identically from a JSON snapshot taken mid-stream, for every camera', () => {
    const whole = new CameraTracking({ spec: SORT, source: SOURCE });
    const cut = 40;
    const expected: unknown[] = [];
    for (let seq = 1; seq <= 70; seq++) for (const cam of ['a', 'b'] as const) expected.push(tracks(whole, cam, seq));

    const first = new CameraTracking({ spec: SORT, source: SOURCE });
    const got: unknown[] = [];
    for (let seq = 1; seq <= cut; seq++) for (const cam of ['a', 'b'] as const) got.push(tracks(first, cam, seq));
    const second = new CameraTracking({ spec: SORT, source: SOURCE });
    second.restore(JSON.parse(JSON.stringify(first.snapshot())));
    assert.equal(second.size, 2);
    for (let seq = cut + 1; seq <= 70; seq++) for (const cam of ['a', 'b'] as const) got.push(tracks(second, cam, seq));
    assert.deepEqual(got, expected);
    assert.ok((expected as unknown[][]).some((t) => t.length > 0), 'something was tracked');
  });

  it('refuses a frame that is not after the camera’s last one, and keeps the camera going', () => {
    const t = new CameraTracking({ spec: SORT, source: SOURCE });
    tracks(t, 'a', 5);
    assert.deepEqual(t.track(processed('a', 5)), { kind: 'rejected', reason: 'seq 5 of camera a is not after the last tracked seq 5 (duplicate or out-of-order frame)' });
    assert.equal(t.track(processed('a', 4)).kind, 'rejected');
    assert.equal(t.track(processed('a', 6)).kind, 'tracked');
  });

  it('marks a rejected frame and a failed call, with no detections', () => {
    const t = new CameraTracking({ spec: SORT, source: SOURCE });
    const rejected = t.track({ ...processed('a', 1), result: { cameraId: 'a', seq: 1, detections: [], error: 'corrupt JPEG', processMs: 1 } });
    assert.ok(rejected.kind === 'tracked' && rejected.tracked.status === 'FRAME_REJECTED' && rejected.tracked.error === 'corrupt JPEG');
    const failed = t.track({ ...processed('a', 2), outcome: { ok: false, error: 'down', ms: 3 }, result: undefined });
    assert.ok(failed.kind === 'tracked' && failed.tracked.status === 'PROCESSOR_FAILED' && failed.tracked.detections?.length === 0);
    assert.ok(failed.kind === 'tracked' && failed.tracked.source?.offset === 2 && failed.tracked.source.partition === 0);
  });

  it('refuses a snapshot of another tracker version or a bad lastSeq, keeping its cameras', () => {
    const t = new CameraTracking({ spec: SORT, source: SOURCE });
    tracks(t, 'a', 1);
    const snap = t.snapshot();
    const other = structuredClone(snap);
    other.a!.tracker.version = 9;
    assert.throws(() => t.restore(other), /snapshot of tracker sort v9, but this broker runs sort v1/);
    const badSeq = structuredClone(snap);
    badSeq.a!.lastSeq = Number.NaN;
    assert.throws(() => t.restore(badSeq), /camera a: lastSeq NaN/);
    assert.equal(t.size, 1);
  });

  describe('limits', () => {
    const limits = { maxSeqGap: 10, maxDetections: 3, maxCameras: 2, idleTtlMs: 1000 };

    it('restarts a camera whose seq jumps past maxSeqGap instead of predicting through the gap', () => {
      const events: TrackingEvent[] = [];
      const t = new CameraTracking({ spec: SORT, source: SOURCE, limits: { ...limits, maxDetections: 1000 }, onEvent: (e) => events.push(e) });
      for (let seq = 1; seq <= 5; seq++) tracks(t, 'a', seq);
      const start = performance.now();
      const far = processed('a', 6);
      const r = t.track({ ...far, frame: { ...far.frame, seq: 1e15 } });
      assert.ok(performance.now() - start < 1000, 'no step per missing frame');
      assert.equal(r.kind, 'tracked');
      assert.deepEqual(events, [{ kind: 'reset', camera: 'a', gap: 1e15 - 5 }]);
      const state = t.snapshot().a!;
      assert.equal(state.lastSeq, 1e15);
      assert.equal((state.tracker.state as { frameCount: number }).frameCount, 1, 'a fresh tracker');
      assert.equal(t.track(processed('a', 7)).kind, 'rejected', 'and older seqs stay refused');
    });

    it('marks a frame with more than maxDetections detections, tracking nothing from it', () => {
      const t = new CameraTracking({ spec: SORT, source: SOURCE, limits });
      const many = processed('a', 1);
      const boxes = Array.from({ length: 4 }, (_, i) => ({ x1: i * 10, y1: 0, x2: i * 10 + 5, y2: 5, score: 1, classId: 0, label: 'x' }));
      const r = t.track({ ...many, result: { ...many.result!, detections: boxes } });
      assert.ok(r.kind === 'tracked');
      assert.equal(r.tracked.status, 'FRAME_REJECTED');
      assert.equal(r.tracked.error, '4 detections, above the limit of 3');
      assert.deepEqual([r.tracked.detections, r.tracked.tracks], [[], []]);
    });

    it('drops idle cameras and the least recently seen beyond maxCameras, from snapshots too', () => {
      let now = 0;
      const events: TrackingEvent[] = [];
      const t = new CameraTracking({ spec: SORT, source: SOURCE, limits, now: () => now, onEvent: (e) => events.push(e) });
      tracks(t, 'a', 1);
      now = 500;
      tracks(t, 'b', 1);
      now = 900;
      tracks(t, 'a', 2); // a is now the most recently seen
      const c = processed('a', 1);
      t.track({ ...c, frame: { ...c.frame, cameraId: 'c' } });
      assert.deepEqual(Object.keys(t.snapshot()).sort(), ['a', 'c']);
      assert.deepEqual(events, [{ kind: 'evicted', camera: 'b', reason: 'capacity' }]);
      now = 1500;
      tracks(t, 'a', 3);
      assert.equal(t.size, 2);
      now = 1950; // c: 1050 ms without a frame
      tracks(t, 'a', 4);
      assert.deepEqual(Object.keys(t.snapshot()), ['a']);
      assert.deepEqual(events.slice(1), [{ kind: 'evicted', camera: 'c', reason: 'idle' }]);
      assert.equal(t.size, 1);
    });
  });
});
