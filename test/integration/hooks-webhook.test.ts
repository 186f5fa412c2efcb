// The webhook target against a real HTTP server on 127.0.0.1.
import { kafkaConnection } from '../../common/kafka/connection.js';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { freePort } from '../../common/kafka/local.js';
import { parseRulesConfig } from '../../consumer/rules/config.js';
import type { RuleEvent } from '../../consumer/rules/engine.js';
import { signature, webhookTarget, type WebhookConfig } from '../../consumer/hooks/webhook.js';
import { startHttpReceiver, type HttpReceiver } from '../helpers/hooks-receivers.js';

const log = pino({ level: 'silent' });
const ctx = { connection: kafkaConnection('127.0.0.1:9', 'test'), prefix: '', log };
const SECRET = 'hush';

const event: RuleEvent = {
  id: 'door:cam-1:3:19', rule: 'door', type: 'zone-enter', camera: 'cam-1', seq: 19, time: '2023-11-14T22:13:21.900Z', zone: 'door',
};

/** A validated webhook target config (defaults applied) with quick retries. */
function config(url: string, extra: object = {}): WebhookConfig {
  const c = parseRulesConfig({ targets: { t: { type: 'webhook', url, backoffMs: 10, ...extra } }, rules: [{ name: 'r', on: 'new' }] });
  return c.targets.t as WebhookConfig;
}

describe('webhook hook (real HTTP server)', () => {
  let server: HttpReceiver;
  beforeEach(async () => {
    server = await startHttpReceiver(SECRET);
  });
  afterEach(() => server.stop());

  it('POSTs the event as JSON with a timestamped X-Signature the receiver can verify', async () => {
    const before = Math.floor(Date.now() / 1000);
    await webhookTarget('t', config(server.url, { secret: SECRET, headers: { authorization: 'Bearer x' } }), ctx).send(event, new AbortController().signal);
    assert.equal(server.received.length, 1);
    const [r] = server.received;
    assert.deepEqual(JSON.parse(r!.body), event);
    assert.equal(r!.signed, true);
    const timestamp = Number(r!.headers['x-signature-timestamp']);
    assert.ok(timestamp >= before && timestamp <= Date.now() / 1000, `X-Signature-Timestamp ${timestamp} is the time of sending`);
    assert.equal(r!.headers['x-signature'], signature(SECRET, r!.body, timestamp));
    assert.match(String(r!.headers['x-signature']), /^sha256=[0-9a-f]{64}$/);
    assert.equal(r!.headers['content-type'], 'application/json');
    assert.equal(r!.headers['x-vsp-event-id'], event.id);
    assert.equal(r!.headers.authorization, 'Bearer x');
  });

  it('takes the secret from secretEnv, and sends no signature without a secret', async () => {
    process.env.VSP_TEST_WEBHOOK_SECRET = SECRET;
    await webhookTarget('t', config(server.url, { secretEnv: 'VSP_TEST_WEBHOOK_SECRET' }), ctx).send(event, new AbortController().signal);
    await webhookTarget('t', config(server.url), ctx).send(event, new AbortController().signal);
    const first = server.received[0]!;
    assert.deepEqual(server.received.map((r) => [r.signed, r.headers['x-signature']]), [[true, signature(SECRET, first.body, Number(first.headers['x-signature-timestamp']))], [false, undefined]]);
    delete process.env.VSP_TEST_WEBHOOK_SECRET;
    assert.throws(() => webhookTarget('t', config(server.url, { secretEnv: 'VSP_TEST_WEBHOOK_SECRET' }), ctx), {
      message: 'targets.t.secretEnv: environment variable VSP_TEST_WEBHOOK_SECRET is not set',
    });
  });

  it('retries after a 500 and delivers the same signed body', async () => {
    server.statuses.push(500, 503);
    await webhookTarget('t', config(server.url, { secret: SECRET }), ctx).send(event, new AbortController().signal);
    assert.equal(server.received.length, 3);
    assert.ok(server.received.every((r) => r.signed && r.body === server.received[0]!.body));
  });

  it('gives up after the configured retries on 5xx, and at once on a 4xx', async () => {
    server.statuses.push(502, 502, 502, 502);
    await assert.rejects(webhookTarget('t', config(server.url, { retries: 2 }), ctx).send(event, new AbortController().signal), {
      message: `${server.url}: HTTP 502 (3 attempts)`,
    });
    assert.equal(server.received.length, 3);
    server.statuses.splice(0, Infinity, 404);
    await assert.rejects(webhookTarget('t', config(server.url), ctx).send(event, new AbortController().signal), { message: `${server.url}: HTTP 404` });
    assert.equal(server.received.length, 4);
  });

  it('lets a receiver refuse a replayed request: its timestamp is old', async () => {
    let clock = Date.now();
    const strict = await startHttpReceiver(SECRET, { maxAgeS: 300, now: () => clock, rejectUnsigned: true });
    try {
      await webhookTarget('t', config(strict.url, { secret: SECRET }), ctx).send(event, new AbortController().signal);
      const original = strict.received[0]!;
      assert.equal(original.signed, true);
      // An eavesdropper sends the captured request again, 10 minutes later.
      clock += 600_000;
      const headers = { 'content-type': 'application/json', 'x-signature': String(original.headers['x-signature']), 'x-signature-timestamp': String(original.headers['x-signature-timestamp']) };
      assert.equal((await fetch(strict.url, { method: 'POST', headers, body: original.body })).status, 401, 'replay refused');
      // ... or with a fresh timestamp, which the signature does not cover.
      const fresh = { ...headers, 'x-signature-timestamp': String(Math.floor(clock / 1000)) };
      assert.equal((await fetch(strict.url, { method: 'POST', headers: fresh, body: original.body })).status, 401, 'forged timestamp refused');
      assert.deepEqual(strict.received.map((r) => r.signed), [true, false, false]);
    } finally {
      await strict.stop();
    }
  });

  it('does not follow a redirect: the delivery fails at once', async () => {
    // Another receiver that points at the real one: the signed event must not go there.
    const redirecting = http.createServer((_req, res) => res.writeHead(307, { location: server.url }).end());
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}/hook`;
    try {
      await assert.rejects(webhookTarget('t', config(url, { secret: SECRET }), ctx).send(event, new AbortController().signal), {
        message: `${url}: HTTP 307 (redirects are not followed)`,
      });
      assert.equal(server.received.length, 0, 'nothing reached the redirect target');
    } finally {
      redirecting.closeAllConnections();
      await new Promise((resolve) => redirecting.close(resolve));
    }
  });

  it('retries network errors and says what they were', async () => {
    const url = `http://127.0.0.1:${await freePort()}/nobody-home`;
    await assert.rejects(webhookTarget('t', config(url, { retries: 1 }), ctx).send(event, new AbortController().signal), /ECONNREFUSED.*\(2 attempts\)$/);
  });

  it('stops retrying when aborted (shutdown)', async () => {
    server.statuses.push(500, 500, 500, 500, 500);
    const abort = new AbortController();
    const sending = webhookTarget('t', config(server.url, { retries: 5, backoffMs: 60_000 }), ctx).send(event, abort.signal);
    await server.waitFor(1);
    abort.abort(new Error('shutting down'));
    await assert.rejects(sending, { message: 'shutting down' });
    assert.equal(server.received.length, 1);
  });
});
