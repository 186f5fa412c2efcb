// `vsp consumer --report annotated:DIR` on a real pipeline: every frame of every camera comes out
// as DIR/<camera>/<seq>.jpg with its tracks drawn, from the frames topic joined with the tracks
// topic; a consumer that needs no pixels does not read the frames topic at all.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { startTestKafka, type TestKafka } from '../helpers/kafka.js';
import { startBroker } from '../helpers/pipeline.js';
import { stopAll, vsp, vspRun } from '../helpers/processes.js';
import type { TrackedFrame__Output } from '../../common/gen/vsp/v1/TrackedFrame.js';
import { trackColor, type Rgb } from '../../consumer/web/overlay-style.js';
import { createKafka } from '../../common/kafka/client.js';
import { kafkaConnection } from '../../common/kafka/connection.js';

const CAMERAS = ['cam-1', 'cam-2'];
const FRAMES = 20;

/** Runs `vsp consumer` to the end and returns the consumer groups seen in Kafka meanwhile. */
async function consumeWatchingGroups(bootstrap: string, args: string[]): Promise<string[]> {
  const admin = createKafka(kafkaConnection(bootstrap, 'vsp-test')).admin();
  await admin.connect();
  const seen = new Set<string>();
  const consumer = vsp(['consumer', ...args]);
  let running = true;
  void consumer.exited.then(() => (running = false));
  try {
    while (running) {
      for (const g of await admin.listGroups()) seen.add(g);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(await consumer.exited, 0, consumer.stderr());
  } finally {
    await admin.disconnect();
  }
  return [...seen];
}

describe('annotated:DIR report (real pipeline)', function () {
  let kafka: TestKafka;
  const work = mkdtempSync(path.join(os.tmpdir(), 'vsp-annotated-'));

  before(async () => {
    kafka = await startTestKafka();
  });
  after(async () => {
    await stopAll();
    await kafka?.stop();
  });

  it('writes one annotated JPEG per frame and camera, boxes in the track colours; reads frames only when drawing', async () => {
    const prefix = await kafka.topics(2);
    const common = ['--brokers', kafka.bootstrap, '--prefix', prefix];
    const processor = vsp(['processor', '--impl', 'synthetic', '--port', '0']);
    const address = (await processor.waitForStdout(/^127\.0\.0\.1:\d+$/)).trim();
    await startBroker([...common, '--processor', address]);
    const producers = CAMERAS.map((camera, i) =>
      vspRun(['producer', ...common, '--camera', camera, '--source', 'synthetic:320x240', '--seed', String(i + 5), '--frames', String(FRAMES), '--state-dir', path.join(work, 'state')]),
    );
    for (const p of await Promise.all(producers)) assert.equal(p.code, 0, p.stderr);

    const jsonl = path.join(work, 'tracks.jsonl');
    const plain = await consumeWatchingGroups(kafka.bootstrap, [...common, '--report', `jsonl:${jsonl}`, '--exit-when-idle', '4']);
    assert.ok(plain.some((g) => g.startsWith('vsp-consumer-')), 'the tracks reader was seen');
    assert.ok(!plain.some((g) => g.startsWith('vsp-consumer-frames-')), 'no frames reader without a report that draws');

    const dir = path.join(work, 'annotated');
    const drawing = await consumeWatchingGroups(kafka.bootstrap, [...common, '--report', `annotated:${dir}`, '--exit-when-idle', '4']);
    assert.ok(drawing.some((g) => g.startsWith('vsp-consumer-frames-')), 'the frames reader was seen');

    const tracked = readFileSync(jsonl, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as TrackedFrame__Output);
    const names = Array.from({ length: FRAMES }, (_, k) => `${String(k + 1).padStart(6, '0')}.jpg`);
    for (const camera of CAMERAS) {
      assert.deepEqual(readdirSync(path.join(dir, camera)).sort(), names, `${camera}: one JPEG per frame`);
      for (const f of tracked.filter((t) => t.cameraId === camera && t.seq >= 3)) {
        const { data, info } = await sharp(path.join(dir, camera, names[f.seq - 1]!)).raw().toBuffer({ resolveWithObject: true });
        assert.ok(f.tracks.length > 0);
        for (const t of f.tracks) {
          // Middle of the left edge, in the JPEG the report wrote for this very frame.
          const [x, y] = [Math.round(t.x1), Math.round((t.y1 + t.y2) / 2)];
          const i = (y * info.width + x) * info.channels;
          const got: Rgb = [data[i]!, data[i + 1]!, data[i + 2]!];
          const want = trackColor(t.trackId);
          assert.ok(got.every((v, c) => Math.abs(v - want[c]!) <= 40), `${camera} seq ${f.seq} track ${t.trackId}: rgb(${got.join(', ')}) at (${x}, ${y}), expected rgb(${want.join(', ')})`);
        }
      }
    }
  });
});
