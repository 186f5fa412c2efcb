// gRPC between broker and processors secured by configuration (docs/security.md): the same
// pipeline over mTLS + a bearer token gives the same tracks as over plaintext, and each wrong
// setting is refused with one line that says what is wrong. Real Kafka, real `vsp` processes,
// certificates made by openssl in a temporary directory.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../common/kafka/local.js';
import type { TrackedFrame__Output } from '../../common/gen/vsp/v1/TrackedFrame.js';
import { createTestCa, type CertFiles, type TestCa } from '../helpers/certs.js';
import { startTestKafka, type TestKafka } from '../helpers/kafka.js';
import { startProcessor, waitForStderr } from '../helpers/pipeline.js';
import { stopAll, vsp, vspRun } from '../helpers/processes.js';

const FRAMES = 30;

describe('gRPC security: broker → processor over mTLS with a bearer token', function () {
  let kafka: TestKafka;
  const work = mkdtempSync(path.join(os.tmpdir(), 'vsp-security-grpc-'));
  let ca: TestCa;
  let server: CertFiles;
  let client: CertFiles;
  const tokenFile = path.join(work, 'token');
  const wrongTokenFile = path.join(work, 'wrong-token');

  before(async () => {
    ca = createTestCa(work);
    server = ca.issue('processor', 'server');
    client = ca.issue('broker', 'client');
    writeFileSync(tokenFile, 's3cret-token\n', { mode: 0o600 });
    writeFileSync(wrongTokenFile, 'not-the-token\n', { mode: 0o600 });
    kafka = await startTestKafka();
  });
  after(async () => {
    await stopAll();
    await kafka?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const secureProcessorArgs = () => ['--impl', 'synthetic', '--tls-cert', server.cert, '--tls-key', server.key, '--tls-client-ca', ca.cert, '--auth-token-file', tokenFile];
  const clientArgs = () => ['--processor-ca', ca.cert, '--processor-cert', client.cert, '--processor-key', client.key];

  /** Produces FRAMES synthetic frames, runs a broker with `brokerArgs` over them, returns what the tracks topic holds. */
  async function runPipeline(name: string, brokerArgs: string[]): Promise<Array<Pick<TrackedFrame__Output, 'cameraId' | 'seq' | 'status' | 'detections' | 'tracks'>>> {
    const prefix = await kafka.topics(1);
    const common = ['--brokers', kafka.bootstrap, '--prefix', prefix];
    const produced = await vspRun(['producer', ...common, '--camera', 'cam-s', '--source', 'synthetic:160x120', '--seed', '7', '--frames', String(FRAMES), '--state-dir', path.join(work, `state-${name}`)]);
    assert.equal(produced.code, 0, produced.stderr);
    const broker = vsp(['broker', ...common, ...brokerArgs, '--group', `g-${name}`]);
    const report = path.join(work, `${name}.jsonl`);
    const consumer = await vspRun(['consumer', ...common, '--report', `jsonl:${report}`, '--exit-when-idle', '4']);
    assert.equal(consumer.code, 0, consumer.stderr);
    await broker.stop();
    const frames = readFileSync(report, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as TrackedFrame__Output);
    return frames.map(({ cameraId, seq, status, detections, tracks }) => ({ cameraId, seq, status, detections, tracks }));
  }

  it('gives the same tracks over mTLS + token (grpcs://) as over plaintext', async () => {
    const plain = await startProcessor(['--impl', 'synthetic']);
    const secure = await startProcessor(secureProcessorArgs());
    const expected = await runPipeline('plain', ['--processor', plain.address]);
    const got = await runPipeline('secure', ['--processor', `grpcs://${secure.address}`, ...clientArgs(), '--processor-token-file', tokenFile]);
    assert.equal(expected.length, FRAMES);
    assert.ok(expected.every((f) => f.status === 'OK' && f.detections.length > 0), 'the plaintext run detected objects');
    assert.deepEqual(got, expected);
    await Promise.all([plain.proc.stop(), secure.proc.stop()]);
  });

  it('refuses a broker without a client certificate, in one line', async () => {
    const secure = await startProcessor(secureProcessorArgs());
    const broker = vsp(['broker', '--brokers', kafka.bootstrap, '--prefix', await kafka.topics(1), '--processor', `grpcs://${secure.address}`, '--processor-ca', ca.cert, '--processor-token-file', tokenFile]);
    await waitForStderr(broker, /not in rotation: .*certificate required/);
    const line = broker.stderr().split('\n').find((l) => /not in rotation/.test(l))!;
    assert.match(JSON.parse(line).msg, /^processor 127\.0\.0\.1:\d+ not in rotation: UNAVAILABLE: .*certificate required.* \(TLS: the processor requires a client certificate: --processor-cert, --processor-key\)$/);
    await Promise.all([broker.stop(), secure.proc.stop()]);
  });

  it('refuses a wrong token with UNAUTHENTICATED, in one line, and counts it', async () => {
    const metricsPort = await freePort();
    const secure = await startProcessor([...secureProcessorArgs(), '--metrics-port', String(metricsPort)]);
    const broker = vsp(['broker', '--brokers', kafka.bootstrap, '--prefix', await kafka.topics(1), '--processor', `grpcs://${secure.address}`, ...clientArgs(), '--processor-token-file', wrongTokenFile]);
    await waitForStderr(broker, /not in rotation/);
    const lines = broker.stderr().split('\n').filter((l) => /not in rotation/.test(l));
    assert.equal(JSON.parse(lines[0]!).msg, `processor ${secure.address} not in rotation: UNAUTHENTICATED: wrong bearer token (check --processor-token-file)`);
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(broker.stderr().split('\n').filter((l) => /not in rotation/.test(l)).length, 1, 'said once, not at every health check');
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const refused = Number(/^vsp_processor_unauthenticated_calls_total (\d+)$/m.exec(metrics)?.[1]);
    assert.ok(refused >= 2, `health checks refused and counted: ${refused}`);
    await Promise.all([broker.stop(), secure.proc.stop()]);
  });

  it('checks the flags: TLS options need a grpcs:// processor, cert and key go together', async () => {
    const noTls = await vspRun(['broker', '--processor', '127.0.0.1:1', '--processor-token-file', tokenFile]);
    assert.equal(noTls.code, 2);
    assert.match(noTls.stderr, /apply to grpcs:\/\/ processors only/);
    const half = await vspRun(['processor', '--impl', 'synthetic', '--port', '0', '--tls-cert', server.cert]);
    assert.equal(half.code, 2);
    assert.match(half.stderr, /--tls-cert and --tls-key go together/);
    const empty = path.join(work, 'empty');
    writeFileSync(empty, '\n');
    const noToken = await vspRun(['processor', '--impl', 'synthetic', '--port', '0', '--auth-token-file', empty]);
    assert.equal(noToken.code, 2);
    assert.match(noToken.stderr, /--auth-token-file: .* is empty/);
  });
});
