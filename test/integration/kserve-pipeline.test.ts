// The whole pipeline with `--impl kserve`: the sample video through Kafka, the broker and a
// processor that delegates inference to a real KServe v2 server, which is killed mid-run and
// started again: frames wait (--on-failure block), then resume; none is lost or out of order.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TrackedFrame__Output } from '../../common/gen/vsp/v1/TrackedFrame.js';
import { defaultModelPath } from '../../processor/onnx/index.js';
import { startTestKafka, type TestKafka } from '../helpers/kafka.js';
import { startBroker, startProcessor, tracksProduced, waitForGroupDone, waitForStderr } from '../helpers/pipeline.js';
import { REPO, stopAll, vspRun } from '../helpers/processes.js';
import { startKServe, stopAllKServe } from './kserve-server.js';

const FRAMES = 120;

describe('pipeline with --impl kserve (real Kafka, real KServe v2 server)', function () {
  this.timeout(600_000);
  let kafka: TestKafka;
  const work = mkdtempSync(path.join(os.tmpdir(), 'vsp-kserve-pipeline-'));

  before(async () => {
    kafka = await startTestKafka();
  });
  after(async () => {
    await stopAll();
    await stopAllKServe();
    await kafka?.stop();
  });

  it('tracks the sample video in order; a server stopped mid-run makes frames wait, then they resume, none lost', async () => {
    const server = await startKServe({ models: { nanodet: await defaultModelPath() } });
    const prefix = await kafka.topics(1);
    const common = ['--brokers', kafka.bootstrap, '--prefix', prefix];
    const produced = await vspRun(['producer', ...common, '--camera', 'vtest', '--source', `file:${path.join(REPO, 'samples/vtest.avi')}`, '--frames', String(FRAMES), '--state-dir', path.join(work, 'state')]);
    assert.equal(produced.code, 0, produced.stderr);

    const processor = await startProcessor(['--impl', 'kserve', '--target', server.address, '--model', 'nanodet', '--max-batch', '4']);
    const broker = await startBroker([...common, '--processor', processor.address, '--group', 'kserve', '--window', '8', '--batch', '4', '--on-failure', 'block']);

    while ((await tracksProduced(kafka.bootstrap, prefix)) < 30n) await new Promise((r) => setTimeout(r, 200));
    await server.kill();
    await waitForStderr(processor.proc, /not serving \(frames wait\) until it is back/, 15_000);
    // While it is down, nothing is released past the frames that were already answered.
    const stalled = await tracksProduced(kafka.bootstrap, prefix);
    await new Promise((r) => setTimeout(r, 3000));
    const stillStalled = await tracksProduced(kafka.bootstrap, prefix);
    assert.ok(stillStalled - stalled <= 8n, `at most the window's answered frames move while the server is down (${stalled} → ${stillStalled})`);
    assert.ok(stillStalled < BigInt(FRAMES), 'the outage came before the end');
    await server.restart();
    await waitForGroupDone(kafka.bootstrap, prefix, 'kserve', 300_000);
    await broker.stop();

    const report = path.join(work, 'tracks.jsonl');
    const consumer = await vspRun(['consumer', ...common, '--report', `jsonl:${report}`, '--exit-when-idle', '3']);
    assert.equal(consumer.code, 0, consumer.stderr);
    const frames = readFileSync(report, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as TrackedFrame__Output);
    assert.deepEqual(frames.map((f) => f.seq), Array.from({ length: FRAMES }, (_, i) => i + 1), 'every frame once, in order');
    for (const f of frames) {
      assert.equal(f.status, 'OK', `seq ${f.seq}: ${f.status} ${f.error ?? ''}`);
      assert.equal(f.processor, 'kserve-nanodet');
    }
    // People walk through the whole clip: most frames have person tracks, and some track lasts.
    const withPeople = frames.filter((f) => f.tracks.some((t) => t.label === 'person')).length;
    assert.ok(withPeople >= FRAMES * 0.8, `${withPeople} of ${FRAMES} frames have person tracks`);
    const spans = new Map<number, number>();
    for (const f of frames) for (const t of f.tracks) spans.set(t.trackId, (spans.get(t.trackId) ?? 0) + 1);
    assert.ok(Math.max(...spans.values()) >= FRAMES / 2, `a person is tracked through half the clip (longest track: ${Math.max(...spans.values())} frames)`);

    // One line for the outage and none for anything else at warn level, besides the failed calls' errors.
    const lines = processor.proc.stderr().trim().split('\n').map((l) => JSON.parse(l) as { level: number; msg: string });
    assert.equal(lines.filter((l) => l.level === 40).length, 1, processor.proc.stderr());
    assert.ok(lines.every((l) => l.level === 40 || /detector failed/.test(l.msg)), processor.proc.stderr());
  });
});
