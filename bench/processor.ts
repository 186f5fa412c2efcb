// ONNX processor benchmark (`npm run bench:processor [-- --json] [-- --threads N] [-- --kserve [HOST:PORT]]`):
// the default NanoDet-m model on CPU over the 768x576 vtest.avi JPEGs of test/fixtures/frames, at
// batch 1, 4 and 8. Per frame, median of RUNS batches after WARMUP:
//   - decode + preprocess (sharp decode, resize, normalise; the batch's frames in parallel),
//   - inference (one onnxruntime run for the batch),
//   - postprocess (decode outputs, NMS, map boxes back to source pixels).
// With --kserve, the same stages again through `--impl kserve`, the inference being one ModelInfer
// to a KServe v2 server serving the same model file: HOST:PORT (model `nanodet`), or, with no
// address, KServe's Python server started here from .venv-kserve (test/stand-ins/
// kserve-onnx-server.py, onnxruntime with --threads or 2 threads) on this same CPU. The hop is
// its inference minus onnxruntime's in-process one; with the server started here, also the hop
// alone: a ModelInfer of an echo model moving the same tensor sizes but computing nothing.
// Then throughput as the processor runs: CALLERS concurrent callers each sending one frame at a
// time through the detector (dynamic batching up to 8 frames; kserve with 2 ModelInfers in
// flight): frames/s and the per-frame latency a caller sees (p50, p95).
// Prints a table and then one JSON line; with --json only the JSON line.
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { Frame__Output } from '../common/gen/vsp/v1/Frame.js';
import { createLogger } from '../common/log.js';
import { defaultModelPath } from '../processor/onnx/default-model.js';
import { OnnxModel } from '../processor/onnx/onnx-model.js';
import { OnnxGraph } from '../processor/onnx/onnx-builder.js';
import { batchingDetector, type StagedModel } from '../processor/onnx/staged-detector.js';

const BATCHES = [1, 4, 8];
const WARMUP = 2;
const RUNS = 9;

const root = fileURLToPath(new URL('../..', import.meta.url));
const framesDir = path.join(root, 'test/fixtures/frames');
const jsonOnly = process.argv.includes('--json');
const threadsArg = process.argv.indexOf('--threads');
const threads = threadsArg >= 0 ? Number(process.argv[threadsArg + 1]) : undefined;
const kserveArg = process.argv.indexOf('--kserve');
const kserveTarget = kserveArg >= 0 && /^[^-].*:\d+$/.test(process.argv[kserveArg + 1] ?? '') ? process.argv[kserveArg + 1] : undefined;

const images = readdirSync(framesDir)
  .filter((f) => f.endsWith('.jpg'))
  .sort()
  .map((f) => readFileSync(path.join(framesDir, f)));

function frame(i: number): Frame__Output {
  return { cameraId: 'bench', seq: i + 1, captureTime: null, sourceTime: null, width: 768, height: 576, encoding: 'JPEG', image: images[i % images.length]!, attributes: {} };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

// Other work on a shared machine shows up in the figures; this records how much there was.
const loadAverage = Math.round(os.loadavg()[0]! * 100) / 100;

const model = await OnnxModel.load({
  model: await defaultModelPath(),
  format: 'nanodet',
  device: 'cpu',
  score: 0.35,
  iou: 0.45,
  ...(threads !== undefined && { threads }),
  log: () => createLogger('bench-processor'),
});

let checksum = 0; // consumed below so that no work can be optimised away

async function runBatch(model: StagedModel, size: number): Promise<[number, number, number]> {
  const frames = Array.from({ length: size }, (_, i) => frame(i));
  const t0 = performance.now();
  const prepared = await Promise.all(frames.map((f) => model.prepare(f)));
  const t1 = performance.now();
  const outputs = await model.infer(prepared);
  const t2 = performance.now();
  prepared.forEach((p, i) => (checksum += model.detections(outputs, i, p.placement).length));
  const t3 = performance.now();
  return [t1 - t0, t2 - t1, t3 - t2].map((ms) => ms / size) as [number, number, number];
}

const round = (ms: number): number => Math.round(ms * 100) / 100;

/** Rows per model; the models take turns batch by batch, so load from elsewhere falls on both alike. */
async function measure(models: StagedModel[]) {
  const rows: ReturnType<typeof row>[][] = models.map(() => []);
  function row(batch: number, runs: [number, number, number][]) {
    const [preprocessMs, inferenceMs, postprocessMs] = [0, 1, 2].map((k) => median(runs.map((r) => r[k]!)));
    const totalMs = median(runs.map((r) => r[0] + r[1] + r[2]));
    return { batch, preprocessMs: round(preprocessMs!), inferenceMs: round(inferenceMs!), postprocessMs: round(postprocessMs!), totalMs: round(totalMs), framesPerSecond: Math.round(1000 / totalMs) };
  }
  for (const batch of BATCHES) {
    for (let i = 0; i < WARMUP; i++) for (const m of models) await runBatch(m, batch);
    const runs: [number, number, number][][] = models.map(() => []);
    for (let i = 0; i < RUNS; i++) for (const [k, m] of models.entries()) runs[k]!.push(await runBatch(m, batch));
    models.forEach((_, k) => rows[k]!.push(row(batch, runs[k]!)));
  }
  return rows;
}

/** A model that returns its [batch, 3, 416, 416] input: a ModelInfer moving NanoDet-sized tensors but computing nothing. */
function echoModel(): string {
  const g = new OnnxGraph();
  g.input('images', 'float32', ['batch', 3, 416, 416]);
  g.node('Identity', ['images'], ['echo']);
  g.output('echo', 'float32', ['batch', 3, 416, 416]);
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'vsp-bench-')), 'echo.onnx');
  writeFileSync(file, g.encode({ producer: 'bench', doc: 'echo' }));
  return file;
}

/** The hop alone, per frame: one ModelInfer of the echo model (2.1 MB in, 2.1 MB out per frame), encoding and decoding included. */
async function hopCost(target: string) {
  const { KServeClient } = await import('../processor/kserve/client.js');
  const { decodeOutput, encodeFloats } = await import('../processor/kserve/tensors.js');
  const client = new KServeClient(target);
  const once = async (batch: number): Promise<number> => {
    const t = performance.now();
    const planes = new Float32Array(batch * 3 * 416 * 416);
    const [out] = await client.modelInfer({ model: 'echo', version: '', inputs: [{ name: 'images', datatype: 'FP32', shape: [batch, 3, 416, 416], raw: encodeFloats(planes, 'FP32') }], outputs: [] }, 60_000);
    checksum += decodeOutput(out!).data.length;
    return (performance.now() - t) / batch;
  };
  const rows = [];
  for (const batch of BATCHES) {
    for (let i = 0; i < WARMUP; i++) await once(batch);
    const runs: number[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(await once(batch));
    rows.push({ batch, hopMs: round(median(runs)) });
  }
  client.close();
  return rows;
}

/** --impl kserve's model (see the header), and the server when started here. */
async function kserveModel() {
  const { KServeModel } = await import('../processor/kserve/model.js');
  const server = kserveTarget ? undefined : await (await import('../test/integration/kserve-server.js')).startKServe({ models: { nanodet: await defaultModelPath(), echo: echoModel() }, threads: threads ?? 2 });
  const remote = await KServeModel.load({
    target: kserveTarget ?? server!.address, model: 'nanodet', version: '', format: 'nanodet', score: 0.35, iou: 0.45, security: {}, readyTimeoutMs: 60_000, inferTimeoutMs: 60_000, log: () => createLogger('bench-processor'),
  });
  return { remote, server, target: kserveTarget ?? `${remote.server} started here, onnxruntime ${threads ?? 2} threads` };
}

const CALLERS = 8;
const ROUNDS = 4;

/** Frames/s and caller-seen latency through the batching detector around `staged` (released after). */
async function throughput(staged: StagedModel & { labels: string[] }, inflight: number) {
  const info = { name: 'bench', version: '', labels: staged.labels, inputWidth: 0, inputHeight: 0, maxBatch: 8 };
  const detector = batchingDetector(staged, info, 4, inflight);
  const latencies: number[] = [];
  try {
    await Promise.all(Array.from({ length: CALLERS }, (_, c) => detector.detect([frame(c)]))); // warm-up
    const start = performance.now();
    // Each caller sends its next frame as soon as its last one is answered.
    await Promise.all(Array.from({ length: CALLERS }, async (_, c) => {
      for (let k = 0; k < ROUNDS; k++) {
        const t = performance.now();
        const [r] = await detector.detect([frame(c + k)]);
        latencies.push(performance.now() - t);
        checksum += r && 'detections' in r ? r.detections.length : 0;
      }
    }));
    const seconds = (performance.now() - start) / 1000;
    const sorted = latencies.sort((a, b) => a - b);
    const pct = (p: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!);
    return { callers: CALLERS, inflight, framesPerSecond: Math.round((CALLERS * ROUNDS) / seconds * 10) / 10, p50Ms: pct(0.5), p95Ms: pct(0.95) };
  } finally {
    await detector.close();
  }
}

const remote = kserveArg >= 0 ? await kserveModel() : undefined;
const [results = [], kserveRows = []] = await measure(remote ? [model, remote.remote] : [model]);
const onnxThroughput = await throughput(model, 1);
const kserveThroughput = remote && (await throughput(remote.remote, 2));
const echo = remote?.server && (await hopCost(remote.server.address));
await remote?.server?.kill();
const kserve = remote && {
  target: remote.target,
  results: kserveRows.map((r, i) => ({ ...r, hopMs: round(r.inferenceMs - results[i]!.inferenceMs) })),
  throughput: kserveThroughput,
  ...(echo && { echoHop: echo }),
};

const summary = {
  bench: 'processor',
  model: 'nanodet-m.onnx (416x416)',
  device: model.device,
  threads: threads ?? 'onnxruntime default',
  cpus: os.cpus().length,
  loadAverage,
  frame: '768x576 JPEG',
  runs: RUNS,
  results,
  throughput: onnxThroughput,
  ...(kserve && { kserve }),
  checksum,
};

if (!jsonOnly) {
  console.log(`NanoDet-m ONNX on ${model.device}, ${summary.cpus} CPUs (load average ${loadAverage} at start), ${summary.frame}; ms per frame, median of ${RUNS} batches`);
  console.log('batch  decode+preprocess  inference  postprocess   total   frames/s');
  for (const r of results) {
    console.log(
      `${String(r.batch).padStart(5)}  ${r.preprocessMs.toFixed(2).padStart(17)}  ${r.inferenceMs.toFixed(2).padStart(9)}  ${r.postprocessMs.toFixed(2).padStart(11)}  ${r.totalMs.toFixed(2).padStart(6)}  ${String(r.framesPerSecond).padStart(9)}`,
    );
  }
  const through = (t: typeof onnxThroughput) => `${t.callers} callers, one frame each at a time, ${t.inflight} inference(s) in flight: ${t.framesPerSecond} frames/s, latency p50 ${t.p50Ms} ms, p95 ${t.p95Ms} ms`;
  console.log(`throughput: ${through(onnxThroughput)}`);
  if (kserve) {
    console.log(`--impl kserve (${kserve.target}): inference = one ModelInfer round trip; hop = it minus onnxruntime's inference above`);
    console.log('batch  decode+preprocess  inference  postprocess   total   frames/s   hop');
    for (const r of kserve.results) {
      console.log(
        `${String(r.batch).padStart(5)}  ${r.preprocessMs.toFixed(2).padStart(17)}  ${r.inferenceMs.toFixed(2).padStart(9)}  ${r.postprocessMs.toFixed(2).padStart(11)}  ${r.totalMs.toFixed(2).padStart(6)}  ${String(r.framesPerSecond).padStart(9)}  ${r.hopMs.toFixed(2).padStart(5)}`,
      );
    }
    console.log(`throughput: ${through(kserve.throughput!)}`);
    if (kserve.echoHop) console.log(`the hop alone (a ModelInfer of a model returning its 416x416 input: 2.1 MB each way per frame), ms per frame: ${kserve.echoHop.map((r) => `batch ${r.batch} ${r.hopMs}`).join(', ')}`);
  }
}
console.log(JSON.stringify(summary));
