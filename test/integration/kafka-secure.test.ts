// `vsp kafka start --secure`: Kafka with TLS, SASL/SCRAM-SHA-512 and ACLs. The whole pipeline,
// each component with only its role's client properties file, gives exactly what it gives
// without security; and what the security is there to refuse is refused at once, in one line
// naming the cause: no credentials, a wrong password, a role writing where it may not, a client
// that does not trust the CA. Both on each Kafka client library (--kafka-client).
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, freePortPair } from '../../common/kafka/local.js';
import type { TrackedFrame__Output } from '../../common/gen/vsp/v1/TrackedFrame.js';
import type { GroupStatus } from '../../common/kafka/status.js';
import { startTestKafka } from '../helpers/kafka.js';
import { stopAll, vsp, vspRun } from '../helpers/processes.js';
import { KAFKA_CLIENTS, requireKafkaClient } from '../helpers/kafka-clients.js';
import { createKafka } from '../../common/kafka/client.js';
import { connectionFromOptions } from '../../common/kafka/connection.js';
import { createRoleAcls } from '../../common/kafka/secure.js';
import type { KafkaClientName } from '../../common/kafka/types.js';

const CAMERAS = ['cam-a', 'cam-b'];
const FRAMES = 60;
const ROLES = ['admin', 'producer', 'broker', 'consumer'];

/** The flags that connect a command to Kafka as a role. */
type KafkaArgs = (role: string) => string[];
/** A tracked frame without what varies from run to run (capture time, timings, offsets). */
type Output = Pick<TrackedFrame__Output, 'cameraId' | 'seq' | 'width' | 'height' | 'status' | 'error' | 'detections' | 'tracks'>;

describe('vsp kafka start --secure (TLS, SASL/SCRAM, ACLs)', function () {
  const work = path.join(os.tmpdir(), `vsp-secure-${process.pid}`);
  const dir = path.join(work, 'secure');
  const data = path.join(work, 'kafka');
  const roleFile = (role: string) => path.join(dir, `${role}.properties`);
  const secureArgs: KafkaArgs = (role) => ['--kafka-config', roleFile(role)];
  let port = 0;
  let processor: string;

  before(async () => {
    for (const library of KAFKA_CLIENTS) requireKafkaClient(library);
    mkdirSync(work);
    port = await freePort();
    const start = await vspRun(['kafka', 'start', '--secure', dir, '--data', data, '--port', String(port), '--controller-port', String(await freePort())]);
    assert.equal(start.code, 0, start.stderr);
    assert.equal(start.stdout.trim(), `127.0.0.1:${port}`);
    const topics = await vspRun(['topics', 'create', ...secureArgs('admin'), '--partitions', '2']);
    assert.equal(topics.code, 0, topics.stderr);
    processor = (await vsp(['processor', '--impl', 'synthetic', '--port', '0']).waitForStdout(/^127\.0\.0\.1:\d+$/)).trim();
  });
  after(async () => {
    await stopAll();
    await vspRun(['kafka', 'stop', '--data', data]);
    rmSync(work, { recursive: true, force: true });
  });

  it('writes the CA, the broker key and one private client properties file per role; keeps no CA key', () => {
    assert.deepEqual(readdirSync(dir).sort(), ['admin.properties', 'broker.properties', 'ca.pem', 'consumer.properties', 'kafka-server.pem', 'producer.properties']);
    const mode = (file: string) => statSync(file).mode & 0o777;
    assert.equal(mode(dir), 0o700);
    for (const file of ['kafka-server.pem', ...ROLES.map((r) => `${r}.properties`)]) assert.equal(mode(path.join(dir, file)), 0o600, file);
    assert.equal(mode(path.join(data, 'server.properties')), 0o600, 'it holds the admin and controller passwords');

    const ca = new X509Certificate(readFileSync(path.join(dir, 'ca.pem')));
    const server = new X509Certificate(/-----BEGIN CERTIFICATE-----[^]*?-----END CERTIFICATE-----/.exec(readFileSync(path.join(dir, 'kafka-server.pem'), 'utf8'))![0]);
    assert.ok(server.verify(ca.publicKey), 'the broker certificate is signed by the CA');
    assert.equal(server.subjectAltName, 'IP Address:127.0.0.1, DNS:localhost');
    assert.match(readFileSync(path.join(dir, 'kafka-server.pem'), 'utf8'), /^-----BEGIN PRIVATE KEY-----/);

    const passwords = ROLES.map((role) => {
      const text = readFileSync(roleFile(role), 'utf8');
      assert.match(text, new RegExp(`^bootstrap\\.servers=127\\.0\\.0\\.1:${port}$`, 'm'));
      assert.match(text, /^security\.protocol=SASL_SSL$/m);
      assert.match(text, /^sasl\.mechanism=SCRAM-SHA-512$/m);
      assert.match(text, new RegExp(`^sasl\\.username=${role}$`, 'm'));
      return /^sasl\.password=(\S{32})$/m.exec(text)![1];
    });
    assert.equal(new Set(passwords).size, ROLES.length, 'one password per role');

    const config = readFileSync(path.join(data, 'server.properties'), 'utf8');
    assert.match(config, /^super\.users=User:admin;User:controller$/m);
    assert.match(config, /^allow\.everyone\.if\.no\.acl\.found=false$/m);
    assert.match(config, /^listeners=SASL_SSL:\/\/127\.0\.0\.1:\d+,CONTROLLER:\/\/127\.0\.0\.1:\d+$/m);
  });

  for (const library of KAFKA_CLIENTS) describe(`refuses, at once and in one line naming the cause (${library})`, () => {
    const frames = ['--kafka-client', library, '--camera', 'cam-x', '--source', 'synthetic:160x120', '--frames', '3', '--state-dir', path.join(work, 'refused')];
    const client = ['--kafka-client', library];
    const withProperties = (name: string, from: string, edit: (text: string) => string) => {
      const file = path.join(work, `${name}.properties`);
      writeFileSync(file, edit(readFileSync(roleFile(from), 'utf8')), { mode: 0o600 });
      return file;
    };
    /** Runs the command, which must fail within 30 s with one `vsp:` line, and returns that line. */
    const refused = async (args: string[]) => {
      const started = Date.now();
      const r = await vspRun(args, { VSP_LOG_LEVEL: 'fatal' });
      const seconds = (Date.now() - started) / 1000;
      assert.notEqual(r.code, 0, `vsp ${args.join(' ')} succeeded`);
      assert.ok(seconds < 30, `vsp ${args[0]} took ${seconds} s to give up`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.filter((l) => l.startsWith('vsp:')).length, 1, r.stderr);
      return lines[lines.length - 1]!;
    };

    it('a client without TLS or credentials (PLAINTEXT) on the secure port', async () => {
      const line = await refused(['producer', '--brokers', `127.0.0.1:${port}`, ...frames]);
      assert.equal(line, `vsp: Kafka at 127.0.0.1:${port} answered in TLS: set security.protocol=SSL or SASL_SSL (and its ssl.*, sasl.*) in --kafka-config (docs/security.md)`);
    });

    it('a wrong password', async () => {
      const wrong = withProperties('wrong-password', 'consumer', (t) => t.replace(/^sasl\.password=.*$/m, 'sasl.password=not-the-password'));
      const line = await refused(['consumer', ...client, '--kafka-config', wrong, '--report', `jsonl:${path.join(work, 'never.jsonl')}`, '--exit-when-idle', '2']);
      assert.match(line, new RegExp(`^vsp: authentication failed: Kafka at 127\\.0\\.0\\.1:${port} refused user 'consumer' \\(.*invalid credentials.*\\); check sasl\\.username and sasl\\.password in --kafka-config$`));
    });

    it('the consumer role writing frames', async () => {
      const line = await refused(['producer', ...secureArgs('consumer'), ...frames]);
      // Each library's words for Kafka's error.
      const reason = library === 'kafkajs' ? 'Not authorized to access topics: \\[Topic authorization failed\\]' : 'Broker: Topic authorization failed';
      assert.match(line, new RegExp(`^vsp: not authorized: Kafka at [\\d.:]+ refused User:consumer TOPIC_AUTHORIZATION_FAILED \\(${reason}\\); its ACLs do not allow this \\(docs/security\\.md\\)$`));
    });

    it('an SSL client that does not trust the CA', async () => {
      const untrusting = withProperties('no-ca', 'broker', (t) => t.replace(/^ssl\.ca\.location=.*\n/m, ''));
      const line = await refused(['broker', ...client, '--kafka-config', untrusting, '--processor', processor]);
      // Node's TLS names the verification error; librdkafka (OpenSSL) says only that it failed.
      const reason = library === 'kafkajs' ? 'unable to verify the first certificate' : 'certificate verify failed';
      assert.equal(line, `vsp: TLS: the certificate of Kafka at 127.0.0.1:${port} is refused (${reason}); set ssl.ca.location in --kafka-config to the CA that signed it`);
    });
  });

  // Last: it stops the secure Kafka (mocha runs a suite's own tests before its child suites).
  describe('the whole pipeline', () => {
    it('runs with only the role files, on each client library, with the same frames and tracks as without security', async () => {
      const secure = new Map<KafkaClientName, Output[]>();
      for (const [i, library] of KAFKA_CLIENTS.entries()) {
        // Topics of their own for each library: the roles' rights for a second prefix, as admin.
        const prefix = i === 0 ? 'vsp' : `vsp-${library}`;
        if (i > 0) {
          await createRoleAcls(createKafka(connectionFromOptions({ kafkaConfig: roleFile('admin') }, 'vsp-test')), prefix);
          const topics = await vspRun(['topics', 'create', ...secureArgs('admin'), '--prefix', prefix, '--partitions', '2']);
          assert.equal(topics.code, 0, topics.stderr);
        }
        secure.set(library, await runPipeline((role) => [...secureArgs(role), '--kafka-client', library, '--prefix', prefix], `secure-${library}`, prefix));
      }
      const stopped = await vspRun(['kafka', 'stop', '--data', data]);
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.match(stopped.stderr, /Kafka stopped/);

      const plainKafka = await startTestKafka();
      try {
        await plainKafka.topics(2, 'vsp');
        const plain = await runPipeline(() => ['--brokers', plainKafka.bootstrap, '--kafka-client', 'kafkajs'], 'plain', 'vsp');
        for (const [library, frames] of secure) {
          assert.equal(frames.length, CAMERAS.length * FRAMES, library);
          assert.ok(frames.every((f) => f.status === 'OK' && (f.seq < 3 || f.tracks.length > 0)), `${library}: every frame tracked`);
          assert.deepEqual(frames, plain, `${library} with TLS, SASL and ACLs: the same as kafkajs without`);
        }
      } finally {
        await plainKafka.stop();
      }
    });
  });

  /** producer → broker (exactly-once) → synthetic processor → the consumer's jsonl report, sorted. */
  async function runPipeline(kafka: KafkaArgs, name: string, prefix: string): Promise<Output[]> {
    const broker = vsp(['broker', ...kafka('broker'), '--processor', processor, '--exactly-once', '--window', '16', '--batch', '4']);
    const producers = CAMERAS.map((camera, i) =>
      vspRun(['producer', ...kafka('producer'), '--camera', camera, '--source', 'synthetic:320x240', '--seed', String(i + 1), '--frames', String(FRAMES),
        '--state-dir', path.join(work, `state-${name}`)]),
    );
    for (const p of await Promise.all(producers)) assert.equal(p.code, 0, p.stderr);
    await brokerDone(kafka, prefix);
    const report = path.join(work, `${name}.jsonl`);
    const consumer = await vspRun(['consumer', ...kafka('consumer'), '--report', `jsonl:${report}`, '--exit-when-idle', '3']);
    assert.equal(consumer.code, 0, consumer.stderr);
    await broker.stop();
    return readFileSync(report, 'utf8').trim().split('\n')
      .map((l) => JSON.parse(l) as TrackedFrame__Output)
      .map(({ cameraId, seq, width, height, status, error, detections, tracks }): Output => ({ cameraId, seq, width, height, status, error, detections, tracks }))
      .sort((a, b) => a.cameraId.localeCompare(b.cameraId) || a.seq - b.seq);
  }

  /** Until the broker group has committed every frame (`vsp status` as admin). */
  async function brokerDone(kafka: KafkaArgs, prefix: string): Promise<void> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const status = await vspRun(['status', ...kafka('admin'), '--json']);
      assert.equal(status.code, 0, status.stderr);
      const group = (JSON.parse(status.stdout) as GroupStatus[]).find((g) => g.group === 'vsp-broker');
      const committed = (group?.lag ?? []).filter((l) => l.topic === `${prefix}.frames`).reduce((a, l) => a + l.committed, 0);
      if (committed === CAMERAS.length * FRAMES) return;
      assert.ok(Date.now() < deadline, `the broker committed ${committed} frames of ${CAMERAS.length * FRAMES}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
});

describe('vsp demo --secure', function () {
  const work = path.join(os.tmpdir(), `vsp-secure-demo-${process.pid}`);
  before(() => mkdirSync(work));
  after(async () => {
    await stopAll();
    rmSync(work, { recursive: true, force: true });
  });

  it('runs every component with its role file until it tracks, and Ctrl-C stops everything', async () => {
    const data = path.join(work, 'data');
    const demo = vsp(['demo', '--secure', '--impl', 'synthetic', '--source', 'synthetic:320x240', '--camera', 'cam1', '--web-port', '0',
      '--kafka-port', String(await freePortPair()), '--data', data, '--out', path.join(work, 'out')]);
    await demo.waitForStdout(/^cam1 frame \d+: \d+ box-.* tracked \(ids \d/, 180_000);
    assert.match(demo.stdout(), /with TLS, SASL\/SCRAM and ACLs/);
    assert.match(readFileSync(path.join(data, 'kafka', 'server.properties'), 'utf8'), /^listeners=SASL_SSL:/m);
    assert.deepEqual(readdirSync(path.join(data, 'secure')).filter((f) => f.endsWith('.properties')).sort(), ROLES.map((r) => `${r}.properties`).sort());
    assert.equal(await demo.stop('SIGINT'), 0, demo.stderr());
    assert.match(demo.stdout(), /all stopped\.\n$/);
  });
});
