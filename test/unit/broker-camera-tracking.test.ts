// Camera tracking alone: snapshot and restore mid-stream, several cameras, refusals.
import assert from 'node:assert/strict';
import { CameraTracking, type ProcessedFrame } from '../../broker/camera-tracking.js';
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
    const whole = new CameraTracking(SORT, SOURCE);
    const cut = 40;
    const expected: unknown[] = [];
    for (let seq = 1; seq <= 70; seq++) for (const cam of ['a', 'b'] as const) expected.push(tracks(whole, cam, seq));

    const first = new CameraTracking(SORT, SOURCE);
    const got: unknown[] = [];
    for (let seq = 1; seq <= cut; seq++) for (const cam of ['a', 'b'] as const) got.push(tracks(first, cam, seq));
    const second = new CameraTracking(SORT, SOURCE);
    second.restore(JSON.parse(JSON.stringify(first.snapshot())));
    assert.equal(second.size, 2);
    for (let seq = cut + 1; seq <= 70; seq++) for (const cam of ['a', 'b'] as const) got.push(tracks(second, cam, seq));
    assert.deepEqual(got, expected);
    assert.ok((expected as unknown[][]).some((t) => t.length > 0), 'something was tracked');
  });

  it('refuses a frame that is not after the camera’s last one, and keeps the camera going', () => {
    const t = new CameraTracking(SORT, SOURCE);
    tracks(t, 'a', 5);
    assert.deepEqual(t.track(processed('a', 5)), { kind: 'rejected', reason: 'seq 5 of camera a is not after the last tracked seq 5 (duplicate or out-of-order frame)' });
    assert.equal(t.track(processed('a', 4)).kind, 'rejected');
    assert.equal(t.track(processed('a', 6)).kind, 'tracked');
  });

  it('marks a rejected frame and a failed call, with no detections', () => {
    const t = new CameraTracking(SORT, SOURCE);
    const rejected = t.track({ ...processed('a', 1), result: { cameraId: 'a', seq: 1, detections: [], error: 'corrupt JPEG', processMs: 1 } });
    assert.ok(rejected.kind === 'tracked' && rejected.tracked.status === 'FRAME_REJECTED' && rejected.tracked.error === 'corrupt JPEG');
    const failed = t.track({ ...processed('a', 2), outcome: { ok: false, error: 'down', ms: 3 }, result: undefined });
    assert.ok(failed.kind === 'tracked' && failed.tracked.status === 'PROCESSOR_FAILED' && failed.tracked.detections?.length === 0);
    assert.ok(failed.kind === 'tracked' && failed.tracked.source?.offset === 2 && failed.tracked.source.partition === 0);
  });

  it('refuses a snapshot of another tracker version or a bad lastSeq, keeping its cameras', () => {
    const t = new CameraTracking(SORT, SOURCE);
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
});
