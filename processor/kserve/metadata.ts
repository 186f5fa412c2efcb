// What `--impl kserve` checks in a served model's ModelMetadata before sending it a frame: the
// input and outputs it will use (names, data types, shapes), in the layout the onnx implementation
// requires of a model file. Each problem is one Error line naming the model and the tensor.
import type { ModelFormat } from '../onnx/formats.js';
import { inputLayout } from '../onnx/head.js';
import type { InputSpec } from '../onnx/preprocess.js';
import type { FloatTensor } from '../onnx/candidate.js';
import type { ModelMetadata, TensorMetadata } from './client.js';
import { FLOAT_TYPES, isFloatType, type FloatType } from './tensors.js';

export interface ModelBinding {
  input: { name: string; datatype: FloatType };
  /** The outputs asked for, in the order the decoder reads them. */
  outputs: TensorMetadata[];
  spec: InputSpec;
  /** 1 when the model's batch dimension is fixed at 1, else Infinity. */
  batchLimit: number;
}

export interface BindOptions {
  format: ModelFormat;
  /** The input to feed (required when the model has several). */
  input?: string;
  /** The outputs to read (default: all, in metadata order). */
  outputs?: string[];
}

const shapeText = (t: TensorMetadata): string => `${t.datatype} [${t.shape.join(', ')}]`;
const names = (ts: readonly TensorMetadata[]): string => ts.map((t) => t.name).join(', ');

export function bindModel(meta: ModelMetadata, o: BindOptions): ModelBinding {
  const model = `model '${meta.name}'`;
  let input: TensorMetadata | undefined;
  if (o.input !== undefined) {
    input = meta.inputs.find((t) => t.name === o.input);
    if (!input) throw new Error(`${model} has no input '${o.input}' (its inputs: ${names(meta.inputs) || 'none'})`);
  } else if (meta.inputs.length === 1) {
    input = meta.inputs[0]!;
  } else {
    throw new Error(`${model} has ${meta.inputs.length} inputs (${names(meta.inputs) || 'none'}); name the image input with --input`);
  }
  if (!isFloatType(input.datatype)) throw new Error(`${model} input '${input.name}' is ${shapeText(input)}; --impl kserve sends ${FLOAT_TYPES.join(' or ')}`);
  if (input.shape.length !== 4 || input.shape[1] !== 3) throw new Error(`${model} input '${input.name}' is ${shapeText(input)}; --format ${o.format} needs [batch, 3, height, width]`);
  let layout: ReturnType<typeof inputLayout>;
  try {
    layout = inputLayout(o.format, input.shape);
  } catch (err) {
    throw new Error(`${model} input '${input.name}' is ${shapeText(input)}: ${(err as Error).message}`);
  }

  const outputs = (o.outputs ?? meta.outputs.map((t) => t.name)).map((name) => {
    const t = meta.outputs.find((x) => x.name === name);
    if (!t) throw new Error(`${model} has no output '${name}' (its outputs: ${names(meta.outputs) || 'none'})`);
    if (!isFloatType(t.datatype)) throw new Error(`${model} output '${name}' is ${shapeText(t)}; only ${FLOAT_TYPES.join(' and ')} outputs can be decoded`);
    if (t.shape.length !== 3) throw new Error(`${model} output '${name}' is ${shapeText(t)}; --format ${o.format} reads [batch, rows, columns] outputs`);
    return t;
  });
  if (outputs.length === 0) throw new Error(`${model} has no outputs`);
  return { input: { name: input.name, datatype: input.datatype }, outputs, spec: layout.spec, batchLimit: layout.batchLimit };
}

/** Checks the outputs of an inference of `batch` frames against the metadata (-1 matches any size). */
export function checkOutputs(modelName: string, binding: ModelBinding, outputs: readonly FloatTensor[], batch: number): void {
  binding.outputs.forEach((meta, i) => {
    const dims = outputs[i]!.dims;
    const fits = dims.length === meta.shape.length && dims[0] === batch && meta.shape.every((d, k) => d < 0 || d === dims[k]);
    if (!fits) throw new Error(`model '${modelName}' output '${meta.name}' came back [${dims.join(', ')}] for ${batch} frame(s); its metadata says [${meta.shape.join(', ')}]`);
  });
}
