// ONNX processor benchmark (`npm run bench:processor [-- --json] [-- --threads N]`): the default
// NanoDet-m model on CPU over the 768x576 vtest.avi JPEGs of test/fixtures/frames, at batch 1, 4
// and 8. Per frame, median of RUNS batches after WARMUP:
//   - decode + preprocess (sharp decode, resize, normalise; the batch's frames in parallel),
//   - inference (one onnxruntime run for the batch),
//   - postprocess (decode outputs, NMS, map boxes back to source pixels).
// Prints a table and then one JSON line; with --json only the JSON line.
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { Frame__Output } from '../common/gen/vsp/v1/Frame.js';
import { createLogger } from '../common/log.js';
import { defaultModelPath } from '../processor/onnx/default-model.js';
import { OnnxModel } from '../processor/onnx/onnx-model.js';

const BATCHES = [1, 4, 8];
const WARMUP = 2;
const RUNS = 9;

const root = fileURLToPath(new URL('../..', import.meta.url));
const framesDir = path.join(root, 'test/fixtures/frames');
const jsonOnly = process.argv.includes('--json');
const threadsArg = process.argv.indexOf('--threads');
const threads = threadsArg >= 0 ? Number(process.argv[threadsArg + 1]) : undefined;

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

async function runBatch(size: number): Promise<[number, number, number]> {
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

const results = [];
for (const batch of BATCHES) {
  for (let i = 0; i < WARMUP; i++) await runBatch(batch);
  const runs: [number, number, number][] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await runBatch(batch));
  const [preprocessMs, inferenceMs, postprocessMs] = [0, 1, 2].map((k) => median(runs.map((r) => r[k]!)));
  const totalMs = median(runs.map((r) => r[0] + r[1] + r[2]));
  const round = (ms: number): number => Math.round(ms * 100) / 100;
  results.push({ batch, preprocessMs: round(preprocessMs!), inferenceMs: round(inferenceMs!), postprocessMs: round(postprocessMs!), totalMs: round(totalMs), framesPerSecond: Math.round(1000 / totalMs) });
}
await model.release();

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
}
console.log(JSON.stringify(summary));
