// Rules and hooks on the whole chain, each part real: synthetic producer → Kafka → broker →
// synthetic gRPC processor → tracker → Kafka → `vsp consumer --rules` → a webhook on a local
// HTTP server (signatures verified) and the Kafka events topic. The expected events come from
// the scene's ground truth (sceneAt), not from the engine.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { topicNames } from '../../common/kafka/topics.js';
import { sceneAt } from '../../common/synthetic/scene.js';
import type { RuleEvent } from '../../consumer/rules/engine.js';
import { startHttpReceiver, type HttpReceiver } from '../helpers/hooks-receivers.js';
import { startTestKafka, type TestKafka } from '../helpers/kafka.js';
import { endOffsets } from '../helpers/pipeline.js';
import { stopAll, vsp, vspRun } from '../helpers/processes.js';
import { createKafka } from '../../common/kafka/client.js';
import { kafkaConnection } from '../../common/kafka/connection.js';

// Object 2 of this scene (box-cyan) moves right 6 px per frame without bouncing for 60 frames.
// The gate and the yard's edges are put halfway between its positions at two frames, so the
// truth is 3 px from every boundary: the tracker's estimate (within a pixel or so of the
// rendered box) falls on the same side.
const SCENE = { width: 640, height: 240, seed: 23 };
const OBJECT = 2;
const FRAMES = 60;
const SECRET = 'e2e-secret';

function truth(seq: number) {
  const o = sceneAt(SCENE, seq).find((x) => x.id === OBJECT)!;
  return { x: (o.x1 + o.x2) / 2, label: o.label };
}
const between = (seq: number) => (truth(seq - 1).x + truth(seq).x) / 2;
const GATE_X = between(20);
const YARD = [between(35), between(50)] as const;

/** The events the rules below must fire, derived from the ground truth. */
function expectedEvents(): Array<[rule: string, type: string, seq: number]> {
  const out: Array<[string, string, number]> = [];
  let wasInside = false;
  for (let seq = 1; seq <= FRAMES; seq++) {
    const { x } = truth(seq);
    const inside = x >= YARD[0] && x <= YARD[1];
    if (seq > 1) {
      const before = truth(seq - 1).x;
      if (before < GATE_X && x > GATE_X) out.push(['gate', 'line-cross', seq]);
      if (before > GATE_X && x < GATE_X) out.push(['gate-back', 'line-cross', seq]);
    }
    if (inside && !wasInside) out.push(['yard-enter', 'zone-enter', seq]);
    if (!inside && wasInside) out.push(['yard-exit', 'zone-exit', seq]);
    wasInside = inside;
  }
  return out;
}

describe('rules and hooks end to end (real Kafka, broker, processor, HTTP receiver)', function () {
  let kafka: TestKafka;
  let receiver: HttpReceiver;
  const work = mkdtempSync(path.join(os.tmpdir(), 'vsp-hooks-e2e-'));

  before(async () => {
    kafka = await startTestKafka();
    receiver = await startHttpReceiver(SECRET);
  });
  after(async () => {
    await stopAll();
    await receiver?.stop();
    await kafka?.stop();
  });

  it('the scene is what the test assumes', () => {
    assert.deepEqual(expectedEvents(), [['gate', 'line-cross', 20], ['yard-enter', 'zone-enter', 35], ['yard-exit', 'zone-exit', 50]]);
    for (let seq = 1; seq <= FRAMES; seq++) {
      const { x } = truth(seq);
      for (const edge of [GATE_X, ...YARD]) assert.ok(Math.abs(x - edge) >= 3, `seq ${seq}: ${x} is 3 px or more from ${edge}`);
    }
  });

  it('delivers exactly the expected zone and line events, once each, to the webhook and the events topic', async () => {
    const prefix = await kafka.topics(1);
    const common = ['--brokers', kafka.bootstrap, '--prefix', prefix];
    const label = truth(1).label;
    const rulesFile = path.join(work, 'rules.yaml');
    writeFileSync(rulesFile, stringify({
      zones: { yard: { camera: 'cam-e2e', polygon: [[YARD[0], 0], [YARD[1], 0], [YARD[1], SCENE.height], [YARD[0], SCENE.height]] } },
      lines: {
        gate: { from: [GATE_X, 0], to: [GATE_X, SCENE.height], direction: 'left-to-right' },
        'gate-back': { from: [GATE_X, 0], to: [GATE_X, SCENE.height], direction: 'right-to-left' },
      },
      targets: {
        hook: { type: 'webhook', url: receiver.url, secret: SECRET, backoffMs: 50 },
        bus: { type: 'kafka' },
      },
      rules: [
        { name: 'gate', on: 'line-cross', line: 'gate', labels: [label], targets: ['hook', 'bus'] },
        { name: 'gate-back', on: 'line-cross', line: 'gate-back', labels: [label], targets: ['hook', 'bus'] },
        { name: 'yard-enter', on: 'zone-enter', zone: 'yard', labels: [label], cooldown: 30, targets: ['hook', 'bus'] },
        { name: 'yard-exit', on: 'zone-exit', zone: 'yard', labels: [label], targets: ['hook', 'bus'] },
      ],
    }));
    receiver.statuses.push(500); // the first delivery is retried

    const processor = vsp(['processor', '--impl', 'synthetic', '--port', '0']);
    const address = (await processor.waitForStdout(/^127\.0\.0\.1:\d+$/)).trim();
    const broker = vsp(['broker', ...common, '--processor', address]);
    const producer = await vspRun(['producer', ...common, '--camera', 'cam-e2e', '--source', `synthetic:${SCENE.width}x${SCENE.height}`,
      '--seed', String(SCENE.seed), '--frames', String(FRAMES), '--state-dir', path.join(work, 'state')]);
    assert.equal(producer.code, 0, producer.stderr);
    const csv = path.join(work, 'tracks.csv');
    const consumer = await vspRun(['consumer', ...common, '--rules', rulesFile, '--report', `csv:${csv}`, '--exit-when-idle', '4']);
    assert.equal(consumer.code, 0, consumer.stderr);
    await broker.stop();
    await processor.stop();

    const expected = expectedEvents();
    assert.equal(receiver.received.length, expected.length + 1, 'one retried POST, then one POST per event');
    assert.ok(receiver.received.every((r) => r.signed), 'every POST carries a valid X-Signature');
    assert.equal(receiver.received[0]!.body, receiver.received[1]!.body, 'the retry sends the same body');
    const viaHook = receiver.received.slice(1).map((r) => JSON.parse(r.body) as RuleEvent);
    assert.deepEqual(viaHook.map((e) => [e.rule, e.type, e.seq]), expected);
    assert.ok(viaHook.every((e) => e.camera === 'cam-e2e' && e.track?.label === label));
    assert.ok(viaHook.every((e) => e.track?.id === viaHook[0]!.track?.id), 'one track throughout');
    assert.deepEqual(viaHook.map((e) => e.direction ?? e.zone), ['left-to-right', 'yard', 'yard']);

    // The kafka target: the same events, keyed by camera, and nothing else on the topic.
    const topic = topicNames(prefix).events;
    assert.deepEqual([...(await endOffsets(kafka.bootstrap, topic)).values()], [BigInt(expected.length)]);
    const reader = createKafka(kafkaConnection(kafka.bootstrap, 'vsp-test')).consumer({ groupId: `events-${prefix}` });
    await reader.connect();
    const records: Array<{ key: string; event: RuleEvent }> = [];
    try {
      await reader.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve) => {
        void reader.run({
          eachMessage: async ({ message }) => {
            records.push({ key: message.key!.toString(), event: JSON.parse(message.value!.toString()) as RuleEvent });
            if (records.length === expected.length) resolve();
          },
        });
      });
    } finally {
      await reader.disconnect();
    }
    assert.deepEqual(records.map((r) => r.event), viaHook);
    assert.ok(records.every((r) => r.key === 'cam-e2e'));

    // The csv report lists the yard among the zones the object's track visited.
    const rows = readFileSync(csv, 'utf8').trim().split('\n').map((l) => l.split(','));
    const row = rows.find((r) => r[1] === String(viaHook[0]!.track!.id))!;
    assert.deepEqual([row[0], row[2], row[3], row[4], row[7], row[9]], ['cam-e2e', label, '1', String(FRAMES), String(FRAMES), 'yard']);
  });

  it('refuses a bad rules file at start with one line naming the field', async () => {
    const bad = path.join(work, 'bad.yaml');
    writeFileSync(bad, 'rules:\n  - { name: a, on: zone-enter, zone: { polygon: [[0, 0], [1, 1]] } }\n');
    const r = await vspRun(['consumer', '--brokers', kafka.bootstrap, '--rules', bad]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, `vsp: ${bad}: rules[0].zone.polygon: expected at least 3 points\n`);
  });
});
