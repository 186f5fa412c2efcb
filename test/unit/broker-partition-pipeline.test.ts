// The partition pipeline with an in-memory processor and sink: ordering, dead letters,
// revocation and processor failures, without Kafka or gRPC.
import assert from 'node:assert/strict';
import { CameraTracking } from '../../broker/camera-tracking.js';
import { PartitionPipeline } from '../../broker/partition-pipeline.js';
import { DEFAULT_FRAME_LIMITS } from '../../common/frame-limits.js';
import { defaultParams, type TrackerSpec } from '../../broker/tracker/registry.js';
import { detectionsPerFrame, trackMot } from '../../broker/tracker/mot-track.js';
import { parseMot } from '../../common/mot/format.js';
import type { Detection__Output } from '../../common/gen/vsp/v1/Detection.js';
import { ManualProcessor, MemorySink, TOPICS, edgeFrameRecord, frameRecord, quietLog, rawRecord, referencedFrameRecord, settle } from './broker-fakes.js';
import { readFixture, rng } from './tracker-helpers.js';

const SORT: TrackerSpec = { kind: 'sort', params: defaultParams('sort') };

/** Detections of TUD-Campus, by frame (seq), as a processor would answer them. */
const campusRows = parseMot(readFixture('det/TUD-Campus.txt'));
const campus = detectionsPerFrame(campusRows);
const detect = (_camera: string, seq: number): Detection__Output[] =>
  (campus[seq - 1] ?? []).map((d) => ({ x1: d.x1, y1: d.y1, x2: d.x2, y2: d.y2, score: d.score, classId: 0, label: 'person' }));

function pipeline(o: { window: number; batch: number; processor: ManualProcessor; onRoom?: () => void }) {
  const sink = new MemorySink();
  const tracking = new CameraTracking({ spec: SORT, source: { topic: TOPICS.frames, partition: 3 } });
  const p = new PartitionPipeline({ partition: 3, topics: TOPICS, window: o.window, batch: o.batch, limits: DEFAULT_FRAME_LIMITS, processor: o.processor, tracking, sink, onRoom: o.onRoom, log: quietLog });
  return { p, sink, tracking };
}

/** The offline tracker's rows for frames 1..n of TUD-Campus, as `frame,id,x,y,w,h` with boxes to 2 decimals. */
function offlineRows(rows = campusRows): string[] {
  return trackMot(rows).lines.map((l) => l.split(',').slice(0, 6).map((v, i) => (i < 2 ? v : Number(v).toFixed(2))).join(','));
}

function pipelineRows(sink: MemorySink): string[] {
  return sink.tracked().flatMap((f) => f.tracks.map((t) => [f.seq, t.trackId, t.x1, t.y1, t.x2 - t.x1, t.y2 - t.y1].map((v, i) => (i < 2 ? String(v) : v.toFixed(2))).join(',')));
}

describe('PartitionPipeline', () => {
  it('releases in offset order whatever order the calls complete in; tracking equals the offline tracker', async () => {
    for (const [seed, window, batch] of [[1, 8, 3], [2, 32, 1], [3, 5, 5], [4, 1, 1]] as const) {
      const processor = new ManualProcessor(detect);
      const { p, sink } = pipeline({ window, batch, processor });
      const random = rng(seed);
      let offset = 0;
      while (offset < campus.length) {
        while (!p.full && offset < campus.length) {
          p.admit(frameRecord(offset, 'cam', offset + 1));
          offset++;
        }
        p.dispatch();
        processor.answerAll((n) => Math.floor(random() * n));
        await settle();
      }
      assert.equal(p.size, 0);
      assert.deepEqual(sink.offsets, campus.map((_, i) => String(i)), `seed ${seed}: one output per offset, in order`);
      assert.deepEqual(sink.tracked().map((f) => f.seq), campus.map((_, i) => i + 1));
      assert.deepEqual(pipelineRows(sink), offlineRows());
    }
  });

  it('admits nothing while the sink is backlogged, and has room again (once) when the sink says so', async () => {
    let rooms = 0;
    const processor = new ManualProcessor(detect);
    const { p, sink } = pipeline({ window: 8, batch: 1, processor, onRoom: () => rooms++ });
    p.admit(frameRecord(0, 'cam', 1));
    p.admit(frameRecord(1, 'cam', 2));
    p.dispatch();
    sink.backlogged = true;
    assert.equal(p.full, true, 'two of eight slots used, but Kafka holds the outputs up');
    processor.answerAll((n) => n - 1);
    await settle();
    assert.deepEqual(sink.offsets, ['0', '1'], 'frames in flight are still released');
    assert.equal(rooms, 0, 'releasing them makes no room while the sink is backlogged');
    assert.equal(await p.waitForRoom(30, async () => {}), false);
    const waiting = p.waitForRoom(5000, async () => {});
    sink.backlogged = false;
    p.sinkHasRoom();
    assert.equal(await waiting, true);
    assert.equal(rooms, 1);
    assert.equal(p.full, false);
  });

  it('gives malformed records a dead letter in their slot, keeping the offsets contiguous', async () => {
    const processor = new ManualProcessor(detect);
    const { p, sink } = pipeline({ window: 16, batch: 2, processor });
    p.admit(frameRecord(0, 'cam', 1));
    p.admit(rawRecord(1, null));
    p.admit(rawRecord(2, Buffer.from([0xff, 0x13, 0x37])));
    p.admit(frameRecord(3, 'cam', 2));
    p.admit(frameRecord(4, 'cam', 0));
    p.admit(frameRecord(5, '', 3));
    p.admit(frameRecord(6, 'cam', 3));
    p.admit(frameRecord(7, 'cam', 3)); // a duplicate seq: refused by tracking, after the processor
    p.dispatch();
    assert.deepEqual(sink.offsets, [], 'nothing overtakes frame 0 while it is in flight');
    processor.answerAll((n) => n - 1);
    await settle();
    assert.deepEqual(sink.offsets, ['0', '1', '2', '3', '4', '5', '6', '7']);
    assert.deepEqual(sink.records.map((r) => r.topic), [TOPICS.tracks, TOPICS.deadLetter, TOPICS.deadLetter, TOPICS.tracks, TOPICS.deadLetter, TOPICS.deadLetter, TOPICS.tracks, TOPICS.deadLetter]);
    const dead = sink.deadLetters();
    assert.deepEqual(dead.map((d) => [d.topic, d.partition, d.offset, d.component]), [1, 2, 4, 5, 7].map((o) => [TOPICS.frames, 3, o, 'broker']));
    assert.equal(dead[0]!.reason, 'empty record value');
    assert.match(dead[1]!.reason, /^not a vsp\.v1\.Frame: /);
    assert.equal(dead[2]!.reason, 'frame seq 0 is not a positive integer below 2^53');
    assert.equal(dead[3]!.reason, 'frame has no camera_id');
    assert.match(dead[4]!.reason, /seq 3 of camera cam is not after the last tracked seq 3/);
    assert.deepEqual(Buffer.from(dead[1]!.value), Buffer.from([0xff, 0x13, 0x37]), 'the original bytes are kept');
  });

  it('drops calls in flight when the partition is revoked: nothing reaches the sink afterwards', async () => {
    const processor = new ManualProcessor(detect);
    const { p, sink } = pipeline({ window: 8, batch: 2, processor });
    for (let i = 0; i < 6; i++) p.admit(frameRecord(i, 'cam', i + 1));
    p.dispatch();
    processor.calls[0]!.answer();
    await settle();
    assert.deepEqual(sink.offsets, ['0', '1']);
    p.revoke();
    assert.equal(p.size, 0);
    processor.answerAll();
    await settle();
    assert.deepEqual(sink.offsets, ['0', '1'], 'late answers are ignored');
    await p.drained();
  });

  it('skip: a failed call marks its frames PROCESSOR_FAILED in order and the tracker predicts through them', async () => {
    const processor = new ManualProcessor(detect);
    const { p, sink } = pipeline({ window: 8, batch: 1, processor });
    for (let i = 0; i < 6; i++) p.admit(frameRecord(i, 'cam', i + 1));
    p.dispatch();
    const calls = processor.calls.splice(0);
    calls.forEach((c, i) => (i === 4 ? c.answer({ ok: false, error: 'no processor answered after 3 retries', ms: 5 }) : c.answer()));
    await settle();
    const frames = sink.tracked();
    assert.deepEqual(frames.map((f) => f.status), ['OK', 'OK', 'OK', 'OK', 'PROCESSOR_FAILED', 'OK']);
    assert.equal(frames[4]!.error, 'no processor answered after 3 retries');
    assert.deepEqual(frames[4]!.detections, []);
    // Exactly what the offline tracker gives when frame 5 has no detections.
    assert.deepEqual(pipelineRows(sink), offlineRows(campusRows.filter((r) => r.frame <= 6 && r.frame !== 5)));
    assert.ok(frames[3]!.tracks.length > 0);
  });

  it('block: while the processors do not answer the window stays full; when they do, all is released in order', async () => {
    const processor = new ManualProcessor(detect);
    let rooms = 0;
    const { p, sink } = pipeline({ window: 4, batch: 2, processor, onRoom: () => rooms++ });
    for (let i = 0; i < 4; i++) p.admit(frameRecord(i, 'cam', i + 1));
    p.dispatch();
    assert.equal(p.full, true);
    assert.throws(() => p.admit(frameRecord(4, 'cam', 5)), /full/);
    let beats = 0;
    assert.equal(await p.waitForRoom(30, async () => void beats++), false, 'no room while the processors are down');
    assert.deepEqual(sink.offsets, []);
    const waiting = p.waitForRoom(5000, async () => {});
    processor.calls[1]!.answer(); // the later call first: still nothing can be released
    await settle();
    assert.deepEqual(sink.offsets, []);
    processor.calls[0]!.answer();
    assert.equal(await waiting, true);
    assert.deepEqual(sink.offsets, ['0', '1', '2', '3']);
    assert.ok(rooms >= 1, 'the owner is told it may resume the partition');
    assert.deepEqual(sink.tracked().map((f) => f.status), ['OK', 'OK', 'OK', 'OK']);
  });

  it('matches results to frames by camera and seq: a missing one marks its frame, extra ones are ignored', async () => {
    const processor = new ManualProcessor(detect);
    const { p, sink } = pipeline({ window: 8, batch: 3, processor });
    for (let i = 0; i < 3; i++) p.admit(frameRecord(i, 'cam', i + 1));
    p.dispatch();
    const boxes = detect('cam', 1);
    const result = (seq: number, camera = 'cam') => ({ cameraId: camera, seq, detections: boxes, error: '', processMs: 1 });
    // Out of order, seq 2 missing, one for a frame that was never sent, one for another camera.
    processor.calls[0]!.answer({ ok: true, results: [result(3), result(99), result(1), result(2, 'other')], processor: 'p', ms: 1 });
    await settle();
    const frames = sink.tracked();
    assert.deepEqual(frames.map((f) => [f.seq, f.status, f.error]), [
      [1, 'OK', ''],
      [2, 'FRAME_REJECTED', 'the processor returned no result for this frame'],
      [3, 'OK', ''],
    ]);
    assert.equal(frames[0]!.detections.length, boxes.length);
  });
});

// Edge frames (issue #17): detections attached by the producer, tracked without a processor call.
describe('PartitionPipeline: edge frames and referenced frames', () => {
  it('mixed topic: edge frames skip the processor, every frame is released in offset order, tracks equal the offline tracker', async () => {
    for (const [seed, window, batch] of [[5, 8, 3], [6, 1, 1], [7, 32, 4]] as const) {
      const processor = new ManualProcessor(detect);
      const { p, sink } = pipeline({ window, batch, processor });
      const random = rng(seed);
      const isEdge = (offset: number) => offset % 3 !== 0;
      let offset = 0;
      let sent = 0;
      while (offset < campus.length) {
        while (!p.full && offset < campus.length) {
          p.admit(isEdge(offset) ? edgeFrameRecord(offset, 'cam', offset + 1, detect('cam', offset + 1)) : frameRecord(offset, 'cam', offset + 1));
          offset++;
        }
        p.dispatch();
        sent += processor.calls.reduce((n, c) => n + c.frames.length, 0);
        processor.answerAll((n) => Math.floor(random() * n));
        await settle();
      }
      assert.equal(sent, campus.filter((_, i) => !isEdge(i)).length, `seed ${seed}: only central frames reach the processor`);
      assert.deepEqual(sink.offsets, campus.map((_, i) => String(i)));
      const frames = sink.tracked();
      assert.ok(frames.every((f) => f.status === 'OK'));
      assert.deepEqual(frames.map((f) => f.processor), campus.map((_, i) => (isEdge(i) ? 'edge:fake' : 'manual')));
      assert.deepEqual(pipelineRows(sink), offlineRows());
    }
  });

  it('an edge frame behind an unanswered central frame waits for it (order), then both are released', async () => {
    const processor = new ManualProcessor(detect);
    const { p, sink } = pipeline({ window: 8, batch: 1, processor });
    p.admit(frameRecord(0, 'cam', 1));
    p.dispatch();
    p.admit(edgeFrameRecord(1, 'cam', 2, detect('cam', 2)));
    p.admit(edgeFrameRecord(2, 'cam', 3, detect('cam', 3)));
    await settle();
    assert.deepEqual(sink.offsets, []);
    assert.equal(p.size, 3);
    processor.answerAll();
    await settle();
    assert.deepEqual(sink.offsets, ['0', '1', '2']);
    assert.equal(p.size, 0);
  });

  it('edge-only frames give the same tracks and tracker snapshot as the central pipeline with the same detections', async () => {
    const centralProcessor = new ManualProcessor(detect);
    const central = pipeline({ window: 16, batch: 4, processor: centralProcessor });
    const edge = pipeline({ window: 16, batch: 4, processor: new ManualProcessor(() => assert.fail('no processor call for edge frames')) });
    for (let offset = 0; offset < campus.length; offset++) {
      central.p.admit(frameRecord(offset, 'cam', offset + 1));
      central.p.dispatch();
      centralProcessor.answerAll();
      edge.p.admit(edgeFrameRecord(offset, 'cam', offset + 1, detect('cam', offset + 1)));
      await settle();
    }
    assert.deepEqual(edge.sink.offsets, central.sink.offsets);
    assert.deepEqual(pipelineRows(edge.sink), pipelineRows(central.sink));
    assert.deepEqual(edge.tracking.snapshot(), central.tracking.snapshot());
  });

  it('a referenced frame (image in a frame store) goes to the processor as it came: the broker never fetches pixels', async () => {
    const processor = new ManualProcessor(detect);
    const { p, sink } = pipeline({ window: 4, batch: 2, processor });
    p.admit(referencedFrameRecord(0, 'cam', 1));
    p.admit(frameRecord(1, 'cam', 2));
    p.dispatch();
    assert.deepEqual(processor.calls.map((c) => c.frames.map((f) => f.seq)), [[1, 2]]);
    processor.answerAll();
    await settle();
    assert.deepEqual(sink.tracked().map((f) => [f.seq, f.status, f.width]), [[1, 'OK', 1920], [2, 'OK', 640]]);
  });
});
