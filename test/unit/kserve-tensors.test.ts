// `--impl kserve` without a server: tensors on the v2 wire (FP32, FP16, unaligned buffers) and the
// checks of a model's metadata against the format, each refusal one line.
import assert from 'node:assert/strict';
import type { ModelMetadata } from '../../processor/kserve/client.js';
import { bindModel, checkOutputs } from '../../processor/kserve/metadata.js';
import { decodeOutput, encodeFloats, fromHalf, toHalf } from '../../processor/kserve/tensors.js';

describe('kserve tensors', () => {
  it('converts float32 to half precision and back like IEEE 754 (round to nearest even)', () => {
    const cases: [number, number][] = [
      [0, 0x0000], [-0, 0x8000], [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [65504, 0x7bff], [1e6, 0x7c00], [-Infinity, 0xfc00],
      [2 ** -24, 0x0001], [2 ** -14, 0x0400], [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02], [2 ** -26, 0x0000],
    ];
    for (const [value, bits] of cases) assert.equal(toHalf(value), bits, `${value}`);
    assert.ok(Number.isNaN(fromHalf(toHalf(NaN))));
    for (const v of [0.1, -1.7, 123.456, 2.5e-5]) assert.ok(Math.abs(fromHalf(toHalf(v)) - v) <= Math.abs(v) * 2 ** -11 + 2 ** -25, `${v}`);
    for (let h = 0; h < 0x7c00; h += 7) assert.equal(toHalf(fromHalf(h)), h, `half ${h} round trip`);
  });

  it('encodes FP32 as the float bytes and FP16 as half bits, little endian', () => {
    const data = Float32Array.from([1, -2, 0.5]);
    assert.deepEqual([...encodeFloats(data, 'FP32')], [...new Uint8Array(data.buffer)]);
    assert.deepEqual([...encodeFloats(data, 'FP16')], [0x00, 0x3c, 0x00, 0xc0, 0x00, 0x38]);
  });

  it('decodes raw outputs at any byte offset, FP16 outputs and typed fp32 contents; refuses a wrong size', () => {
    const values = Float32Array.from([1.5, -3, 7, 0.25, 9, 10]);
    const unaligned = Buffer.concat([Buffer.from([0xaa]), Buffer.from(values.buffer)]).subarray(1);
    assert.equal(unaligned.byteOffset % 4 === 0, false);
    assert.deepEqual(decodeOutput({ name: 'o', datatype: 'FP32', shape: [1, 2, 3], raw: unaligned }), { data: values, dims: [1, 2, 3] });
    const half = Buffer.from(encodeFloats(values, 'FP16'));
    assert.deepEqual([...decodeOutput({ name: 'o', datatype: 'FP16', shape: [1, 2, 3], raw: half }).data], [...values]);
    assert.deepEqual([...decodeOutput({ name: 'o', datatype: 'FP32', shape: [1, 6, 1], fp32: [...values] }).data], [...values]);
    assert.throws(() => decodeOutput({ name: 'o', datatype: 'FP32', shape: [1, 2, 4], raw: unaligned }), { message: "output 'o' FP32 [1, 2, 4]: 24 bytes of data, expected 32" });
    assert.throws(() => decodeOutput({ name: 'o', datatype: 'INT8', shape: [1], raw: Buffer.alloc(1) }), /only FP32 and FP16 outputs/);
  });
});

describe('kserve model metadata checks', () => {
  const nanodet: ModelMetadata = {
    name: 'nanodet',
    versions: [],
    platform: 'onnxruntime_onnx',
    inputs: [{ name: 'input_1', datatype: 'FP32', shape: [-1, 3, 416, 416] }],
    outputs: [
      { name: 'cls8', datatype: 'FP32', shape: [-1, 2704, 80] },
      { name: 'box8', datatype: 'FP16', shape: [-1, 2704, 44] },
    ],
  };

  it('binds the only input, every output, the input size and a variable batch', () => {
    const b = bindModel(nanodet, { format: 'nanodet' });
    assert.deepEqual(b.input, { name: 'input_1', datatype: 'FP32' });
    assert.deepEqual(b.outputs.map((o) => o.name), ['cls8', 'box8']);
    assert.deepEqual([b.spec.width, b.spec.height, b.spec.channels, b.batchLimit], [416, 416, 'bgr', Infinity]);
    const fixed = bindModel({ ...nanodet, inputs: [{ name: 'x', datatype: 'FP16', shape: [1, 3, 320, 640] }] }, { format: 'yolov8', outputs: ['box8'] });
    assert.deepEqual([fixed.input.datatype, fixed.spec.width, fixed.spec.height, fixed.batchLimit, fixed.outputs.length], ['FP16', 640, 320, 1, 1]);
  });

  it('refuses, in one line naming model and tensor, what the format cannot take', () => {
    const refuse = (meta: Partial<ModelMetadata>, o: Parameters<typeof bindModel>[1] = { format: 'nanodet' }) => () => bindModel({ ...nanodet, ...meta }, o);
    assert.throws(refuse({ inputs: [{ name: 'images', datatype: 'FP32', shape: [-1, 416, 416, 3] }] }), {
      message: "model 'nanodet' input 'images' is FP32 [-1, 416, 416, 3]; --format nanodet needs [batch, 3, height, width]",
    });
    assert.throws(refuse({ inputs: [{ name: 'images', datatype: 'UINT8', shape: [-1, 3, 416, 416] }] }), { message: "model 'nanodet' input 'images' is UINT8 [-1, 3, 416, 416]; --impl kserve sends FP32 or FP16" });
    assert.throws(refuse({ inputs: [{ name: 'images', datatype: 'FP32', shape: [8, 3, 416, 416] }] }), {
      message: "model 'nanodet' input 'images' is FP32 [8, 3, 416, 416]: the model's batch is fixed at 8; export it with a dynamic batch (or batch 1)",
    });
    assert.throws(refuse({}, { format: 'nanodet', input: 'images' }), { message: "model 'nanodet' has no input 'images' (its inputs: input_1)" });
    assert.throws(refuse({ inputs: [nanodet.inputs[0]!, { name: 'scale', datatype: 'FP32', shape: [-1, 1] }] }), { message: "model 'nanodet' has 2 inputs (input_1, scale); name the image input with --input" });
    assert.throws(refuse({}, { format: 'nanodet', outputs: ['cls8', 'boxes'] }), { message: "model 'nanodet' has no output 'boxes' (its outputs: cls8, box8)" });
    assert.throws(refuse({ outputs: [{ name: 'n', datatype: 'INT64', shape: [-1, 1, 1] }] }), /output 'n' is INT64 \[-1, 1, 1\]; only FP32 and FP16 outputs can be decoded/);
    assert.throws(refuse({ outputs: [{ name: 'flat', datatype: 'FP32', shape: [-1, 100] }] }), { message: "model 'nanodet' output 'flat' is FP32 [-1, 100]; --format nanodet reads [batch, rows, columns] outputs" });
  });

  it('checks the outputs of an inference against the metadata', () => {
    const b = bindModel(nanodet, { format: 'nanodet' });
    const tensor = (dims: number[]) => ({ data: new Float32Array(dims.reduce((a, c) => a * c, 1)), dims });
    checkOutputs('nanodet', b, [tensor([2, 2704, 80]), tensor([2, 2704, 44])], 2);
    assert.throws(() => checkOutputs('nanodet', b, [tensor([1, 2704, 80]), tensor([1, 676, 44])], 1), {
      message: "model 'nanodet' output 'box8' came back [1, 676, 44] for 1 frame(s); its metadata says [-1, 2704, 44]",
    });
  });
});
