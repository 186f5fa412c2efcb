// --kafka-client kafkajs|rdkafka|auto: the flag, its environment variable and --kafka-config
// property, which library each choice means (with rdkafka installed or not), and the rdkafka
// adapter's own parts that need no Kafka: its settings, its cooperative assignment listener, how
// it reads librdkafka's log and errors. No Kafka, and no @confluentinc/kafka-javascript needed.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { withKafkaOptions, type KafkaOptions } from '../../common/cli/options.js';
import { UsageError } from '../../common/errors.js';
import { resolveKafkaClient } from '../../common/kafka/client.js';
import { connectionFromOptions } from '../../common/kafka/connection.js';
import { isKafkaUnavailable, kafkaFailure } from '../../common/kafka/errors.js';
import { connectionConfig } from '../../common/kafka/rdkafka/config.js';
import { connectWatched, failureOfLog } from '../../common/kafka/rdkafka/connect.js';
import { RdGroupConsumer } from '../../common/kafka/rdkafka/consumer.js';
import type { Loaded, NativeClient, RdConsumer, RdKafka } from '../../common/kafka/rdkafka/load.js';
import type { Assignment, AssignmentChange } from '../../common/kafka/types.js';

/** What a Kafka-facing command parses from argv and the environment. */
function parse(argv: string[], env: Record<string, string> = {}): KafkaOptions {
  const saved = process.env.VSP_KAFKA_CLIENT;
  delete process.env.VSP_KAFKA_CLIENT;
  Object.assign(process.env, env);
  try {
    const cmd = withKafkaOptions(new Command('x')).exitOverride().configureOutput({ writeErr: () => {} });
    cmd.parse(argv, { from: 'user' });
    return cmd.opts<KafkaOptions>();
  } finally {
    delete process.env.VSP_KAFKA_CLIENT;
    if (saved !== undefined) process.env.VSP_KAFKA_CLIENT = saved;
  }
}

const installed = (): Loaded => ({ ok: true, module: {} as never, librdkafkaVersion: '2.15.1' });
const missing = (): Loaded => ({ ok: false, problem: '@confluentinc/kafka-javascript is not installed' });
const unused = (): Loaded => assert.fail('kafkajs needs no rdkafka');

describe('--kafka-client', () => {
  it('is a flag of every Kafka-facing command, with VSP_KAFKA_CLIENT as its environment variable', () => {
    assert.equal(parse([]).kafkaClient, undefined);
    assert.equal(parse(['--kafka-client', 'rdkafka']).kafkaClient, 'rdkafka');
    assert.equal(parse([], { VSP_KAFKA_CLIENT: 'kafkajs' }).kafkaClient, 'kafkajs');
    assert.equal(parse(['--kafka-client', 'auto'], { VSP_KAFKA_CLIENT: 'kafkajs' }).kafkaClient, 'auto', 'the flag wins');
    assert.throws(() => parse(['--kafka-client', 'librdkafka']), /Allowed choices are kafkajs, rdkafka, auto/);
    assert.throws(() => parse([], { VSP_KAFKA_CLIENT: 'java' }), /from env 'VSP_KAFKA_CLIENT' is invalid/);
  });

  it('goes into the connection; vsp.kafka.client of --kafka-config when no flag or variable says', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vsp-kclient-'));
    const file = path.join(dir, 'client.properties');
    writeFileSync(file, 'bootstrap.servers=k:9092\nvsp.kafka.client=kafkajs\n');
    assert.equal(connectionFromOptions({}, 'id').client, undefined, 'unsaid: auto, decided by createKafka');
    assert.equal(connectionFromOptions({ kafkaClient: 'rdkafka' }, 'id').client, 'rdkafka');
    assert.equal(connectionFromOptions({ kafkaConfig: file }, 'id').client, 'kafkajs');
    assert.equal(connectionFromOptions({ kafkaConfig: file, kafkaClient: 'auto' }, 'id').client, 'auto', 'the flag (or VSP_KAFKA_CLIENT) wins');
    writeFileSync(file, 'bootstrap.servers=k:9092\nvsp.kafka.client=confluent\n');
    assert.throws(() => connectionFromOptions({ kafkaConfig: file }, 'id'), (e: unknown) => e instanceof UsageError && /vsp\.kafka\.client: expected kafkajs, rdkafka, auto, got 'confluent'/.test(e.message));
  });

  it('auto (the default) takes rdkafka when it is installed and loads, else kafkajs', () => {
    assert.equal(resolveKafkaClient(undefined, {}, installed), 'rdkafka');
    assert.equal(resolveKafkaClient('auto', {}, installed), 'rdkafka');
    assert.equal(resolveKafkaClient(undefined, {}, missing), 'kafkajs');
    assert.equal(resolveKafkaClient('auto', {}, missing), 'kafkajs');
  });

  it('kafkajs is kafkajs, without loading rdkafka; an unsaid choice falls back to VSP_KAFKA_CLIENT', () => {
    assert.equal(resolveKafkaClient('kafkajs', {}, unused), 'kafkajs');
    assert.equal(resolveKafkaClient(undefined, { VSP_KAFKA_CLIENT: 'kafkajs' }, unused), 'kafkajs');
    assert.equal(resolveKafkaClient('rdkafka', { VSP_KAFKA_CLIENT: 'kafkajs' }, installed), 'rdkafka', 'the connection\'s choice first');
    assert.throws(() => resolveKafkaClient(undefined, { VSP_KAFKA_CLIENT: 'x' }, installed), (e: unknown) => e instanceof UsageError && /^VSP_KAFKA_CLIENT: expected/.test(e.message));
  });

  it('rdkafka when it is not installed fails at once, naming the flag and how to install it', () => {
    assert.throws(
      () => resolveKafkaClient('rdkafka', {}, missing),
      (e: unknown) =>
        e instanceof UsageError &&
        /^--kafka-client rdkafka: @confluentinc\/kafka-javascript is not installed; to build it, install the Debian packages build-essential .*libcurl4-openssl-dev and run npm ci .*, or use --kafka-client kafkajs$/.test(e.message),
    );
    assert.throws(() => resolveKafkaClient(undefined, { VSP_KAFKA_CLIENT: 'rdkafka' }, missing), /--kafka-client rdkafka: .*not installed/);
  });
});

describe('rdkafka adapter (no Kafka)', () => {
  it('maps the connection to librdkafka settings: bootstrap, TLS, SASL', () => {
    const plain = connectionConfig({ brokers: ['a:1', 'b:2'], clientId: 'c' });
    assert.equal(plain['bootstrap.servers'], 'a:1,b:2');
    assert.equal(plain['client.id'], 'c');
    assert.equal(plain['security.protocol'], 'plaintext');
    const secure = connectionConfig({
      brokers: ['a:1'],
      clientId: 'c',
      tls: { ca: 'CA', cert: 'CERT', key: 'KEY', passphrase: 'pw', verifyHostname: false },
      sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' },
    });
    assert.deepEqual(
      Object.fromEntries(Object.entries(secure).filter(([k]) => /^(security|ssl|sasl|enable\.ssl)/.test(k))),
      {
        'security.protocol': 'sasl_ssl',
        'enable.ssl.certificate.verification': true,
        'ssl.endpoint.identification.algorithm': 'none',
        'ssl.ca.pem': 'CA',
        'ssl.certificate.pem': 'CERT',
        'ssl.key.pem': 'KEY',
        'ssl.key.password': 'pw',
        'sasl.mechanisms': 'SCRAM-SHA-512',
        'sasl.username': 'u',
        'sasl.password': 'p',
      },
    );
    const oauth = connectionConfig({ brokers: ['a:1'], clientId: 'c', tls: { verifyHostname: true }, sasl: { mechanism: 'oauthbearer', tokenEndpoint: 'https://idp/token', clientId: 'id', clientSecret: 's' } });
    assert.equal(oauth['security.protocol'], 'sasl_ssl');
    assert.equal(oauth['sasl.mechanisms'], 'OAUTHBEARER');
    assert.equal(oauth['ssl.endpoint.identification.algorithm'], 'https');
    assert.equal(typeof oauth.oauthbearer_token_refresh_cb, 'function');
  });

  it('consumer: cooperative-sticky, read_committed, start and commits as asked; tells each incremental change', async () => {
    let settings: Record<string, unknown> = {};
    const paused: unknown[] = [];
    const fake = { connect: async () => {}, subscribe: async () => {}, run: async () => {}, pause: (t: unknown) => paused.push(t), resume: () => {}, rebalanceProtocol: () => 'COOPERATIVE', _getInternalClient: () => null };
    const kafka = { consumer: (s: Record<string, unknown>) => ((settings = s), fake as unknown as RdConsumer), producer: () => assert.fail() } as unknown as RdKafka;
    const registered = new Map<string, unknown>();
    const consumer = new RdGroupConsumer({ kafka, watch: { graceMs: 0, plaintext: true }, register: (g, c) => registered.set(g, c) }, { groupId: 'g', maxWaitTimeInMs: 100 });
    const heard: [Assignment, AssignmentChange][] = [];
    consumer.onAssignment((a, c) => heard.push([a, c]));
    await consumer.connect();
    await consumer.subscribe({ topic: 't', fromBeginning: true });
    let running = false;
    const run = consumer.run({ autoCommit: false, eachBatch: async () => {} }).then(() => (running = true));
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(running, false, 'run() waits for the first assignment, as kafkajs does');
    assert.equal(settings['partition.assignment.strategy'], 'cooperative-sticky');
    assert.equal(settings['isolation.level'], 'read_committed');
    assert.equal(settings['auto.offset.reset'], 'earliest');
    assert.equal(settings['enable.auto.commit'], false);
    assert.equal(settings['fetch.wait.max.ms'], 100);
    assert.equal(registered.get('g'), fake, 'its transactional producers can send offsets with it');

    const rebalance = settings.rebalance_cb as (err: { code: number }, partitions: { topic: string; partition: number }[]) => void;
    rebalance({ code: -175 }, [0, 1, 2].map((partition) => ({ topic: 't', partition })));
    await run;
    rebalance({ code: -174 }, [{ topic: 't', partition: 1 }]);
    assert.deepEqual(heard, [
      [{ t: [0, 1, 2] }, { incremental: true, assigned: { t: [0, 1, 2] }, revoked: {} }],
      [{ t: [0, 2] }, { incremental: true, assigned: {}, revoked: { t: [1] } }],
    ]);
    consumer.pause([{ topic: 't', partitions: [1, 2] }, { topic: 'other' }]);
    assert.deepEqual(paused, [[{ topic: 't', partitions: [2] }]], 'only partitions it holds');
  });

  it("reads librdkafka's failure log lines as the errors they stand for", () => {
    const code = (message: string, severity = 3) => failureOfLog({ severity, fac: 'FAIL', message })?.code;
    assert.equal(code('[thrd:a:1/bootstrap]: a:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: Connection refused (after 0ms in state CONNECT)'), -195);
    assert.equal(code('sasl_ssl://a:1/bootstrap: SASL authentication error: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512 (after 3ms in state AUTH_REQ)'), -169);
    assert.equal(code('ssl://a:1/bootstrap: SSL handshake failed: error:0A000086:SSL routines::certificate verify failed: broker certificate could not be verified (after 4ms in state SSL_HANDSHAKE)'), -181);
    assert.equal(code('1/1 brokers are down'), -187);
    assert.equal(code('Connect to ipv4#127.0.0.1:1 failed: Connection refused', 6), undefined, 'info lines are not failures');
    const hello = { count: 0 };
    const closed = { severity: 6, fac: 'FAIL', message: 'a:1/bootstrap: Disconnected: connection closed by peer: receive 0 after POLLIN (after 4ms in state APIVERSION_QUERY)' };
    assert.equal(failureOfLog(closed, hello), undefined, 'once may be a broker going down');
    const twice = failureOfLog(closed, hello)!;
    assert.match(twice.message, /connecting to a SSL listener\?/);
    assert.equal(kafkaFailure({ ...twice, type: 'ERR__TRANSPORT' }, { brokers: ['a:1'], clientId: 'c' }).message, 'Kafka at a:1 answered in TLS: set security.protocol=SSL or SASL_SSL (and its ssl.*, sasl.*) in --kafka-config (docs/security.md)');
  });

  it('connect fails at once on a refused login, and after the grace time when Kafka is unreachable', async () => {
    const attempt = async (lines: string[], graceMs: number) => {
      const native = Object.assign(new EventEmitter(), { getMetadata: () => {} }) as unknown as NativeClient & EventEmitter;
      const started = Date.now();
      const connecting = connectWatched(() => new Promise<void>(() => {}), () => native, { graceMs, plaintext: false }, async () => {});
      for (const message of lines) native.emit('event.log', { severity: 3, fac: 'FAIL', message });
      const err = await connecting.then(() => assert.fail('connected'), (e: unknown) => e as Error & { code: number });
      return { err, ms: Date.now() - started };
    };
    const login = await attempt(['b:1/bootstrap: SASL authentication error: Authentication failed (after 1ms in state AUTH_REQ)'], 60_000);
    assert.equal(login.err.code, -169);
    assert.ok(login.ms < 1000, 'at once');
    const refused = await attempt(['b:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: Connection refused (after 0ms in state CONNECT)', '1/1 brokers are down'], 300);
    assert.equal(refused.err.code, -195, 'the refused connection, which says more than "all brokers down"');
    assert.ok(refused.ms >= 290, `after the grace time, not ${refused.ms} ms`);
    assert.equal(kafkaFailure(refused.err, { brokers: ['b:1'], clientId: 'c' }).message, 'cannot reach Kafka at b:1: Connect to ipv4#127.0.0.1:1 failed: Connection refused (ECONNREFUSED)');
  });
});

describe('errors of librdkafka (the KafkaJS-style errors of @confluentinc/kafka-javascript)', () => {
  const connection = { brokers: ['127.0.0.1:9'], clientId: 'c' };
  const rd = (name: string, code: number, type: string, message: string) => Object.assign(new Error(message), { name, code, type, retriable: false, fatal: false });

  it('an unreachable Kafka or a timed-out request is retriable, and said so in words both clients share', () => {
    const refused = rd('KafkaJSConnectionError', -195, 'ERR__TRANSPORT', '127.0.0.1:9/bootstrap: Connect to ipv4#127.0.0.1:9 failed: Connection refused (after 0ms in state CONNECT, 1 identical error(s) suppressed)');
    assert.equal(isKafkaUnavailable(refused), true);
    const f = kafkaFailure(refused, connection);
    assert.equal(f.message, 'cannot reach Kafka at 127.0.0.1:9: Connect to ipv4#127.0.0.1:9 failed: Connection refused (ECONNREFUSED)');
    assert.equal(f.retriable, true);
    assert.equal(isKafkaUnavailable(rd('KafkaJSTimeout', -185, 'ERR__TIMED_OUT', 'Local: Timed out')), true);
    assert.equal(isKafkaUnavailable(rd('KafkaJSProtocolError', 6, 'ERR_NOT_LEADER_FOR_PARTITION', 'Broker: Not leader for partition')), true);
  });

  it('fatal ones are not: a record too large, a fenced producer', () => {
    const tooLarge = rd('KafkaJSProtocolError', 10, 'ERR_MSG_SIZE_TOO_LARGE', 'Broker: Message size too large');
    assert.equal(isKafkaUnavailable(tooLarge), false);
    assert.equal(kafkaFailure(tooLarge, connection).message, 'Broker: Message size too large');
    assert.equal(isKafkaUnavailable(rd('KafkaJSError', -144, 'ERR__FENCED', 'Local: This instance has been fenced by a newer instance')), false);
  });

  it('security failures: refused login, missing rights, a refused certificate; none retriable', () => {
    const secure = { ...connection, sasl: { mechanism: 'scram-sha-512' as const, username: 'consumer', password: 'x' } };
    const login = rd('KafkaJSSASLAuthenticationError', -169, 'ERR__AUTHENTICATION', 'sasl_ssl://127.0.0.1:9/bootstrap: SASL authentication error: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512 (after 300ms in state AUTH_REQ)');
    assert.equal(isKafkaUnavailable(login), false);
    assert.equal(
      kafkaFailure(login, secure).message,
      "authentication failed: Kafka at 127.0.0.1:9 refused user 'consumer' (SASL authentication error: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512); check sasl.username and sasl.password in --kafka-config",
    );
    const denied = rd('KafkaJSProtocolError', 29, 'ERR_TOPIC_AUTHORIZATION_FAILED', 'Broker: Topic authorization failed');
    assert.equal(isKafkaUnavailable(denied), false);
    assert.equal(kafkaFailure(denied, secure).message, 'not authorized: Kafka at 127.0.0.1:9 refused User:consumer TOPIC_AUTHORIZATION_FAILED (Broker: Topic authorization failed); its ACLs do not allow this (docs/security.md)');
    const certificate = rd('KafkaJSError', -181, 'ERR__SSL', 'ssl://127.0.0.1:9/bootstrap: SSL handshake failed: error:0A000086:SSL routines::certificate verify failed: broker certificate could not be verified (after 4ms in state SSL_HANDSHAKE)');
    assert.equal(isKafkaUnavailable(certificate), false);
    assert.equal(kafkaFailure(certificate, connection).message, 'TLS: the certificate of Kafka at 127.0.0.1:9 is refused (certificate verify failed); set ssl.ca.location in --kafka-config to the CA that signed it');
  });
});
