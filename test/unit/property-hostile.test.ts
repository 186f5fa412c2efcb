// Property-based tests (fast-check) of the code every hostile input meets first: the frame
// validator, the reorder window and the trackers' input handling. Random inputs, fixed seeds.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CAMERA_ID, DEFAULT_FRAME_LIMITS, frameProblem } from '../../common/frame-limits.js';
import type { Frame__Output } from '../../common/gen/vsp/v1/Frame.js';
import { ReorderWindow } from '../../broker/reorder-window.js';
import { CameraTracking } from '../../broker/camera-tracking.js';
import { createTracker, defaultParams, TRACKERS } from '../../broker/tracker/registry.js';
import { MAX_COORDINATE, MIN_SIDE, type TrackerDetection } from '../../broker/tracker/tracker.js';

const RUNS = { numRuns: 300, seed: 20261203 };

const hostileNumber = fc.oneof(
  fc.double(),
  fc.integer({ min: -10, max: 10_000 }),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0, 2 ** 53, 2 ** 64, 1e308),
);

const frameArb = fc.record({
  cameraId: fc.oneof(fc.string({ maxLength: 200 }), fc.stringMatching(/^[A-Za-z0-9._:-]{1,20}$/), fc.constantFrom('', '..', '../x', 'a/b', 'ok')),
  seq: hostileNumber,
  width: fc.oneof(fc.nat(100_000), fc.constantFrom(0, 64)),
  height: fc.oneof(fc.nat(100_000), fc.constantFrom(0, 48)),
  encoding: fc.constantFrom('JPEG', 'PNG', 'RGB24', 'ENCODING_UNSPECIFIED', 7 as unknown as 'JPEG'),
  image: fc.oneof(
    fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
    fc.uint8Array({ maxLength: 16 }).map((b) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.from(b)])),
    fc.constant(Buffer.alloc(64 * 48 * 3)),
  ),
  attributes: fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 80 }),
});

describe('property: hostile input', () => {
  it('the frame validator never throws, and what it accepts meets every rule', () => {
    fc.assert(
      fc.property(frameArb, fc.boolean(), (f, keyMatches) => {
        const frame = { ...f, captureTime: null, sourceTime: null } as Frame__Output;
        const key = keyMatches ? Buffer.from(frame.cameraId) : Buffer.from('other');
        const problem = frameProblem(frame, key);
        if (problem !== undefined) {
          assert.equal(typeof problem, 'string');
          return;
        }
        assert.match(frame.cameraId, CAMERA_ID);
        assert.ok(key.equals(Buffer.from(frame.cameraId)));
        assert.ok(Number.isSafeInteger(frame.seq) && frame.seq >= 1);
        assert.ok(frame.width > 0 && frame.height > 0 && frame.width * frame.height <= DEFAULT_FRAME_LIMITS.maxPixels);
        assert.ok(Object.keys(frame.attributes).length <= DEFAULT_FRAME_LIMITS.maxAttributes);
        if (frame.encoding === 'RGB24') assert.equal(frame.image.length, frame.width * frame.height * 3);
        else assert.equal(frame.encoding, 'JPEG', 'only JPEG bytes are generated');
      }),
      RUNS,
    );
  });

  it('frames with an image_ref or edge detections: accepted only with exactly one image source, within the limits', () => {
    const refArb = fc.option(
      fc.record({
        key: fc.oneof(fc.constant(''), fc.string({ maxLength: 600 }), fc.constant('vsp:frame:cam:run:1')),
        length: fc.oneof(hostileNumber, fc.nat(64 * 1024 * 1024)),
        sha256: fc.oneof(fc.constant(Buffer.alloc(0)), fc.constant(Buffer.alloc(32, 1)), fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b))),
      }),
      { nil: undefined },
    );
    const edgeArb = fc.option(fc.record({ detections: fc.constant([]), detector: fc.string({ maxLength: 8 }), processMs: fc.double() }), { nil: undefined });
    fc.assert(
      fc.property(frameArb, refArb, edgeArb, fc.boolean(), (f, imageRef, edge, noImage) => {
        const frame = { ...f, image: noImage ? Buffer.alloc(0) : f.image, captureTime: null, sourceTime: null, imageRef, edge } as Frame__Output;
        const problem = frameProblem(frame, Buffer.from(frame.cameraId));
        if (problem !== undefined) return;
        assert.ok(frame.width * frame.height <= DEFAULT_FRAME_LIMITS.maxPixels);
        if (imageRef) {
          assert.equal(frame.image.length, 0, 'never both inline bytes and a reference');
          assert.ok(imageRef.key.length >= 1 && imageRef.key.length <= 512);
          assert.ok(Number.isSafeInteger(imageRef.length) && imageRef.length >= 1 && imageRef.length <= DEFAULT_FRAME_LIMITS.maxImageBytes);
          assert.ok(imageRef.sha256.length === 0 || imageRef.sha256.length === 32);
        } else if (frame.image.length === 0) {
          assert.ok(edge, 'a frame without any image must carry its detections');
        }
      }),
      RUNS,
    );
  });

  it('the reorder window releases every admitted item once, in admission order, whatever the completion order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 16 }), fc.array(fc.nat(), { minLength: 1, maxLength: 200 }), (capacity, choices) => {
        const window = new ReorderWindow<number, number>(capacity);
        const pending: number[] = [];
        const released: number[] = [];
        let next = 0;
        for (const choice of choices) {
          if (!window.full && (choice % 3 !== 0 || pending.length === 0)) {
            pending.push(window.admit(next));
            next++;
          } else {
            const ticket = pending.splice(choice % pending.length, 1)[0]!;
            window.complete(ticket, ticket);
          }
          for (const r of window.release()) released.push(r.item);
          assert.ok(window.size <= capacity);
        }
        for (const ticket of pending.splice(0)) window.complete(ticket, ticket);
        for (const r of window.release()) released.push(r.item);
        assert.deepEqual(released, Array.from({ length: next }, (_, i) => i));
        assert.equal(window.size, 0);
      }),
      RUNS,
    );
  });

  const detectionArb = fc.record({ x1: hostileNumber, y1: hostileNumber, x2: hostileNumber, y2: hostileNumber, score: hostileNumber, classId: fc.integer(), label: fc.string({ maxLength: 8 }) });
  const validBox = (d: TrackerDetection) => [d.x1, d.y1, d.x2, d.y2].every((v) => Number.isFinite(v) && Math.abs(v) <= MAX_COORDINATE) && d.x2 - d.x1 >= MIN_SIDE && d.y2 - d.y1 >= MIN_SIDE;

  for (const kind of Object.keys(TRACKERS)) {
    it(`${kind}: any detections and steps give finite tracks, rejecting exactly the invalid boxes`, () => {
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.array(detectionArb, { maxLength: 12 }), fc.integer({ min: 1, max: 50 })), { maxLength: 30 }), (frames) => {
          const tracker = createTracker({ kind, params: defaultParams(kind) });
          for (const [dets, step] of frames) {
            const { tracks, rejected } = tracker.update(dets, step);
            const invalid = dets.flatMap((d, i) => (validBox(d) ? [] : [i]));
            assert.deepEqual(rejected.map((r) => r.index), invalid);
            for (const t of tracks) assert.ok([t.x1, t.y1, t.x2, t.y2].every(Number.isFinite), `finite track box ${JSON.stringify(t)}`);
          }
          // And the state survives JSON.
          JSON.parse(JSON.stringify(tracker.snapshot()));
        }),
        { ...RUNS, numRuns: 150 },
      );
    });
  }

  it('camera tracking never throws on random frames, seqs and results', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.oneof(fc.integer({ min: 1, max: 3000 }), fc.constant(2 ** 52)), fc.array(detectionArb, { maxLength: 5 }), fc.boolean()), { maxLength: 40 }),
        (inputs) => {
          const tracking = new CameraTracking({ spec: { kind: 'sort', params: defaultParams('sort') }, source: { topic: 't', partition: 0 }, limits: { maxSeqGap: 1000, maxDetections: 4, maxCameras: 2, idleTtlMs: 1000 } });
          for (const [cameraId, seq, detections, ok] of inputs) {
            const frame = { cameraId, seq, width: 64, height: 48, encoding: 'JPEG', image: Buffer.alloc(1), captureTime: null, sourceTime: null, attributes: {} } as Frame__Output;
            const r = tracking.track({
              frame,
              offset: '0',
              outcome: ok ? { ok: true, results: [], processor: 'p', ms: 1 } : { ok: false, error: 'down', ms: 1 },
              result: { cameraId, seq, detections, error: '', processMs: 1 },
              admittedAt: 0,
              dispatchedAt: 0,
              completedAt: 0,
            });
            assert.ok(r.kind === 'tracked' || r.kind === 'rejected');
            assert.ok(tracking.size <= 2);
          }
        },
      ),
      RUNS,
    );
  });
});
