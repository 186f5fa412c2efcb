// Hostile input against a running pipeline (real Kafka, a real broker process, a gRPC processor
// answering as a buggy or malicious one would, a real consumer): between the good frames of two
// cameras, records and answers that once could stop the pipeline. The same broker process must
// survive them all, the good cameras must be tracked completely and in order, and every record
// must come out as a tracked frame (marked where it was bad) or a dead letter with its reason.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import sharp from 'sharp';
import { startTestKafka, type TestKafka } from '../helpers/kafka.js';
import { stopAll, vspRun } from '../helpers/processes.js';
import { readTopic, startBroker, waitForGroupDone, waitForStderr } from '../helpers/pipeline.js';
import { createKafka } from '../../common/kafka/client.js';
import { kafkaConnection } from '../../common/kafka/connection.js';
import { topicNames, type Topics } from '../../common/kafka/topics.js';
import type { KafkaRecord } from '../../common/kafka/types.js';
import { bindServer, createServer } from '../../common/grpc.js';
import { DeadLetterCodec, FrameCodec, TrackedFrameCodec, loadProcessorPackage } from '../../common/proto.js';
import type { Frame } from '../../common/gen/vsp/v1/Frame.js';
import type { FrameResult } from '../../common/gen/vsp/v1/FrameResult.js';
import type { DeadLetter__Output } from '../../common/gen/vsp/v1/DeadLetter.js';
import type { TrackedFrame__Output } from '../../common/gen/vsp/v1/TrackedFrame.js';
import type { ProcessRequest__Output } from '../../common/gen/vsp/v1/ProcessRequest.js';
import type { ProcessResponse } from '../../common/gen/vsp/v1/ProcessResponse.js';
import { invalidFrame } from '../../processor/server.js';
import { snapshotKey } from '../../broker/state-store.js';
import { snapshotRecords } from '../../broker/snapshot-codec.js';

const GROUP = 'hostile';
const GOOD = ['good-a', 'good-b'];
const FLOOD = 30_000;

/** The good cameras' one object: a box walking right two pixels a frame. */
const goodBox = (seq: number) => ({ x1: 100 + 2 * (seq % 1000), y1: 100, x2: 150 + 2 * (seq % 1000), y2: 200, score: 0.9, classId: 0, label: 'person' });

/**
 * A processor as a buggy or malicious one answers: our own request validation and a real decode
 * for every frame, then, by camera, too many detections, NaN or inverted boxes, an error, no
 * result, a result for a frame never sent, a stall.
 */
async function startHostileProcessor(): Promise<{ address: string; close: () => void }> {
  const server = createServer();
  new HealthImplementation({ '': 'SERVING', 'vsp.v1.Processor': 'SERVING' }).addToServer(server);
  const answer = async (frame: ProcessRequest__Output['frames'][number]): Promise<FrameResult[]> => {
    const base = { cameraId: frame.cameraId, seq: frame.seq, detections: [goodBox(frame.seq)], error: '', processMs: 1 };
    const problem = await invalidFrame(frame);
    if (problem) return [{ ...base, detections: [], error: problem }];
    try {
      await sharp(frame.image, { limitInputPixels: 40_000_000 }).raw().toBuffer();
    } catch (err) {
      return [{ ...base, detections: [], error: `undecodable image: ${(err as Error).message}` }];
    }
    switch (frame.cameraId) {
      case 'ans-many':
        return [{ ...base, detections: Array.from({ length: 300_000 }, (_, i) => ({ ...goodBox(1), x1: i % 500 })) }];
      case 'ans-nan':
        return [{ ...base, detections: [{ ...goodBox(1), x1: Number.NaN }, { ...goodBox(1), x2: Number.POSITIVE_INFINITY }, goodBox(1)] }];
      case 'ans-inverted':
        return [{ ...base, detections: [{ ...goodBox(1), x1: 300, x2: 200 }] }];
      case 'ans-error':
        return [{ ...base, detections: [], error: 'model exploded' }];
      case 'ans-noresult':
        return [];
      case 'ans-extra':
        return [{ ...base, cameraId: 'ghost', seq: 12345 }, base];
      case 'ans-stall':
        await new Promise((r) => setTimeout(r, 2000));
        return [base];
      case 'ans-formula':
        return [{ ...base, detections: [{ ...goodBox(frame.seq), label: '=HYPERLINK("http://evil.example")' }] }];
      default:
        return [base];
    }
  };
  server.addService(loadProcessorPackage().vsp.v1.Processor.service, {
    Describe: (_call: unknown, callback: grpc.sendUnaryData<object>) => callback(null, { name: 'hostile' }),
    Process: (call: grpc.ServerUnaryCall<ProcessRequest__Output, ProcessResponse>, callback: grpc.sendUnaryData<ProcessResponse>) => {
      void Promise.all(call.request.frames.map(answer)).then((results) => callback(null, { results: results.flat() }));
    },
  });
  const port = await bindServer(server, '127.0.0.1', 0);
  return { address: `127.0.0.1:${port}`, close: () => server.forceShutdown() };
}

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
}

describe('hostile input (real Kafka, broker, consumer)', function () {
  // 30,000 frames and a restart on a 2-core machine shared with the rest of the suite.
  this.timeout(600_000);
  let kafka: TestKafka;
  const work = mkdtempSync(path.join(os.tmpdir(), 'vsp-hostile-'));

  before(async () => {
    kafka = await startTestKafka();
  });
  after(async () => {
    await stopAll();
    await kafka?.stop();
  });

  it('survives every hostile record and answer, losing and mis-ordering nothing', async () => {
    const prefix = await kafka.topics(1);
    const topics: Topics = topicNames(prefix);
    const common = ['--brokers', kafka.bootstrap, '--prefix', prefix];
    const client = createKafka(kafkaConnection(kafka.bootstrap, 'vsp-test'));
    const producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const processor = await startHostileProcessor();

    const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 90, g: 120, b: 150 } } }).jpeg().toBuffer();
    const frame = (cameraId: string, seq: number, over: Partial<Frame> = {}): Buffer =>
      Buffer.from(FrameCodec.encode({ cameraId, seq, width: 64, height: 48, encoding: 'JPEG', image: jpeg, captureTime: { seconds: Math.floor(Date.now() / 1000), nanos: 0 }, ...over }));
    const bomb = await sharp({ create: { width: 10_000, height: 5_000, channels: 3, background: { r: 0, g: 0, b: 0 } } }).png({ compressionLevel: 9 }).toBuffer();
    const attributes = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`a${i}`, 'x']));
    const longId = 'c'.repeat(5000);

    /** What each hostile record must come out as. */
    type Expect = { dead: RegExp } | { status: 'OK' | 'FRAME_REJECTED'; error: RegExp; camera: string };
    const records: { record: KafkaRecord; expect?: Expect }[] = [];
    const add = (key: string | null, value: Buffer, expect?: Expect) => records.push({ record: { key, value }, expect });
    const hostile: Array<() => void> = [
      () => add('x', Buffer.from([0xff, 0x13, 0x37, 0x00, 0x42]), { dead: /^not a vsp\.v1\.Frame/ }),
      () => add('x', Buffer.alloc(0), { dead: /^empty record value$/ }),
      () => add('h-seq0', frame('h-seq0', 0), { dead: /seq 0 is not a positive integer/ }),
      () => add('h-seq64', frame('h-seq64', 18446744073709549568), { dead: /is not a positive integer below 2\^53/ }),
      () => add('', frame('', 1), { dead: /^frame has no camera_id$/ }),
      () => add(longId, frame(longId, 1), { dead: /camera id "c{64}"… \(5000 characters\) is not 1-128/ }),
      () => add('../../../../tmp/evil', frame('../../../../tmp/evil', 1), { dead: /camera id "\.\.\/\.\.\/\.\.\/\.\.\/tmp\/evil" is not/ }),
      () => add('someone-else', frame('h-key', 1), { dead: /record key "someone-else" is not the camera id h-key/ }),
      () => add('h-huge', frame('h-huge', 1, { width: 100_000, height: 100_000 }), { dead: /declared size 100000x100000 is above the limit/ }),
      () => add('h-bomb', frame('h-bomb', 1, { encoding: 'PNG', image: bomb, width: 100, height: 100 }), { status: 'FRAME_REJECTED', error: /above the limit|pixel limit/i, camera: 'h-bomb' }),
      () => add('h-rgb', frame('h-rgb', 1, { encoding: 'RGB24', image: Buffer.alloc(100) }), { dead: /RGB24 frame: 100 bytes for 64x48/ }),
      () => add('h-svg', frame('h-svg', 1, { image: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="99999" height="99999"/>') }), { dead: /image bytes are not JPEG/ }),
      () => add('h-trunc', frame('h-trunc', 1, { image: jpeg.subarray(0, Math.floor(jpeg.length / 2)) }), { status: 'FRAME_REJECTED', error: /undecodable image|unreadable/, camera: 'h-trunc' }),
      () => add('h-enc', frame('h-enc', 1, { encoding: 9 as unknown as Frame['encoding'] }), { dead: /unknown image encoding 9/ }),
      () => add('h-attr', frame('h-attr', 1, { attributes }), { dead: /20000 attributes, above the limit of 64/ }),
      () => add('ans-many', frame('ans-many', 1), { status: 'FRAME_REJECTED', error: /^300000 detections, above the limit of 1000$/, camera: 'ans-many' }),
      () => add('ans-nan', frame('ans-nan', 1), { status: 'OK', error: /detection 0: x1 is not a finite number.*detection 1: x2 is not a finite number/, camera: 'ans-nan' }),
      () => add('ans-inverted', frame('ans-inverted', 1), { status: 'OK', error: /detection 0: width x2 - x1 is not positive/, camera: 'ans-inverted' }),
      () => add('ans-error', frame('ans-error', 1), { status: 'FRAME_REJECTED', error: /^model exploded$/, camera: 'ans-error' }),
      () => add('ans-noresult', frame('ans-noresult', 1), { status: 'FRAME_REJECTED', error: /no result for this frame/, camera: 'ans-noresult' }),
      () => add('ans-extra', frame('ans-extra', 1), { status: 'OK', error: /^$/, camera: 'ans-extra' }),
      () => add('ans-stall', frame('ans-stall', 1), { status: 'OK', error: /^$/, camera: 'ans-stall' }),
      () => add('ans-formula', frame('ans-formula', 1), { status: 'OK', error: /^$/, camera: 'ans-formula' }),
      () => add('good-a', frame('good-a', 5), { dead: /seq 5 of camera good-a is not after the last tracked seq/ }), // a replayed frame
    ];
    // A camera whose seq jumps by a billion: tracked on, with a fresh tracker and no stall.
    const jumps = [1, 2, 3, 1_000_000_003, 1_000_000_004];

    const GOOD_FRAMES = 60;
    for (let seq = 1; seq <= GOOD_FRAMES; seq++) {
      for (const cam of GOOD) add(cam, frame(cam, seq));
      hostile[seq - 1]?.();
      if (seq <= jumps.length) add('h-jump', frame('h-jump', jumps[seq - 1]!), { status: 'OK', error: /^$/, camera: 'h-jump' });
      if (seq === 40) for (let i = 0; i < FLOOD; i++) add(`flood-${i}`, frame(`flood-${i}`, 1));
    }

    const broker = await startBroker([...common, '--processor', processor.address, '--group', GROUP, '--window', '32', '--batch', '4', '--exactly-once', '--max-cameras', '1000']);
    let peakRss = 0;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMb(broker.child.pid!))), 200);
    try {
      for (let i = 0; i < records.length; i += 500) {
        await producer.send({ topic: topics.frames, acks: -1, messages: records.slice(i, i + 500).map((r) => r.record) });
      }
      await waitForGroupDone(kafka.bootstrap, prefix, GROUP, 300_000);
    } finally {
      clearInterval(sampler);
    }
    assert.equal(broker.child.exitCode, null, `the broker is alive: ${broker.stderr().slice(-2000)}`);
    // + the seq jump, the flood and the forged snapshot here; a forged and an undecodable tracked frame for the consumer below.
    console.log(`      ${hostile.length + 5} hostile cases, ${records.length} records; broker peak RSS during the ${FLOOD}-camera flood: ${peakRss.toFixed(0)} MB`);
    assert.ok(peakRss < 700, `broker memory stays bounded (peak ${peakRss.toFixed(0)} MB)`);

    // One output per input offset: a tracked frame or a dead letter, each exactly once.
    const deadCount = records.filter((r) => r.expect && 'dead' in r.expect).length;
    const deadLetters = (await readTopic(client, topics.deadLetter, deadCount)).map((r) => DeadLetterCodec.decode(r.value));
    const tracked = (await readTopic(client, topics.tracks, records.length - deadCount)).map((r) => TrackedFrameCodec.decode(r.value));
    const byOffset = new Map<number, { dead?: DeadLetter__Output; tracked?: TrackedFrame__Output }>();
    for (const d of deadLetters) {
      assert.equal(byOffset.has(d.offset), false, `offset ${d.offset} twice`);
      byOffset.set(d.offset, { dead: d });
    }
    for (const t of tracked) {
      assert.equal(byOffset.has(t.source!.offset), false, `offset ${t.source!.offset} twice`);
      byOffset.set(t.source!.offset, { tracked: t });
    }
    assert.equal(byOffset.size, records.length, 'every record accounted for');
    records.forEach((r, offset) => {
      const out = byOffset.get(offset)!;
      const e = r.expect;
      if (e && 'dead' in e) {
        assert.ok(out.dead, `offset ${offset} (key ${String(r.record.key).slice(0, 40)}) is a dead letter`);
        assert.match(out.dead.reason, e.dead);
        assert.deepEqual(Buffer.from(out.dead.value), r.record.value, 'the original bytes are kept');
      } else if (e) {
        assert.ok(out.tracked, `offset ${offset} (${e.camera}) is tracked`);
        assert.deepEqual([out.tracked.cameraId, out.tracked.status], [e.camera, e.status]);
        assert.match(out.tracked.error, e.error);
      } else {
        assert.ok(out.tracked && out.tracked.status === 'OK', `offset ${offset} (${String(r.record.key)}) tracked OK`);
      }
    });
    // The good cameras: every frame, in order, one track followed throughout.
    for (const cam of GOOD) {
      const frames = tracked.filter((t) => t.cameraId === cam);
      assert.deepEqual(frames.map((f) => f.seq), Array.from({ length: GOOD_FRAMES }, (_, i) => i + 1), `${cam}: all frames in order`);
      assert.deepEqual(frames.slice(3).map((f) => f.tracks.map((t) => t.trackId)), frames.slice(3).map(() => [1]), `${cam}: one track, id 1`);
    }
    assert.match(broker.stderr(), /seq jumped past --max-seq-gap: tracker restarted/);
    const jump = tracked.filter((t) => t.cameraId === 'h-jump').map((t) => t.seq);
    assert.deepEqual(jump, jumps);

    // The consumer, fed forged tracked frames too: file names stay inside the report folder.
    const reports = path.join(work, 'reports');
    const forged = { cameraId: '../../outside', seq: 1, tracks: [{ trackId: 1, ...goodBox(1) }], detections: [], status: 'OK' as const, error: '', processor: 'x', width: 64, height: 48 };
    await producer.send({ topic: topics.tracks, acks: -1, messages: [{ key: 'x', value: Buffer.from(TrackedFrameCodec.encode(forged)) }, { key: 'x', value: Buffer.from([0xde, 0xad]) }] });
    const consumer = await vspRun(['consumer', ...common, '--camera', '../../outside', '--report', `mot:${reports}/{camera}.txt`, '--exit-when-idle', '3']);
    assert.equal(consumer.code, 0, consumer.stderr);
    const summary = await vspRun(['consumer', ...common, '--camera', 'ans-formula', '--report', `csv:${reports}/summary.csv`, '--exit-when-idle', '3']);
    assert.equal(summary.code, 0, summary.stderr);
    assert.deepEqual(readdirSync(work).sort(), ['reports']);
    assert.deepEqual(readdirSync(reports).sort(), ['.._.._outside.txt', 'summary.csv']);
    assert.match(readFileSync(path.join(reports, 'summary.csv'), 'utf8'), /,"'=HYPERLINK\(""http:\/\/evil\.example""\)",/);
    const consumerDead = (await readTopic(client, topics.deadLetter, deadCount + 2)).map((r) => DeadLetterCodec.decode(r.value)).filter((d) => d.component === 'consumer');
    assert.ok(consumerDead.length >= 1 && consumerDead.every((d) => /not a vsp\.v1\.TrackedFrame/.test(d.reason)));

    // A forged snapshot claiming far more than the partition holds, for a group that continues
    // from the end of what was processed: it is refused, fresh trackers start, nothing is skipped.
    const endBefore = records.length;
    assert.equal(await broker.stop('SIGTERM'), 0, broker.stderr().slice(-2000));
    const admin = client.admin();
    await admin.connect();
    await admin.setOffsets({ groupId: `${GROUP}-next`, topic: topics.frames, partitions: [{ partition: 0, offset: String(endBefore) }] });
    await admin.disconnect();
    await producer.send({ topic: topics.trackerState, acks: -1, messages: snapshotRecords(snapshotKey(`${GROUP}-next`, topics.frames, 0), { version: 2, nextOffset: '999999999', cameras: {} }, 0) });
    const successor = await startBroker([...common, '--processor', processor.address, '--group', `${GROUP}-next`, '--exactly-once', '--drain-timeout', '3']);
    const more = Array.from({ length: 20 }, (_, i) => ({ key: 'good-a', value: frame('good-a', GOOD_FRAMES + 1 + i) }));
    await producer.send({ topic: topics.frames, acks: -1, messages: more });
    await waitForGroupDone(kafka.bootstrap, prefix, `${GROUP}-next`, 120_000);
    await waitForStderr(successor, /ignoring an invalid tracker snapshot/);
    assert.match(successor.stderr(), /"problem":"its nextOffset 999999999 is past the end of the partition/);
    const after = (await readTopic(client, topics.tracks, records.length - deadCount + 2 + more.length)).filter((r) => r.value.length > 2).map((r) => TrackedFrameCodec.decode(r.value));
    const lateA = after.filter((t) => t.cameraId === 'good-a' && t.source!.offset >= endBefore).map((t) => t.seq);
    assert.deepEqual(lateA, more.map((_, i) => GOOD_FRAMES + 1 + i), 'no frame skipped after the forged snapshot');

    // SIGTERM with Kafka gone: the broker still exits, within --drain-timeout and its grace.
    await kafka.down();
    const t0 = performance.now();
    await successor.stop('SIGTERM');
    const exitS = (performance.now() - t0) / 1000;
    console.log(`      SIGTERM with Kafka stopped: the broker exited in ${exitS.toFixed(1)} s (--drain-timeout 3)`);
    assert.ok(exitS < 15, `exited in ${exitS.toFixed(1)} s`);
    await kafka.up();
    processor.close();
    await producer.disconnect();
    assert.equal(existsSync('/tmp/evil'), false);
  });
});
