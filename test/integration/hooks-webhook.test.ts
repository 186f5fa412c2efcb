// The webhook target against a real HTTP server on 127.0.0.1.
import { kafkaConnection } from '../../common/kafka/connection.js';
import assert from 'node:assert/strict';
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

  it('POSTs the event as JSON with an X-Signature the receiver can verify', async () => {
    await webhookTarget('t', config(server.url, { secret: SECRET, headers: { authorization: 'Bearer x' } }), ctx).send(event, new AbortController().signal);
    assert.equal(server.received.length, 1);
    const [r] = server.received;
    assert.deepEqual(JSON.parse(r!.body), event);
    assert.equal(r!.signed, true);
    assert.equal(r!.headers['x-signature'], signature(SECRET, r!.body));
    assert.equal(r!.headers['content-type'], 'application/json');
    assert.equal(r!.headers['x-vsp-event-id'], event.id);
    assert.equal(r!.headers.authorization, 'Bearer x');
  });

  it('takes the secret from secretEnv, and sends no signature without a secret', async () => {
    process.env.VSP_TEST_WEBHOOK_SECRET = SECRET;
    await webhookTarget('t', config(server.url, { secretEnv: 'VSP_TEST_WEBHOOK_SECRET' }), ctx).send(event, new AbortController().signal);
    await webhookTarget('t', config(server.url), ctx).send(event, new AbortController().signal);
    assert.deepEqual(server.received.map((r) => [r.signed, r.headers['x-signature']]), [[true, signature(SECRET, server.received[0]!.body)], [false, undefined]]);
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
