// Processors as the broker sees them: the original design's protocol, health checks, and a
// processor dying mid-run.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { startTestKafka, type TestKafka } from '../helpers/kafka.js';
import { REPO, stopAll, vspRun } from '../helpers/processes.js';
import { startBroker, startProcessor, tracksProduced, waitForGroupDone } from '../helpers/pipeline.js';
import { createEndpoint } from '../../broker/processor-endpoints.js';
import { sceneAt } from '../../common/synthetic/scene.js';
import type { TrackedFrame__Output } from '../../common/gen/vsp/v1/TrackedFrame.js';
import { iou } from '../../common/boxes.js';

const DETS = path.join(REPO, 'test/fixtures/mot15/det');

describe('processors (real gRPC servers)', function () {
  let kafka: TestKafka;
  const work = mkdtempSync(path.join(os.tmpdir(), 'vsp-processors-'));

  before(async () => {
    kafka = await startTestKafka();
  });
  afterEach(stopAll);
  after(async () => {
    await kafka?.stop();
  });

  it('serves grpc.health.v1 (SERVING) and Describe', async () => {
    const { address, proc } = await startProcessor(['--impl', 'synthetic']);
    const endpoint = createEndpoint(address, 1);
    assert.equal(await endpoint.check(2000), true);
    assert.equal(await endpoint.describe(2000), 'synthetic');
    await proc.stop('SIGTERM');
    assert.equal(await endpoint.check(500), false, 'a stopped processor is not healthy');
    endpoint.client.close();
  });

  it('calls servers of the original Detector proto through legacy://', async () => {
    const prefix = await kafka.topics(1);
    const common = ['--brokers', kafka.bootstrap, '--prefix', prefix];
    const { address } = await startProcessor(['--impl', 'synthetic', '--protocol', 'legacy']);
    // A legacy server answers Detector.Detect, not vsp.v1.Processor.
    const ours = createEndpoint(address, 1);
    await assert.rejects(ours.process([], 2000).then(() => ours.describe(1)).then(() => ours.process([Buffer.alloc(0)], 2000)), (e: grpc.ServiceError) => e.code === grpc.status.UNIMPLEMENTED);
    ours.client.close();

    const produced = await vspRun(['producer', ...common, '--camera', 'old', '--source', 'synthetic:320x240', '--seed', '7', '--frames', '30', '--state-dir', path.join(work, 'legacy')]);
    assert.equal(produced.code, 0, produced.stderr);
    const broker = await startBroker([...common, '--processor', `legacy://${address}`, '--group', 'legacy']);
    await waitForGroupDone(kafka.bootstrap, prefix, 'legacy');
    await broker.stop();
    const report = path.join(work, 'legacy.jsonl');
    const r = await vspRun(['consumer', ...common, '--report', `jsonl:${report}`, '--exit-when-idle', '3']);
    assert.equal(r.code, 0, r.stderr);
    const frames = readFileSync(report, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as TrackedFrame__Output);
    assert.deepEqual(frames.map((f) => f.seq), Array.from({ length: 30 }, (_, i) => i + 1));
    for (const f of frames) {
      assert.equal(f.status, 'OK');
      assert.equal(f.processor, `legacy:${address}`);
      const truth = sceneAt({ width: 320, height: 240, seed: 7 }, f.seq);
      assert.equal(f.detections.length, truth.length);
      for (const obj of truth) assert.ok(Math.max(...f.detections.map((d) => iou(d, obj))) >= 0.9, `seq ${f.seq}: object ${obj.id} found`);
      assert.ok(f.detections.every((d) => d.label.startsWith('box-')), 'labels come from the legacy category field');
    }
  });

  it('takes a killed processor out of rotation and retries its frames on another', async () => {
    const prefix = await kafka.topics(1);
    const common = ['--brokers', kafka.bootstrap, '--prefix', prefix];
    const camera = 'PETS09-S2L1';
    const produced = await vspRun(['producer', ...common, '--source', `mot:${path.join(DETS, `${camera}.txt`)}`, '--state-dir', path.join(work, 'kill')]);
    assert.equal(produced.code, 0, produced.stderr);
    const a = await startProcessor(['--impl', 'replay', '--mot-dets', DETS, '--latency-ms', '20-40']);
    const b = await startProcessor(['--impl', 'replay', '--mot-dets', DETS, '--latency-ms', '20-40', '--seed', '2']);
    const broker = await startBroker([...common, '--processor', `${a.address},${b.address}`, '--window', '16', '--group', 'kill']);
    while ((await tracksProduced(kafka.bootstrap, prefix)) < 200n) await new Promise((r) => setTimeout(r, 50));
    await a.proc.stop('SIGKILL');
    await waitForGroupDone(kafka.bootstrap, prefix, 'kill');
    await broker.stop();
    assert.match(broker.stderr(), new RegExp(`"processor":"${a.address.replace(/\./g, '\\.')}".*(processor call failed|out of rotation)`));

    const mot = path.join(work, 'kill.txt');
    const r = await vspRun(['consumer', ...common, '--report', `mot:${mot}`, '--exit-when-idle', '3']);
    assert.equal(r.code, 0, r.stderr);
    const expected = await vspRun(['track', '--mot', path.join(DETS, `${camera}.txt`)]);
    assert.equal(readFileSync(mot, 'utf8'), expected.stdout, 'no frame lost or reordered when a processor dies');
  });
});
