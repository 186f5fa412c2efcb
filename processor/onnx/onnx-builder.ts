// A small ONNX graph under construction (nodes, initializers, inputs, outputs), a clean-up pass for
// the layout transposes a TF graph converts into, and serialisation with onnx-proto.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
type NodeProto = onnxProto.onnx.INodeProto;
type AttributeProto = onnxProto.onnx.IAttributeProto;

/** Opset 18: the first with Resize's `axes`, which lets a resize to fixed H,W keep a dynamic batch. */
const OPSET = 18;

const DataType = { float32: 1, int32: 6, int64: 7 } as const;
export type ElemType = keyof typeof DataType;

export const attr = {
  int: (name: string, i: number): AttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INT, i }),
  ints: (name: string, ints: number[]): AttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints }),
  float: (name: string, f: number): AttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f }),
  string: (name: string, s: string): AttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.STRING, s: Buffer.from(s) }),
};

/** A dimension: a size, or a name for one only known at run time (the batch). */
export type Dim = number | string;

export class OnnxGraph {
  private readonly nodes: NodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly used = new Set<string>();

  /** A value name not used yet, derived from `base`. */
  fresh(base: string): string {
    let name = base;
    for (let k = 1; this.used.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }

  reserve(name: string): string {
    if (this.used.has(name)) throw new Error(`ONNX value name used twice: ${name}`);
    this.used.add(name);
    return name;
  }

  initializer(base: string, type: ElemType, dims: number[], values: ArrayLike<number>): string {
    const name = this.fresh(base);
    const data =
      type === 'float32' ? Float32Array.from(values) : type === 'int32' ? Int32Array.from(values) : BigInt64Array.from(Array.from(values, (v) => BigInt(v)));
    this.initializers.push({ name, dims, dataType: DataType[type], rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
    return name;
  }

  node(opType: string, inputs: string[], outputs: string[], attributes: AttributeProto[] = []): void {
    this.nodes.push({ opType, input: inputs, output: outputs, attribute: attributes, name: outputs[0] ?? opType });
  }

  /** Adds a node with one fresh output and returns that output's name. */
  op(opType: string, inputs: string[], base: string, attributes: AttributeProto[] = []): string {
    const out = this.fresh(base);
    this.node(opType, inputs, [out], attributes);
    return out;
  }

  input(name: string, type: ElemType, dims: Dim[]): void {
    this.inputs.push(valueInfo(this.reserve(name), type, dims));
  }

  output(name: string, type: ElemType, dims: Dim[] | undefined): void {
    this.outputs.push(valueInfo(name, type, dims));
  }

  /**
   * Removes Transpose pairs that undo each other (NHWC→NCHW straight after NCHW→NHWC: TF graphs
   * exported from PyTorch are full of them, and wrapping NHWC ops adds more), then nodes whose
   * outputs nobody reads. What is left is the plain NCHW graph, for onnxruntime's own fusions
   * (Pad and activation into Conv) and for whoever inspects the file.
   */
  simplify(): void {
    const outputs = new Set(this.outputs.map((o) => o.name!));
    for (let changed = true; changed; ) {
      changed = false;
      const producer = new Map<string, NodeProto>();
      for (const n of this.nodes) for (const o of n.output ?? []) producer.set(o, n);
      for (const second of this.nodes) {
        if (second.opType !== 'Transpose') continue;
        const first = producer.get(second.input![0]!);
        if (first?.opType !== 'Transpose') continue;
        const out = second.output![0]!;
        if (outputs.has(out) || !composesToIdentity(permOf(first), permOf(second))) continue;
        const source = first.input![0]!;
        for (const n of this.nodes) n.input = n.input!.map((i) => (i === out ? source : i));
        changed = true;
      }
      changed = this.removeDead(outputs) || changed;
    }
  }

  private removeDead(outputs: Set<string>): boolean {
    const read = new Set(outputs);
    for (const n of this.nodes) for (const i of n.input ?? []) read.add(i);
    const before = this.nodes.length;
    const live = this.nodes.filter((n) => n.output!.some((o) => read.has(o)));
    this.nodes.splice(0, this.nodes.length, ...live);
    return live.length !== before;
  }

  /** Serialises the model; nodes must already be in topological order. */
  encode(meta: { producer: string; doc: string }): Uint8Array {
    const read = new Set(this.nodes.flatMap((n) => n.input ?? []));
    const model = onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: OPSET }],
      producerName: meta.producer,
      docString: meta.doc,
      graph: {
        name: 'main',
        node: this.nodes,
        initializer: this.initializers.filter((t) => read.has(t.name!)),
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function valueInfo(name: string, type: ElemType, dims: Dim[] | undefined): onnxProto.onnx.IValueInfoProto {
  const shape = dims && { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) };
  return { name, type: { tensorType: { elemType: DataType[type], ...(shape && { shape }) } } };
}

function permOf(node: NodeProto): number[] {
  const perm = node.attribute?.find((a) => a.name === 'perm')?.ints;
  if (!perm) throw new Error(`Transpose ${node.name} has no perm`);
  return perm.map(Number);
}

/** True when transposing by `first` then by `second` leaves every axis where it was. */
export function composesToIdentity(first: number[], second: number[]): boolean {
  return first.length === second.length && second.every((axis, i) => first[axis] === i);
}
