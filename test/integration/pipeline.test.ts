// The whole chain on real components: producer → Kafka → broker → gRPC processor → tracker →
// Kafka → consumer, each a real `vsp` process.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestKafka, type TestKafka } from '../helpers/kafka.js';
import { stopAll, vsp, vspRun } from '../helpers/processes.js';
import { sceneAt } from '../../common/synthetic/scene.js';
import { DeadLetterCodec } from '../../common/proto.js';
import { topicNames } from '../../common/kafka/topics.js';
import type { TrackedFrame__Output } from '../../common/gen/vsp/v1/TrackedFrame.js';
import { iou } from '../../common/boxes.js';
import { createKafka } from '../../common/kafka/client.js';
import { kafkaConnection } from '../../common/kafka/connection.js';

const CAMERAS = ['cam-a', 'cam-b', 'cam-c'];
const FRAMES = 100;
const SIZE = { width: 320, height: 240 };

describe('pipeline end to end (real Kafka, real gRPC processor)', function () {
  let kafka: TestKafka;
  const work = mkdtempSync(path.join(os.tmpdir(), 'vsp-pipeline-'));

  before(async () => {
    kafka = await startTestKafka();
  });
  after(async () => {
    await stopAll();
    await kafka?.stop();
  });

  it('delivers every frame exactly once, in order, with the rendered boxes and stable track ids', async () => {
    const prefix = await kafka.topics(3);
    const common = ['--brokers', kafka.bootstrap, '--prefix', prefix];
    const processor = vsp(['processor', '--impl', 'synthetic', '--port', '0']);
    const address = (await processor.waitForStdout(/^127\.0\.0\.1:\d+$/)).trim();
    const broker = vsp(['broker', ...common, '--processor', address, '--window', '16', '--batch', '4']);

    const producers = CAMERAS.map((camera, i) =>
      vspRun(['producer', ...common, '--camera', camera, '--source', `synthetic:${SIZE.width}x${SIZE.height}`, '--seed', String(i + 1),
        '--frames', String(FRAMES), '--state-dir', path.join(work, 'state')]),
    );
    for (const p of await Promise.all(producers)) assert.equal(p.code, 0, p.stderr);

    const report = path.join(work, 'tracks.jsonl');
    const consumer = await vspRun(['consumer', ...common, '--report', `jsonl:${report}`, '--exit-when-idle', '4']);
    assert.equal(consumer.code, 0, consumer.stderr);
    await broker.stop();
    await processor.stop();

    const frames = readFileSync(report, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as TrackedFrame__Output);
    for (const [i, camera] of CAMERAS.entries()) {
      const mine = frames.filter((f) => f.cameraId === camera);
      assert.deepEqual(mine.map((f) => f.seq), Array.from({ length: FRAMES }, (_, k) => k + 1), `${camera}: every seq once, in order`);
      const idByObject = new Map<number, number>();
      for (const f of mine) {
        assert.equal(f.status, 'OK');
        const truth = sceneAt({ ...SIZE, seed: i + 1 }, f.seq);
        assert.equal(f.detections.length, truth.length, `${camera} seq ${f.seq}: one detection per rectangle`);
        for (const obj of truth) {
          const best = Math.max(...f.detections.map((d) => iou(d, obj)));
          assert.ok(best >= 0.9, `${camera} seq ${f.seq}: object ${obj.id} found with IoU ${best}`);
        }
        // From the third frame on (min_hits = 3), every rectangle has a track; its id never changes.
        if (f.seq >= 3) {
          assert.equal(f.tracks.length, truth.length, `${camera} seq ${f.seq}: one track per rectangle`);
          for (const obj of truth) {
            const track = f.tracks.reduce((a, b) => (iou(a, obj) >= iou(b, obj) ? a : b));
            assert.ok(iou(track, obj) >= 0.8, `${camera} seq ${f.seq}: track follows object ${obj.id}`);
            const known = idByObject.get(obj.id) ?? track.trackId;
            assert.equal(track.trackId, known, `${camera} seq ${f.seq}: object ${obj.id} keeps its track id`);
            idByObject.set(obj.id, track.trackId);
          }
        }
      }
      assert.equal(new Set(idByObject.values()).size, idByObject.size, `${camera}: distinct ids for distinct objects`);
    }
  });

  it('sends a malformed frame to the dead-letter topic with a reason and keeps going', async () => {
    const prefix = await kafka.topics(1);
    const common = ['--brokers', kafka.bootstrap, '--prefix', prefix];
    const topics = topicNames(prefix);
    const processor = vsp(['processor', '--impl', 'synthetic', '--port', '0']);
    const address = (await processor.waitForStdout(/^127\.0\.0\.1:\d+$/)).trim();
    const client = createKafka(kafkaConnection(kafka.bootstrap, 'vsp-test'));
    const producer = client.producer();
    await producer.connect();
    const garbage = Buffer.from([0xff, 0x13, 0x37, 0x00, 0x42, 0x99, 0x07, 0x07]);

    const first = await vspRun(['producer', ...common, '--camera', 'cam-x', '--source', 'synthetic:160x120', '--frames', '10', '--state-dir', path.join(work, 'dl')]);
    assert.equal(first.code, 0, first.stderr);
    await producer.send({ topic: topics.frames, messages: [{ key: 'cam-x', value: garbage }] });
    const second = await vspRun(['producer', ...common, '--camera', 'cam-x', '--source', 'synthetic:160x120', '--frames', '10', '--state-dir', path.join(work, 'dl')]);
    assert.equal(second.code, 0, second.stderr);
    await producer.disconnect();

    const broker = vsp(['broker', ...common, '--processor', address]);
    const report = path.join(work, 'dl.jsonl');
    const consumer = await vspRun(['consumer', ...common, '--report', `jsonl:${report}`, '--exit-when-idle', '4']);
    assert.equal(consumer.code, 0, consumer.stderr);
    await broker.stop();
    await processor.stop();

    const seqs = readFileSync(report, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as TrackedFrame__Output).seq);
    assert.deepEqual(seqs, Array.from({ length: 20 }, (_, k) => k + 1), 'all 20 good frames tracked, in order, around the bad one');

    const dlq = client.consumer({ groupId: `dlq-${Date.now()}` });
    await dlq.connect();
    await dlq.subscribe({ topic: topics.deadLetter, fromBeginning: true });
    const letters: Array<ReturnType<typeof DeadLetterCodec.decode>> = [];
    await new Promise<void>((resolve) => {
      void dlq.run({ eachMessage: async ({ message }) => {
        letters.push(DeadLetterCodec.decode(message.value!));
        resolve();
      } });
    });
    await dlq.disconnect();
    assert.equal(letters.length, 1);
    assert.equal(letters[0]!.topic, topics.frames);
    assert.equal(letters[0]!.offset, 10);
    assert.ok(Buffer.from(letters[0]!.value).equals(garbage), 'the original bytes are kept');
    assert.match(letters[0]!.reason, /not a vsp\.v1\.Frame/);
  });

  it('re-processes from a point in time under a new group (--from ISO time), and the consumer can start there too', async () => {
    const prefix = await kafka.topics(1);
    const common = ['--brokers', kafka.bootstrap, '--prefix', prefix];
    const processor = vsp(['processor', '--impl', 'synthetic', '--port', '0']);
    const address = (await processor.waitForStdout(/^127\.0\.0\.1:\d+$/)).trim();
    const state = path.join(work, 'from');
    const produce = async () => {
      const r = await vspRun(['producer', ...common, '--camera', 'cam-t', '--source', 'synthetic:160x120', '--frames', '10', '--state-dir', state]);
      assert.equal(r.code, 0, r.stderr);
    };
    await produce();
    await new Promise((r) => setTimeout(r, 1500));
    const middle = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 500));
    await produce();

    const seqsFrom = async (group: string, brokerFrom: string, consumerFrom: string) => {
      const broker = vsp(['broker', ...common, '--processor', address, '--group', group, '--from', brokerFrom]);
      const report = path.join(work, `${group}-${consumerFrom === 'earliest' ? 'all' : 'late'}.jsonl`);
      const r = await vspRun(['consumer', ...common, '--report', `jsonl:${report}`, '--from', consumerFrom, '--exit-when-idle', '4']);
      assert.equal(r.code, 0, r.stderr);
      await broker.stop();
      return readFileSync(report, 'utf8').trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as TrackedFrame__Output).seq);
    };
    const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
    assert.deepEqual(await seqsFrom('replay-all', 'earliest', 'earliest'), range(1, 20));
    // A new group from the middle processes only the second half (into the same tracks topic,
    // which now holds 1..20 and 11..20 again); a consumer from that time reads only the latter.
    assert.deepEqual(await seqsFrom('replay-late', middle, middle), [...range(11, 20), ...range(11, 20)]);
    await processor.stop();
  });
});
