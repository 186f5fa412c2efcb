// `--impl kserve` against a real KServe v2 server (KServe's Python ModelServer serving the
// project's NanoDet ONNX file through onnxruntime): the same detections as `--impl onnx`, FP16
// tensors, batching, and each way a server can be wrong or unavailable, with one clear line each.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEndpoint } from '../../broker/processor-endpoints.js';
import type { Detection, Detector, FrameDetections } from '../../processor/detector.js';
import { createKServeDetector, type KServeDetectorOptions } from '../../processor/kserve/detector.js';
import { createOnnxDetector, defaultModelPath } from '../../processor/onnx/index.js';
import { OnnxGraph } from '../../processor/onnx/onnx-builder.js';
import { startProcessor, waitForStderr } from '../helpers/pipeline.js';
import { stopAll, vsp, vspRun } from '../helpers/processes.js';
import { startKServe, stopAllKServe, type KServeServer } from './kserve-server.js';
import { vtestFrame } from './onnx-frames.js';

const FRAMES = [100, 200, 300, 400];
const DETECTION = { format: 'nanodet', score: 0.5, iou: 0.45, maxBatch: 4, maxDelayMs: 5 } as const;
const REMOTE = { version: '', security: {}, readyTimeoutMs: 10_000, inferTimeoutMs: 30_000, maxInflight: 2 } as const;

function detections(r: FrameDetections | undefined): Detection[] {
  assert.ok(r && 'detections' in r, `expected detections, got ${JSON.stringify(r)}`);
  return r.detections;
}

/** Same boxes (within `px`) and scores (within `score`), in the same order. */
function assertSame(actual: FrameDetections[], expected: FrameDetections[], px: number, score: number): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((r, i) => {
    const [a, e] = [detections(r), detections(expected[i])];
    assert.equal(a.length, e.length, `frame ${FRAMES[i]}: ${a.length} detections, onnx found ${e.length}`);
    a.forEach((d, k) => {
      const x = e[k]!;
      assert.equal(d.label, x.label, `frame ${FRAMES[i]} detection ${k}`);
      for (const key of ['x1', 'y1', 'x2', 'y2'] as const) assert.ok(Math.abs(d[key] - x[key]) <= px, `frame ${FRAMES[i]} detection ${k} ${key}: ${d[key]} vs ${x[key]}`);
      assert.ok(Math.abs(d.score - x.score) <= score, `frame ${FRAMES[i]} detection ${k} score: ${d.score} vs ${x.score}`);
    });
  });
}

/** The only line a failed `vsp processor` printed. */
function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line expected, got:\n${stderr}`);
  return lines[0]!;
}

/** A model whose input is NHWC: wrong for every --format (they take [batch, 3, height, width]). */
function nhwcModel(file: string): string {
  const g = new OnnxGraph();
  g.input('images', 'float32', ['batch', 416, 416, 3]);
  g.node('Identity', ['images'], ['out']);
  g.output('out', 'float32', ['batch', 416, 416, 3]);
  writeFileSync(file, g.encode({ producer: 'test', doc: 'NHWC stub' }));
  return file;
}

describe('--impl kserve with a real KServe v2 server', function () {
  this.timeout(180_000);
  const work = mkdtempSync(path.join(os.tmpdir(), 'vsp-kserve-'));
  const notReady = path.join(work, 'not-ready');
  let server: KServeServer;
  let onnx: Detector;
  let expected: FrameDetections[];
  const kserve = (o: Partial<KServeDetectorOptions> = {}): Promise<Detector> =>
    createKServeDetector({ ...DETECTION, ...REMOTE, target: server.address, model: 'nanodet', ...o });

  before(async () => {
    const model = await defaultModelPath();
    server = await startKServe({ models: { nanodet: model, nhwc: nhwcModel(path.join(work, 'nhwc.onnx')) }, fp16Models: { nanodet16: model }, notReadyWhile: notReady });
    onnx = await createOnnxDetector({ ...DETECTION, model, device: 'cpu', threads: 2 });
    expected = await onnx.detect(FRAMES.map((n) => vtestFrame(n)));
  });
  afterEach(async () => {
    rmSync(notReady, { force: true });
    await stopAll();
  });
  after(async () => {
    await onnx?.close();
    await stopAllKServe();
    rmSync(work, { recursive: true, force: true });
  });

  it('gives the same detections as --impl onnx on frames 100/200/300/400 (boxes within 0.5 px, scores within 1e-3)', async () => {
    const detector = await kserve();
    try {
      assert.deepEqual([detector.info.name, detector.info.inputWidth, detector.info.inputHeight, detector.info.labels.length, detector.info.maxBatch], ['kserve-nanodet', 416, 416, 80, 4]);
      assert.match(detector.info.version, /^nanodet on 127\.0\.0\.1:\d+ \(kserve 0\.21\.0, FP32\)$/);
      // All four in one call (one batched ModelInfer), then one by one.
      assertSame(await detector.detect(FRAMES.map((n) => vtestFrame(n))), expected, 0.5, 1e-3);
      const alone: FrameDetections[] = [];
      for (const n of FRAMES) alone.push(...(await detector.detect([vtestFrame(n)])));
      assertSame(alone, expected, 0.5, 1e-3);
      // Concurrent calls, one frame per ModelInfer, two ModelInfers in flight.
      const single = await kserve({ maxBatch: 1 });
      try {
        assertSame((await Promise.all(FRAMES.map((n) => single.detect([vtestFrame(n)])))).flat(), expected, 0.5, 1e-3);
      } finally {
        await single.close();
      }
      assert.ok(detections(alone[1]).filter((d) => d.label === 'person').length >= 6, 'the people on frame 200');
    } finally {
      await detector.close();
    }
  });

  it('sends and reads FP16 tensors when the model metadata says FP16', async () => {
    const detector = await kserve({ model: 'nanodet16' });
    try {
      assert.match(detector.info.version, /FP16\)$/);
      // Half precision moves boxes by hundredths of a pixel here.
      assertSame(await detector.detect(FRAMES.map((n) => vtestFrame(n))), expected, 0.5, 2e-3);
    } finally {
      await detector.close();
    }
  });

  it('answers a corrupt image with an error for that frame only', async () => {
    const detector = await kserve();
    try {
      const results = await detector.detect([vtestFrame(100), vtestFrame(200, Buffer.from('not a jpeg')), vtestFrame(400)]);
      assert.ok('error' in results[1]! && results[1].error.startsWith('cannot decode image'), JSON.stringify(results[1]));
      assertSame([results[0]!, results[2]!], [expected[0]!, expected[3]!], 0.5, 1e-3);
    } finally {
      await detector.close();
    }
  });

  it('refuses a model name the server does not have, in one line', async () => {
    const r = await vspRun(['processor', '--impl', 'kserve', '--port', '0', '--target', server.address, '--model', 'nanodet-x']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(oneLine(r.stderr), /^vsp: kserve 127\.0\.0\.1:\d+, model 'nanodet-x': the server has no model 'nanodet-x' \(NOT_FOUND: .*\)$/);
  });

  it('refuses tensors that do not fit the format, in one line each', async () => {
    const run = (...args: string[]) => vspRun(['processor', '--impl', 'kserve', '--port', '0', '--target', server.address, ...args]);
    const nhwc = await run('--model', 'nhwc');
    assert.equal(nhwc.code, 1, nhwc.stderr);
    assert.match(oneLine(nhwc.stderr), /model 'nhwc' input 'images' is FP32 \[-1, 416, 416, 3\]; --format nanodet needs \[batch, 3, height, width\]/);
    const yolo = await run('--model', 'nanodet', '--format', 'yolov8');
    assert.equal(yolo.code, 1, yolo.stderr);
    assert.match(oneLine(yolo.stderr), /model 'nanodet': its outputs do not fit --format yolov8: yolov8 models have one output, this one has 6$/);
    const input = await run('--model', 'nanodet', '--input', 'images');
    assert.equal(input.code, 1, input.stderr);
    assert.match(oneLine(input.stderr), /model 'nanodet' has no input 'images' \(its inputs: input_1\)$/);
    const output = await run('--model', 'nanodet', '--output', 'Identity,boxes');
    assert.equal(output.code, 1, output.stderr);
    assert.match(oneLine(output.stderr), /model 'nanodet' has no output 'boxes' \(its outputs: Identity_2, .*\)$/);
  });

  it('waits for a model that is not ready (the server live), then serves; gives up after --ready-timeout-s in one line', async () => {
    writeFileSync(notReady, '');
    const early = await vspRun(['processor', '--impl', 'kserve', '--port', '0', '--target', server.address, '--model', 'nanodet', '--ready-timeout-s', '2']);
    assert.equal(early.code, 1, early.stderr);
    const lines = early.stderr.trim().split('\n');
    assert.equal(lines.length, 2, early.stderr);
    assert.match(lines[0]!, /"msg":"inference server 127\.0\.0\.1:\d+: model 'nanodet' is not ready \(the server is live and ready\); waiting up to 2 s"/);
    assert.match(lines[1]!, /^vsp: kserve 127\.0\.0\.1:\d+, model 'nanodet': model 'nanodet' is not ready \(the server is live and ready\); waited 2 s \(--ready-timeout-s\)$/);

    const waiting = vsp(['processor', '--impl', 'kserve', '--port', '0', '--target', server.address, '--model', 'nanodet']);
    await waitForStderr(waiting, /waiting up to 60 s/);
    rmSync(notReady);
    const address = (await waiting.waitForStdout(/^127\.0\.0\.1:\d+$/, 30_000)).trim();
    const endpoint = createEndpoint(address, 1);
    try {
      assert.equal(await endpoint.check(2000), true, 'serving once the model is ready');
    } finally {
      endpoint.client.close();
    }
  });

  it('follows ServerReady + ModelReady in its grpc.health.v1 status, one log line per change', async () => {
    const { proc, address } = await startProcessor(['--impl', 'kserve', '--target', server.address, '--model', 'nanodet']);
    const endpoint = createEndpoint(address, 1);
    const until = async (serving: boolean): Promise<void> => {
      const deadline = Date.now() + 15_000;
      while ((await endpoint.check(1000)) !== serving) {
        assert.ok(Date.now() < deadline, `health ${serving ? 'SERVING' : 'NOT_SERVING'} within 15 s: ${proc.stderr()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    try {
      await until(true);
      writeFileSync(notReady, '');
      await until(false);
      rmSync(notReady);
      await until(true);
      const said = proc.stderr().trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { msg: string }).msg);
      assert.deepEqual(said.map((m) => m.replace(/127\.0\.0\.1:\d+/, 'HOST')), [
        "inference server HOST: model 'nanodet' is not ready (the server is live and ready); not serving (frames wait) until it is back",
      ], 'warn level: the one line of the change to not serving');
    } finally {
      endpoint.client.close();
    }
  });

  it('speaks TLS with a bearer token (--target-ca, --target-token); a missing token fails in one line', async () => {
    const cert = path.join(work, 'server.pem');
    const key = path.join(work, 'server.key');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
    const security = { tls: { ca: readFileSync(cert) }, headers: { authorization: 'Bearer s3cret' } };
    const tls = await startKServe({ models: { nanodet: await defaultModelPath() }, tls: { cert, key }, token: 's3cret', security });
    const target = tls.address; // localhost:PORT
    const detector = await createKServeDetector({ ...DETECTION, ...REMOTE, target, model: 'nanodet', security });
    try {
      assertSame(await detector.detect(FRAMES.map((n) => vtestFrame(n))), expected, 0.5, 1e-3);
    } finally {
      await detector.close();
    }
    const cli = await startProcessor(['--impl', 'kserve', '--target', target, '--model', 'nanodet', '--target-ca', cert, '--target-token', 's3cret']);
    await cli.proc.stop();
    const refused = await vspRun(['processor', '--impl', 'kserve', '--port', '0', '--target', target, '--model', 'nanodet', '--target-ca', cert]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(oneLine(refused.stderr), /^vsp: kserve localhost:\d+, model 'nanodet': ModelMetadata failed: UNAUTHENTICATED: missing or wrong bearer token$/);
  });
});
