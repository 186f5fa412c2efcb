// The mqtt target against a real Mosquitto broker, and rules → hooks on a scripted scene with a
// real Mosquitto and a real HTTP receiver at once.
import { kafkaConnection } from '../../common/kafka/connection.js';
import assert from 'node:assert/strict';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import type { TrackedFrame__Output } from '../../common/gen/vsp/v1/TrackedFrame.js';
import { parseRulesConfig } from '../../consumer/rules/config.js';
import type { RuleEvent } from '../../consumer/rules/engine.js';
import { mqttTarget, type MqttConfig } from '../../consumer/hooks/mqtt.js';
import { startRuleHooks } from '../../consumer/hooks/rule-hooks.js';
import { startHttpReceiver, startMosquitto, type Mosquitto } from '../helpers/hooks-receivers.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createTestCa, type CertFiles, type TestCa } from '../helpers/certs.js';

const log = pino({ level: 'silent' });
const ctx = { connection: kafkaConnection('127.0.0.1:9', 'test'), prefix: '', log };

interface Message {
  topic: string;
  payload: string;
  retain: boolean;
}

interface Subscriber {
  client: MqttClient;
  messages: Message[];
  /**
   * Everything that arrived before a marker published now on `topic`: once the publisher has its
   * acknowledgements, nothing it sent can arrive after the marker, so the list is complete.
   */
  allBefore(topic: string): Promise<Message[]>;
}

/** A subscriber that records every message on `topic`; ready once subscribed. */
async function subscriber(url: string, topic: string): Promise<Subscriber> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  const messages: Message[] = [];
  const waiters: Array<() => void> = [];
  client.on('message', (t, payload, packet) => {
    messages.push({ topic: t, payload: payload.toString(), retain: packet.retain });
    waiters.splice(0).forEach((w) => w());
  });
  await client.subscribeAsync(topic, { qos: 1 });
  return {
    client,
    messages,
    async allBefore(markerTopic) {
      const marker = `marker-${Math.random()}`;
      await client.publishAsync(markerTopic, marker, { qos: 1 });
      let i: number;
      while ((i = messages.findIndex((m) => m.payload === marker)) < 0) await new Promise<void>((resolve) => waiters.push(resolve));
      return messages.slice(0, i);
    },
  };
}

describe('mqtt hook (real Mosquitto)', () => {
  let broker: Mosquitto;
  before(async () => {
    broker = await startMosquitto();
  });
  after(() => broker?.stop());

  it('publishes events to <prefix>/events and retained counts to <prefix>/<camera>/<label>', async () => {
    const sub = await subscriber(broker.url, 'site1/#');
    const c = parseRulesConfig({ targets: { m: { type: 'mqtt', url: broker.url, prefix: 'site1' } }, rules: [{ name: 'r', on: 'new' }] }).targets.m as MqttConfig;
    const target = mqttTarget('m', c, ctx);
    const enter: RuleEvent = { id: 'a:cam-1:3:19', rule: 'a', type: 'zone-enter', camera: 'cam-1', seq: 19, time: '2023-11-14T22:13:21.900Z', zone: 'door' };
    const census: RuleEvent = {
      id: 'census:cam-1:count:0', rule: 'census', type: 'count', camera: 'cam-1', seq: 20, time: '2023-11-14T22:13:22.000Z',
      interval: { start: '2023-11-14T22:13:21.000Z', end: '2023-11-14T22:13:22.000Z' }, counts: { car: 0, person: 2 },
    };
    const inZone: RuleEvent = { ...census, id: 'z:cam-1:count:0', rule: 'z', zone: 'door', counts: { 'a/b+c': 1 } };
    const signal = new AbortController().signal;
    for (const e of [enter, census, inZone]) await target.send(e, signal);
    assert.deepEqual(await sub.allBefore('site1/events'), [
      { topic: 'site1/events', payload: JSON.stringify(enter), retain: false },
      { topic: 'site1/events', payload: JSON.stringify(census), retain: false },
      { topic: 'site1/cam-1/car', payload: '0', retain: false }, // live delivery: the retain flag is cleared
      { topic: 'site1/cam-1/person', payload: '2', retain: false },
      { topic: 'site1/events', payload: JSON.stringify(inZone), retain: false },
      { topic: 'site1/cam-1/door/a_b_c', payload: '1', retain: false }, // separators and wildcards replaced
    ]);
    await target.close();
    await sub.client.endAsync();

    // A dashboard that subscribes later gets the last counts (retained), not the events.
    const late = await subscriber(broker.url, 'site1/#');
    assert.deepEqual(
      (await late.allBefore('site1/events')).sort((a, b) => (a.topic < b.topic ? -1 : 1)),
      [
        { topic: 'site1/cam-1/car', payload: '0', retain: true },
        { topic: 'site1/cam-1/door/a_b_c', payload: '1', retain: true },
        { topic: 'site1/cam-1/person', payload: '2', retain: true },
      ],
    );
    await late.client.endAsync();
  });

  it('rules → webhook and mqtt on a scripted scene: exactly the expected events, once each', async () => {
    // A box walks right 10 px per frame (bottom-centre x = 10 seq, y = 100), seq 1..40 at 10
    // frames/s: it crosses the gate (x = 125) at seq 13 and enters the yard (x ≥ 250) at seq 25.
    // It jitters across the yard's edge once (x 250 → 249 at seq 26, back at 27): the cooldown
    // keeps that to one entry.
    const frames: TrackedFrame__Output[] = Array.from({ length: 40 }, (_, i) => {
      const seq = i + 1;
      const ms = 1_700_000_000_000 + 100 * seq;
      const x = seq === 26 ? 249 : seq >= 27 && seq <= 28 ? 250 : 10 * seq;
      return {
        cameraId: 'cam-1', seq, captureTime: { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 }, source: null, width: 640, height: 480,
        detections: [], tracks: [{ trackId: 1, x1: x - 10, y1: 60, x2: x + 10, y2: 100, classId: 0, label: 'box-red', score: 1 }],
        processor: 'test', timings: null, status: 'OK', error: '',
      };
    });
    const http = await startHttpReceiver('s3');
    const sub = await subscriber(broker.url, 'scene/events');
    try {
      const config = parseRulesConfig({
        zones: { yard: { polygon: [[250, 0], [640, 0], [640, 480], [250, 480]] } },
        lines: { gate: { from: [125, 0], to: [125, 480], direction: 'left-to-right' } },
        targets: {
          hook: { type: 'webhook', url: http.url, secret: 's3' },
          bus: { type: 'mqtt', url: broker.url, prefix: 'scene' },
        },
        rules: [
          { name: 'gate', on: 'line-cross', line: 'gate', targets: ['hook', 'bus'] },
          { name: 'yard', on: 'zone-enter', zone: 'yard', cooldown: 5, targets: ['hook', 'bus'] },
          { name: 'yard-unthrottled', on: 'zone-enter', zone: 'yard', targets: ['bus'] },
        ],
      });
      const hooks = startRuleHooks(config, ctx);
      for (const f of frames) hooks.onFrame(f);
      hooks.onFrame(frames[30]!); // a replay: ignored
      await hooks.close();
      const viaHttp = http.received.map((r) => JSON.parse(r.body) as RuleEvent);
      assert.ok(http.received.every((r) => r.signed), 'every POST signed');
      assert.deepEqual(viaHttp.map((e) => [e.rule, e.type, e.seq, e.direction ?? e.zone]), [['gate', 'line-cross', 13, 'left-to-right'], ['yard', 'zone-enter', 25, 'yard']]);
      const viaMqtt = (await sub.allBefore('scene/events')).map((m) => JSON.parse(m.payload) as RuleEvent);
      assert.deepEqual(viaMqtt.map((e) => [e.rule, e.seq]), [['gate', 13], ['yard', 25], ['yard-unthrottled', 25], ['yard-unthrottled', 27]]);
      assert.deepEqual(viaMqtt.slice(0, 2), viaHttp, 'the same events on both targets');
    } finally {
      await sub.client.endAsync();
      await http.stop();
    }
  });
});

describe('mqtt hook over TLS with a client certificate (real Mosquitto, require_certificate)', () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'vsp-mqtt-tls-'));
  let broker: Mosquitto;
  let ca: TestCa;
  let client: CertFiles;
  const passwordFile = path.join(work, 'mqtt-password');
  const event: RuleEvent = { id: 'a:cam-1:3:19', rule: 'a', type: 'zone-enter', camera: 'cam-1', seq: 19, time: '2023-11-14T22:13:21.900Z', zone: 'door' };

  before(async () => {
    ca = createTestCa(work);
    const server = ca.issue('mosquitto', 'server');
    client = ca.issue('vsp-consumer', 'client');
    writeFileSync(passwordFile, 'pa55word\n', { mode: 0o600 });
    broker = await startMosquitto({ ca: ca.cert, cert: server.cert, key: server.key, users: { vsp: 'pa55word' } });
  });
  after(async () => {
    await broker?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const tlsConfig = (extra: object) =>
    parseRulesConfig({ targets: { m: { type: 'mqtt', url: broker.tlsUrl, prefix: 'tls', ...extra } }, rules: [{ name: 'r', on: 'new' }] }).targets.m as MqttConfig;

  it('publishes over mqtts:// with ca, cert, key and a passwordFile', async () => {
    const sub = await mqtt.connectAsync(broker.tlsUrl!, { reconnectPeriod: 0, ca: readFileSync(ca.cert), cert: readFileSync(client.cert), key: readFileSync(client.key), username: 'vsp', password: 'pa55word' });
    const got = new Promise<string>((resolve) => sub.on('message', (_t, payload) => resolve(payload.toString())));
    await sub.subscribeAsync('tls/events', { qos: 1 });
    const target = mqttTarget('m', tlsConfig({ ca: ca.cert, cert: client.cert, key: client.key, username: 'vsp', passwordFile }), ctx);
    await target.send(event, AbortSignal.timeout(10_000));
    assert.equal(await got, JSON.stringify(event));
    await target.close();
    await sub.endAsync();
  });

  it('cannot deliver without a client certificate, and says so once', async () => {
    let logged = '';
    const log = pino({ level: 'warn' }, new Writable({ write: (chunk, _enc, done) => ((logged += String(chunk)), done()) }));
    const target = mqttTarget('m', tlsConfig({ ca: ca.cert, username: 'vsp', passwordFile }), { ...ctx, log });
    await assert.rejects(target.send(event, AbortSignal.timeout(1500)));
    await target.close();
    assert.match(logged, /mqtt: cannot reach the broker; retrying/);
  });

  it('checks the settings: cert without key, two passwords, an unset passwordEnv, an unreadable ca', () => {
    assert.throws(() => mqttTarget('m', tlsConfig({ cert: client.cert }), ctx), { message: 'targets.m: cert and key go together' });
    assert.throws(() => mqttTarget('m', tlsConfig({ password: 'x', passwordFile }), ctx), { message: 'targets.m: give one of password, passwordFile' });
    delete process.env.VSP_TEST_MQTT_PASSWORD;
    assert.throws(() => mqttTarget('m', tlsConfig({ passwordEnv: 'VSP_TEST_MQTT_PASSWORD' }), ctx), { message: 'targets.m.passwordEnv: environment variable VSP_TEST_MQTT_PASSWORD is not set' });
    assert.throws(() => mqttTarget('m', tlsConfig({ ca: path.join(work, 'nope.pem') }), ctx), /^UsageError: targets\.m\.ca: cannot read .*nope\.pem: ENOENT$/);
  });
});
