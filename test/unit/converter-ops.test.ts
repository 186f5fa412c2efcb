import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { composesToIdentity } from '../../processor/onnx/onnx-builder.js';
import { tfjsGraphToOnnx } from '../../processor/onnx/tfjs-to-onnx.js';
import { loadTfjsGraph, runTfjsGraph, type TfNode } from '../../processor/onnx/tfjs-graph.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const shape = (dims: number[]): { dim: { size: string }[] } => ({ dim: dims.map((d) => ({ size: String(d) })) });
const float = { type: 'DT_FLOAT' };

/** Writes a TF.js graph model (model.json + one weight file) and returns the model.json path. */
function writeGraph(dir: string, nodes: TfNode[], weights: { name: string; shape: number[]; values: number[] }[], output: { name: string; dims: number[] }): string {
  const json = {
    format: 'graph-model',
    signature: {
      inputs: { 'x:0': { name: 'x:0', dtype: 'DT_FLOAT', tensorShape: shape([1, 4, 4, 2]) } },
      outputs: { [`${output.name}:0`]: { name: `${output.name}:0`, dtype: 'DT_FLOAT', tensorShape: shape(output.dims) } },
    },
    modelTopology: { node: nodes, versions: {} },
    weightsManifest: [{ paths: ['w.bin'], weights: weights.map(({ name, shape: s }) => ({ name, shape: s, dtype: 'float32' })) }],
  };
  writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
  writeFileSync(path.join(dir, 'w.bin'), Buffer.from(Float32Array.from(weights.flatMap((w) => w.values)).buffer));
  return path.join(dir, 'model.json');
}

const placeholder: TfNode = { name: 'x', op: 'Placeholder', attr: { dtype: float, shape: { shape: shape([1, 4, 4, 2]) } } };
const constant = (name: string, dims: number[]): TfNode => ({ name, op: 'Const', attr: { dtype: float, value: { tensor: { dtype: 'DT_FLOAT', tensorShape: shape(dims) } } as never } });

describe('TF.js → ONNX converter, small graphs', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vsp-converter-ops-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('tells transpose pairs that cancel out', () => {
    assert.equal(composesToIdentity([0, 2, 3, 1], [0, 3, 1, 2]), true);
    assert.equal(composesToIdentity([0, 3, 1, 2], [0, 2, 3, 1]), true);
    assert.equal(composesToIdentity([0, 2, 3, 1], [0, 2, 3, 1]), false);
    assert.equal(composesToIdentity([0, 2, 1], [0, 2, 1, 3]), false);
  });

  it('converts an NHWC Conv2D (3x3, stride 2, SAME) + BiasAdd into one Conv with bias, batch dynamic, matching TF.js', async () => {
    const filter = Array.from({ length: 3 * 3 * 2 * 3 }, (_, i) => Math.sin(i));
    const bias = [0.5, -1, 2];
    const file = writeGraph(
      dir,
      [
        placeholder,
        constant('filter', [3, 3, 2, 3]),
        constant('bias', [3]),
        {
          name: 'conv',
          op: 'Conv2D',
          input: ['x', 'filter'],
          attr: { T: float, strides: { list: { i: ['1', '2', '2', '1'] } }, padding: { s: b64('SAME') }, data_format: { s: b64('NHWC') }, dilations: { list: { i: ['1', '1', '1', '1'] } } },
        },
        { name: 'biased', op: 'BiasAdd', input: ['conv', 'bias'], attr: { T: float, data_format: { s: b64('NHWC') } } },
        { name: 'out', op: 'Identity', input: ['biased'], attr: { T: float } },
      ],
      [
        { name: 'filter', shape: [3, 3, 2, 3], values: filter },
        { name: 'bias', shape: [3], values: bias },
      ],
      { name: 'out', dims: [1, 2, 2, 3] },
    );
    const graph = await loadTfjsGraph(file);
    const bytes = tfjsGraphToOnnx(graph);
    const model = onnxProto.onnx.ModelProto.decode(bytes);
    const conv = model.graph!.node!.filter((n) => n.opType === 'Conv');
    assert.equal(conv.length, 1);
    assert.equal(conv[0]!.input!.length, 3, 'bias fused into the Conv');
    assert.deepEqual(model.graph!.node!.map((n) => n.opType), ['Transpose', 'Conv', 'Transpose', 'Identity']);

    const session = await ort.InferenceSession.create(bytes);
    const inputs = [0, 1, 2].map((k) => Float32Array.from({ length: 32 }, (_, i) => Math.cos(i * (k + 1))));
    const batch = new Float32Array(96);
    inputs.forEach((x, k) => batch.set(x, k * 32));
    const out = (await session.run({ x: new ort.Tensor('float32', batch, [3, 4, 4, 2]) })).out!;
    assert.deepEqual(out.dims, [3, 2, 2, 3]);
    for (const [k, x] of inputs.entries()) {
      const expected = runTfjsGraph(graph, x, [1, 4, 4, 2]).get('out:0')!;
      const actual = (out.data as Float32Array).subarray(k * 12, (k + 1) * 12);
      expected.forEach((v, i) => assert.ok(Math.abs(v - actual[i]!) < 1e-5, `item ${k} value ${i}: ${actual[i]} vs ${v}`));
    }
    await session.release();
    graph.model.dispose();
  });

  it('names the TF.js op it cannot convert', async () => {
    const file = writeGraph(dir, [placeholder, { name: 'out', op: 'Relu6', input: ['x'], attr: { T: float } }], [], { name: 'out', dims: [1, 4, 4, 2] });
    const graph = await loadTfjsGraph(file);
    assert.throws(() => tfjsGraphToOnnx(graph), /TF\.js op Relu6 \(out\) is not supported/);
    graph.model.dispose();
  });
});
