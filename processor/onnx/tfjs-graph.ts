// Loads a TF.js graph model (model.json + weight shards) from disk with the pure-JS CPU backend:
// the converter reads its topology and constants from it, the conversion test runs it as the
// reference. Too slow for inference (seconds per frame), which is why we convert to ONNX.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';

/** One attribute value of a TF NodeDef as TF.js stores it in model.json (protobuf JSON form). */
export interface TfAttr {
  i?: string;
  f?: number;
  b?: boolean;
  s?: string;
  type?: string;
  list?: { i?: string[]; f?: number[]; s?: string[] };
  shape?: { dim?: { size: string }[]; unknownRank?: boolean };
}

export interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, TfAttr>;
}

interface TensorSignature {
  name: string;
  dtype?: string;
  tensorShape?: { dim?: { size: string }[] };
}

interface ModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
  signature?: { inputs?: Record<string, TensorSignature>; outputs?: Record<string, TensorSignature> };
  modelTopology: { node: TfNode[] };
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

export interface TfjsGraph {
  nodes: TfNode[];
  /** Signature outputs ("Identity:0"), with their static shapes where model.json records them. */
  outputs: { name: string; shape: number[] | undefined }[];
  model: GraphModel;
}

export async function loadTfjsGraph(jsonPath: string): Promise<TfjsGraph> {
  const json = JSON.parse(await readFile(jsonPath, 'utf8')) as ModelJson;
  const dir = path.dirname(jsonPath);
  const shards: Buffer[] = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths) shards.push(await readFile(path.join(dir, p)));
  }
  const weights = Buffer.concat(shards);
  // PROD silences the "install tfjs-node" banner, which is no use here (it downloads at install).
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
  const model = await loadGraphModel({
    load: async () => ({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
      format: json.format,
      generatedBy: json.generatedBy,
      convertedBy: json.convertedBy,
      signature: json.signature,
    }),
  });
  const outputs = Object.values(json.signature?.outputs ?? {}).map((o) => ({
    name: o.name,
    shape: o.tensorShape?.dim?.map((d) => Number(d.size)),
  }));
  if (outputs.length === 0) throw new Error(`${jsonPath}: model.json has no signature outputs`);
  return { nodes: json.modelTopology.node, outputs, model };
}

/** Runs the TF.js graph on its one input (float32, `shape`); returns each signature output by name. */
export function runTfjsGraph(graph: TfjsGraph, input: Float32Array, shape: number[]): Map<string, Float32Array> {
  const x = tf.tensor(input, shape, 'float32');
  const names = graph.outputs.map((o) => o.name);
  const results = executeAll(graph.model, x, names);
  const out = new Map<string, Float32Array>();
  results.forEach((t, i) => out.set(names[i]!, t.dataSync() as Float32Array));
  tf.dispose([x, ...results]);
  return out;
}

/** GraphModel.execute, always as a list (it returns a bare tensor when one output is asked for). */
export function executeAll(model: GraphModel, inputs: tf.Tensor | tf.NamedTensorMap, names: string[]): tf.Tensor[] {
  const out = model.execute(inputs, names);
  return Array.isArray(out) ? out : [out];
}
