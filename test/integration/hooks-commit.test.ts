// A committed consumer (--group) commits a tracked frame only once every event it fired is
// delivered (or dead-lettered): killed between firing and delivery, its successor delivers the
// event again — at least once, never lost.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { createKafka } from '../../common/kafka/client.js';
import { kafkaConnection } from '../../common/kafka/connection.js';
import { topicNames } from '../../common/kafka/topics.js';
import { DeadLetterCodec, TrackedFrameCodec } from '../../common/proto.js';
import type { RuleEvent } from '../../consumer/rules/event.js';
import { startHttpReceiver, type HttpReceiver } from '../helpers/hooks-receivers.js';
import { startTestKafka, type TestKafka } from '../helpers/kafka.js';
import { committedOffsets } from '../helpers/pipeline.js';
import { stopAll, vsp, vspRun } from '../helpers/processes.js';

const FRAMES = 10;

describe('rule events and consumer commits (real Kafka, real webhook receiver)', function () {
  let kafka: TestKafka;
  let receiver: HttpReceiver;
  const work = mkdtempSync(path.join(os.tmpdir(), 'vsp-hooks-commit-'));

  before(async () => {
    [kafka, receiver] = await Promise.all([startTestKafka(), startHttpReceiver()]);
  });
  after(async () => {
    await stopAll();
    await receiver?.stop();
    await kafka?.stop();
  });

  it('an event whose delivery was cut short by a kill is delivered after the restart', async () => {
    const prefix = await kafka.topics(1);
    const topics = topicNames(prefix);
    const common = ['--brokers', kafka.bootstrap, '--prefix', prefix];
    const producer = createKafka(kafkaConnection(kafka.bootstrap, 'test')).producer();
    await producer.connect();
    const frame = (seq: number) =>
      Buffer.from(TrackedFrameCodec.encode({ cameraId: 'cam', seq, width: 640, height: 480, status: 'OK', error: '', processor: 'p', detections: [],
        captureTime: { seconds: 1_700_000_000 + seq, nanos: 0 }, tracks: [{ trackId: 1, x1: 10 + seq, y1: 10, x2: 60 + seq, y2: 110, classId: 0, label: 'person', score: 0.9 }] }));
    await producer.send({ topic: topics.tracks, acks: -1, messages: Array.from({ length: FRAMES }, (_, i) => ({ key: 'cam', value: frame(i + 1) })) });
    await producer.disconnect();
    const rules = path.join(work, 'rules.yaml');
    writeFileSync(rules, stringify({
      targets: { hook: { type: 'webhook', url: receiver.url, retries: 1000, backoffMs: 100, maxBackoffMs: 200 } },
      rules: [{ name: 'seen', on: 'new', targets: ['hook'] }],
    }));

    // The receiver fails every delivery for now: the event waits in its retry loop.
    receiver.statuses.push(...Array<number>(1000).fill(503));
    const first = vsp(['consumer', ...common, '--group', 'alerts', '--rules', rules, '--report', `jsonl:${path.join(work, 'first.jsonl')}`]);
    await receiver.waitFor(3);
    await first.stop('SIGKILL');
    const committed = (await committedOffsets(kafka.bootstrap, 'alerts', topics.tracks)).get(0) ?? -1n;
    assert.ok(committed <= 0n, `the frame that fired the event is not committed (committed ${committed})`);

    receiver.statuses.length = 0;
    const before = receiver.received.length;
    const second = await vspRun(['consumer', ...common, '--group', 'alerts', '--rules', rules, '--report', `jsonl:${path.join(work, 'second.jsonl')}`, '--exit-when-idle', '3']);
    assert.equal(second.code, 0, second.stderr);
    const redelivered = receiver.received.slice(before).map((r) => JSON.parse(r.body) as RuleEvent);
    assert.deepEqual(redelivered.map((e) => e.id), ['seen:cam:1:1'], 'delivered after the restart, once');
    assert.equal((await committedOffsets(kafka.bootstrap, 'alerts', topics.tracks)).get(0), BigInt(FRAMES));
  });

  it('an event that cannot be delivered goes to the dead-letter topic, and then the frame is committed', async () => {
    const prefix = await kafka.topics(1);
    const topics = topicNames(prefix);
    const common = ['--brokers', kafka.bootstrap, '--prefix', prefix];
    const client = createKafka(kafkaConnection(kafka.bootstrap, 'test'));
    const producer = client.producer();
    await producer.connect();
    await producer.send({ topic: topics.tracks, acks: -1, messages: [{ key: 'cam', value: Buffer.from(TrackedFrameCodec.encode({ cameraId: 'cam', seq: 1, width: 640, height: 480, status: 'OK', error: '', processor: 'p', detections: [], tracks: [{ trackId: 7, x1: 1, y1: 1, x2: 9, y2: 9, classId: 0, label: 'car', score: 1 }] })) }] });
    await producer.disconnect();
    const rules = path.join(work, 'rules-dead.yaml');
    writeFileSync(rules, stringify({
      targets: { hook: { type: 'webhook', url: receiver.url, retries: 1, backoffMs: 10 } },
      rules: [{ name: 'seen', on: 'new', targets: ['hook'] }],
    }));
    receiver.statuses.push(500, 500);
    const r = await vspRun(['consumer', ...common, '--group', 'dl', '--rules', rules, '--report', `jsonl:${path.join(work, 'dl.jsonl')}`, '--exit-when-idle', '3']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await committedOffsets(kafka.bootstrap, 'dl', topics.tracks)).get(0), 1n);
    const consumer = client.consumer({ groupId: `check-${prefix}`, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: topics.deadLetter, fromBeginning: true });
    const dead = await new Promise<{ reason: string; component: string; value: string }>((resolve) => {
      void consumer.run({ eachMessage: async ({ message }) => { const d = DeadLetterCodec.decode(message.value!); resolve({ reason: d.reason, component: d.component, value: Buffer.from(d.value).toString() }); } });
    });
    await consumer.disconnect();
    assert.equal(dead.component, 'consumer-hooks');
    assert.match(dead.reason, /^hook: .*500/);
    assert.equal((JSON.parse(dead.value) as RuleEvent).id, 'seen:cam:7:1');
  });
});
