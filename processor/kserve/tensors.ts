// Tensors on the wire of the v2 protocol: float planes to raw_input_contents bytes (FP32, or FP16
// as IEEE half floats), and outputs back to the FloatTensors the decoders read. Raw contents are
// little endian; output buffers are copied, since protobuf bytes can start at any offset.
import os from 'node:os';
import type { FloatTensor } from '../onnx/candidate.js';
import type { InferOutput } from './client.js';

/** The float data types a detector model may take and give. */
export const FLOAT_TYPES = ['FP32', 'FP16'] as const;
export type FloatType = (typeof FLOAT_TYPES)[number];

export function isFloatType(datatype: string): datatype is FloatType {
  return (FLOAT_TYPES as readonly string[]).includes(datatype);
}

if (os.endianness() !== 'LE') throw new Error('the KServe tensor coding assumes a little-endian CPU');

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → IEEE 754 half-precision bits, rounding to nearest even (like numpy's astype(float16)). */
export function toHalf(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0); // Inf, NaN
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow → Inf
  if (e <= 0) {
    // Subnormal half (or zero): shift the mantissa, with its implicit 1, into place.
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    let half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const midpoint = 1 << (shift - 1);
    if (rest > midpoint || (rest === midpoint && half & 1)) half++;
    return sign | half;
  }
  let half = sign | (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // Round to nearest even; a carry into the exponent is still right (up to Inf).
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  return half;
}

/** IEEE 754 half-precision bits → number. */
export function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >>> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** Every half-precision value as float32, made on first use (256 KiB). */
let halfTable: Float32Array | undefined;

/** A float tensor's raw_input_contents in the model's data type. */
export function encodeFloats(data: Float32Array, datatype: FloatType): Uint8Array {
  if (datatype === 'FP32') return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const half = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) half[i] = toHalf(data[i]!);
  return new Uint8Array(half.buffer);
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** An output as float32 data with its shape; throws on a data type or size that does not fit. */
export function decodeOutput(out: InferOutput): FloatTensor {
  const count = elementCount(out.shape);
  const bad = (what: string): Error => new Error(`output '${out.name}' ${out.datatype} [${out.shape.join(', ')}]: ${what}`);
  if (!isFloatType(out.datatype)) throw bad(`only ${FLOAT_TYPES.join(' and ')} outputs are supported`);
  if (out.raw) {
    const size = out.datatype === 'FP32' ? 4 : 2;
    if (out.raw.length !== count * size) throw bad(`${out.raw.length} bytes of data, expected ${count * size}`);
    // Copied into fresh (aligned) memory: typed array views need an aligned offset.
    const bytes = new Uint8Array(out.raw);
    if (out.datatype === 'FP32') return { data: new Float32Array(bytes.buffer), dims: out.shape };
    const half = new Uint16Array(bytes.buffer);
    const table = (halfTable ??= Float32Array.from({ length: 0x10000 }, (_, h) => fromHalf(h)));
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) data[i] = table[half[i]!]!;
    return { data, dims: out.shape };
  }
  if (out.datatype === 'FP32' && out.fp32 && out.fp32.length === count) return { data: Float32Array.from(out.fp32), dims: out.shape };
  throw bad(`no data for ${count} elements (neither raw_output_contents nor fp32_contents)`);
}
