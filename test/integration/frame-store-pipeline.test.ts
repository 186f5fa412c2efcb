// Issue #17 end to end, every component a real `vsp` process, with a real Kafka and a real
// redis-server: large frames through the frame store (references in Kafka), TTL expiry in a
// backlog, a Redis restart mid-run, and edge mode (detections from the producer, no processor).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { startTestKafka, type TestKafka } from '../helpers/kafka.js';
import { RedisServer } from '../helpers/redis.js';
import { stopAll, vsp, vspRun } from '../helpers/processes.js';
import { readTopic, startProcessor, waitForGroupDone } from '../helpers/pipeline.js';
import { createKafka } from '../../common/kafka/client.js';
import { kafkaConnection } from '../../common/kafka/connection.js';
import { topicNames } from '../../common/kafka/topics.js';
import { FrameCodec } from '../../common/proto.js';
import { EXPIRED_ERROR } from '../../common/frame-store.js';
import type { TrackedFrame__Output } from '../../common/gen/vsp/v1/TrackedFrame.js';
import { sceneAt } from '../../common/synthetic/scene.js';
import { iou } from '../../common/boxes.js';

const FIXTURES = path.resolve('test/fixtures/frames');

/** Every record's value of a topic, once `count` have arrived. */
async function topicValues(bootstrap: string, topic: string, count: number): Promise<Buffer[]> {
  return (await readTopic(createKafka(kafkaConnection(bootstrap, 'vsp-test')), topic, count, 30_000)).map((r) => r.value);
}

function readReport(file: string): TrackedFrame__Output[] {
  return readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as TrackedFrame__Output);
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => from + k);

describe('frame store and edge mode end to end (real Kafka, real redis-server)', function () {
  this.timeout(180_000);
  let kafka: TestKafka;
  let redis: RedisServer;
  const work = mkdtempSync(path.join(os.tmpdir(), 'vsp-frame-store-'));

  before(async () => {
    [kafka, redis] = await Promise.all([startTestKafka(), RedisServer.start()]);
  });
  after(async () => {
    await stopAll();
    await redis?.stop();
    await kafka?.stop();
  });

  it('1080p and 4K frames go through the store: records < 1 KB, the processor fetches the pixels, every frame tracked in order', async () => {
    const prefix = await kafka.topics(2);
    const common = ['--brokers', kafka.bootstrap, '--prefix', prefix];
    const store = ['--frame-store', redis.url];
    // The sample's frames upscaled with sharp: 8 at 1920x1080, 2 at 3840x2160.
    const dir = path.join(work, 'big');
    mkdirSync(dir);
    const sources = ['vtest-100.jpg', 'vtest-200.jpg', 'vtest-300.jpg', 'vtest-400.jpg'];
    for (let i = 0; i < 10; i++) {
      const [w, h] = i < 8 ? [1920, 1080] : [3840, 2160];
      const jpeg = await sharp(path.join(FIXTURES, sources[i % 4]!)).resize(w, h, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer();
      writeFileSync(path.join(dir, `f${String(i).padStart(2, '0')}.jpg`), jpeg);
    }
    const processor = await startProcessor(['--impl', 'synthetic', ...store]);
    const broker = vsp(['broker', ...common, '--processor', processor.address, '--window', '8', '--batch', '4']);
    const produced = await Promise.all([
      vspRun(['producer', ...common, ...store, '--inline-max-bytes', '1024', '--camera', 'big', '--source', `images:${dir}`, '--state-dir', path.join(work, 'state')]),
      // Synthetic 1080p frames: the processor's detections prove it got the right pixels.
      vspRun(['producer', ...common, ...store, '--inline-max-bytes', '1024', '--camera', 'synth', '--source', 'synthetic:1920x1080', '--frames', '20', '--state-dir', path.join(work, 'state')]),
    ]);
    for (const p of produced) assert.equal(p.code, 0, p.stderr);

    const records = await topicValues(kafka.bootstrap, topicNames(prefix).frames, 30);
    const frames = records.map((v) => FrameCodec.decode(v));
    assert.ok(frames.every((f) => f.imageRef && f.image.length === 0), 'every frame referenced');
    assert.ok(records.every((v) => v.length < 1024), `record sizes ${records.map((v) => v.length).join(' ')}`);
    const bigStored = frames.filter((f) => f.cameraId === 'big').map((f) => Number(f.imageRef!.length));
    console.log(`      Kafka bytes per referenced frame: max ${Math.max(...records.map((v) => v.length))} (images ${Math.min(...bigStored)}-${Math.max(...bigStored)} bytes in Redis)`);

    const report = path.join(work, 'big.jsonl');
    const consumer = await vspRun(['consumer', ...common, '--report', `jsonl:${report}`, '--exit-when-idle', '4']);
    assert.equal(consumer.code, 0, consumer.stderr);
    await broker.stop();
    await processor.proc.stop();
    const tracked = readReport(report);
    const big = tracked.filter((f) => f.cameraId === 'big');
    assert.deepEqual(big.map((f) => f.seq), range(1, 10), 'every frame once, in order');
    assert.ok(big.every((f) => f.status === 'OK'), big.map((f) => f.error).join('; '));
    assert.deepEqual(big.map((f) => f.width), [...Array(8).fill(1920), 3840, 3840]);
    const synth = tracked.filter((f) => f.cameraId === 'synth');
    assert.deepEqual(synth.map((f) => f.seq), range(1, 20));
    for (const f of synth) {
      assert.equal(f.status, 'OK', f.error);
      const truth = sceneAt({ width: 1920, height: 1080, seed: 1 }, f.seq);
      for (const obj of truth) assert.ok(Math.max(0, ...f.detections.map((d) => iou(d, obj))) >= 0.9, `synth seq ${f.seq}: object ${obj.id} found`);
    }
  });

  it('without a store, a frame above Kafka\'s record limit is refused at the producer with one line', async () => {
    const prefix = await kafka.topics(1);
    const r = await vspRun(['producer', '--brokers', kafka.bootstrap, '--prefix', prefix, '--max-record-bytes', '2000', '--camera', 'huge', '--source', 'synthetic:640x480', '--frames', '3', '--state-dir', path.join(work, 'huge')]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^vsp: frame 1 of camera huge is \d+ bytes, above Kafka's record limit of 2000: configure a frame store \(--frame-store redis:\/\/HOST:PORT\) or downscale \(--width\)\n$/m);
  });

  it('TTL expiry in a backlog and a Redis restart: those frames are marked, the tracker predicts through them, later frames are fine, nothing hangs', async () => {
    const prefix = await kafka.topics(1);
    const common = ['--brokers', kafka.bootstrap, '--prefix', prefix];
    const state = path.join(work, 'ttl-state');
    const produce = async (frames: number, ttl: number) => {
      const r = await vspRun(['producer', ...common, '--frame-store', redis.url, '--inline-max-bytes', '0', '--frame-ttl', String(ttl), '--camera', 'cam', '--source', 'synthetic:640x480', '--frames', String(frames), '--state-dir', state]);
      assert.equal(r.code, 0, r.stderr);
    };
    // No processor yet (a backlog): frames 1-10 expire after 1 s; 11-20 are kept.
    await produce(10, 1);
    await new Promise((r) => setTimeout(r, 2500));
    await produce(10, 600);
    const metricsPort = 20000 + Math.floor(Math.random() * 20000);
    const processor = await startProcessor(['--impl', 'synthetic', '--frame-store', redis.url, '--frame-store-timeout-ms', '500', '--metrics-port', String(metricsPort)]);
    const broker = vsp(['broker', ...common, '--processor', processor.address, '--window', '8', '--batch', '2', '--group', 'g1']);
    await waitForGroupDone(kafka.bootstrap, prefix, 'g1', 60_000);
    // Redis restarts empty while the processor runs: 21-30 are produced before the restart (lost),
    // 31-40 after it (the producer and the processor reconnect on their own).
    await broker.stop();
    await produce(10, 600);
    await redis.restart();
    await produce(10, 600);
    const broker2 = vsp(['broker', ...common, '--processor', processor.address, '--window', '8', '--batch', '2', '--group', 'g1']);
    await waitForGroupDone(kafka.bootstrap, prefix, 'g1', 60_000);
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    await broker2.stop();
    await processor.proc.stop();

    const report = path.join(work, 'ttl.jsonl');
    const consumer = await vspRun(['consumer', ...common, '--report', `jsonl:${report}`, '--exit-when-idle', '3']);
    assert.equal(consumer.code, 0, consumer.stderr);
    const tracked = readReport(report);
    assert.deepEqual(tracked.map((f) => f.seq), range(1, 40), 'every frame once, in order');
    const lost = (seq: number) => seq <= 10 || (seq >= 21 && seq <= 30);
    for (const f of tracked) {
      if (lost(f.seq)) {
        assert.equal(f.status, 'FRAME_REJECTED', `seq ${f.seq}`);
        assert.equal(f.error, EXPIRED_ERROR);
      } else assert.equal(f.status, 'OK', `seq ${f.seq}: ${f.error}`);
    }
    // Lost frames carry no detections (the tracker only predicts); tracking goes on after them.
    assert.ok(tracked.filter((f) => lost(f.seq)).every((f) => f.detections.length === 0));
    assert.ok(tracked.find((f) => f.seq === 20)!.tracks.length > 0 && tracked.find((f) => f.seq === 40)!.tracks.length > 0);
    assert.match(metrics, /vsp_frame_store_fetches_total\{outcome="expired"\} 20\b/);
  });

  it('edge mode: detections from the producer, no image, no processor: the same tracks as the central pipeline, < 2 KB per frame', async () => {
    const frames = 40;
    const run = async (edge: boolean) => {
      const prefix = await kafka.topics(1);
      const common = ['--brokers', kafka.bootstrap, '--prefix', prefix];
      const processor = edge ? undefined : await startProcessor(['--impl', 'synthetic']);
      const broker = vsp(['broker', ...common, '--processor', processor?.address ?? 'none', '--window', '8', '--batch', '4', '--exactly-once']);
      const edgeFlags = edge ? ['--detect', 'synthetic', '--send-image', 'never'] : [];
      const p = await vspRun(['producer', ...common, ...edgeFlags, '--camera', 'edge-cam', '--source', 'synthetic:640x480', '--frames', String(frames), '--state-dir', path.join(work, `edge-${edge}`)]);
      assert.equal(p.code, 0, p.stderr);
      const report = path.join(work, `edge-${edge}.jsonl`);
      const consumer = await vspRun(['consumer', ...common, '--report', `jsonl:${report}`, '--exit-when-idle', '4']);
      assert.equal(consumer.code, 0, consumer.stderr);
      await broker.stop();
      await processor?.proc.stop();
      const records = await topicValues(kafka.bootstrap, topicNames(prefix).frames, frames);
      return { tracked: readReport(report), bytes: records.map((v) => v.length) };
    };
    const [central, edge] = [await run(false), await run(true)];
    assert.deepEqual(edge.tracked.map((f) => f.seq), range(1, frames));
    assert.ok(edge.tracked.every((f) => f.status === 'OK' && f.processor === 'edge:synthetic'), edge.tracked.map((f) => f.error).join('; '));
    const tracks = (r: typeof edge) => r.tracked.map((f) => f.tracks);
    assert.deepEqual(tracks(edge), tracks(central), 'the same tracks, ids and boxes');
    assert.ok(edge.tracked.some((f) => f.tracks.length > 0));
    assert.ok(edge.bytes.every((b) => b < 2048), `edge record sizes ${edge.bytes.join(' ')}`);
    console.log(`      Kafka bytes per frame: edge max ${Math.max(...edge.bytes)}, central (inline JPEG) mean ${Math.round(central.bytes.reduce((a, b) => a + b, 0) / frames)}`);
  });
});
