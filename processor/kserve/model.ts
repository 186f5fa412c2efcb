// One model on a KServe v2 server (Triton, KServe, MLServer) as a staged model: frames are
// prepared and decoded here exactly as by the onnx implementation (the same DetectionHead), and
// the inference in between is a ModelInfer call. load() waits for the server and the model to be
// ready, binds the model's metadata to the format and runs one trial inference.
import { status } from '@grpc/grpc-js';
import type { Frame__Output } from '../../common/gen/vsp/v1/Frame.js';
import type { ChannelSecurity } from '../../common/grpc.js';
import type { Logger } from '../../common/log.js';
import type { Detection } from '../detector.js';
import type { FloatTensor } from '../onnx/candidate.js';
import { DetectionHead, batchInput, checkHeadOptions, type HeadOptions } from '../onnx/head.js';
import type { Placement } from '../onnx/letterbox.js';
import type { InputSpec, PreparedFrame } from '../onnx/preprocess.js';
import type { StagedModel } from '../onnx/staged-detector.js';
import { KServeClient, describeGrpcError, isGrpcStatus } from './client.js';
import { bindModel, checkOutputs, type ModelBinding } from './metadata.js';
import { decodeOutput, encodeFloats } from './tensors.js';

export interface KServeModelOptions extends HeadOptions {
  /** HOST:PORT of the server's gRPC endpoint. */
  target: string;
  model: string;
  /** '' lets the server choose. */
  version: string;
  /** Input to feed (needed when the model has several). */
  input?: string;
  /** Outputs to decode, in the decoder's order (default: all). */
  outputs?: string[];
  security: ChannelSecurity;
  /** How long to wait at start for the server and the model to be ready. */
  readyTimeoutMs: number;
  /** Deadline of one ModelInfer. */
  inferTimeoutMs: number;
  log: () => Logger;
}

const CHECK_DEADLINE_MS = 2000;

/** gRPC answers that waiting will not change. */
const FATAL = [status.UNAUTHENTICATED, status.PERMISSION_DENIED, status.UNIMPLEMENTED, status.NOT_FOUND, status.INVALID_ARGUMENT];

/** Why the model cannot serve now (undefined: it can); throws for what waiting cannot fix. */
async function notReady(client: KServeClient, model: string, version: string): Promise<string | undefined> {
  const named = `model '${model}'${version ? ` version ${version}` : ''}`;
  try {
    if (!(await client.serverLive(CHECK_DEADLINE_MS))) return 'the server is not live';
    if (!(await client.serverReady(CHECK_DEADLINE_MS))) return 'the server is live but not ready';
    if (await client.modelReady(model, version, CHECK_DEADLINE_MS)) return undefined;
  } catch (err) {
    if (isGrpcStatus(err, status.NOT_FOUND)) throw new Error(`the server has no ${named} (${describeGrpcError(err)})`);
    if (FATAL.some((code) => isGrpcStatus(err, code))) throw new Error(describeGrpcError(err));
    return `the server is not reachable (${describeGrpcError(err)})`;
  }
  // Servers answer ModelReady "false" for a model they do not have; its metadata tells which.
  try {
    await client.modelMetadata(model, version, CHECK_DEADLINE_MS);
  } catch (err) {
    if (isGrpcStatus(err, status.NOT_FOUND)) throw new Error(`the server has no ${named} (${describeGrpcError(err)})`);
  }
  return `${named} is not ready (the server is live and ready)`;
}

async function waitUntilReady(client: KServeClient, o: KServeModelOptions): Promise<void> {
  const deadline = Date.now() + o.readyTimeoutMs;
  let warned = false;
  for (;;) {
    const why = await notReady(client, o.model, o.version);
    if (why === undefined) return;
    if (Date.now() >= deadline) throw new Error(`${why}; waited ${Math.round(o.readyTimeoutMs / 1000)} s (--ready-timeout-s)`);
    if (!warned) o.log().warn({ target: o.target, model: o.model }, `inference server ${o.target}: ${why}; waiting up to ${Math.round(o.readyTimeoutMs / 1000)} s`);
    warned = true;
    await new Promise((r) => setTimeout(r, 500));
  }
}

export class KServeModel implements StagedModel {
  private constructor(
    private readonly client: KServeClient,
    private readonly o: KServeModelOptions,
    private readonly binding: ModelBinding,
    private readonly head: DetectionHead,
    /** The server's name and version, as its ServerMetadata gives them. */
    readonly server: string,
  ) {}

  /** Waits for the model to be ready, checks it fits the format; throws one line naming server and model. */
  static async load(o: KServeModelOptions): Promise<KServeModel> {
    checkHeadOptions(o);
    const client = new KServeClient(o.target, o.security);
    try {
      await waitUntilReady(client, o);
      const meta = await client.modelMetadata(o.model, o.version, CHECK_DEADLINE_MS).catch((err) => {
        throw new Error(`ModelMetadata failed: ${describeGrpcError(err)}`);
      });
      const binding = bindModel(meta, { format: o.format, input: o.input, outputs: o.outputs });
      // A trial inference on a blank frame: checks the outputs fit the format (as the onnx
      // implementation does with its model file) and warms the server's model up.
      const trial = await infer(client, o, binding, new Float32Array(3 * binding.spec.width * binding.spec.height), 1);
      checkOutputs(o.model, binding, trial, 1);
      let head: DetectionHead;
      try {
        head = DetectionHead.create(o, binding.spec, trial);
      } catch (err) {
        throw new Error(`its outputs do not fit --format ${o.format}: ${(err as Error).message}`);
      }
      const about = await client.serverMetadata(CHECK_DEADLINE_MS).catch(() => undefined);
      return new KServeModel(client, o, binding, head, about ? `${about.name} ${about.version}`.trim() : 'v2 server');
    } catch (err) {
      client.close();
      throw new Error(`kserve ${o.target}, model '${o.model}': ${(err as Error).message}`, { cause: err });
    }
  }

  get spec(): InputSpec {
    return this.binding.spec;
  }

  get labels(): string[] {
    return this.head.labels;
  }

  /** 1 when the model's batch is fixed at 1, else Infinity. */
  get batchLimit(): number {
    return this.binding.batchLimit;
  }

  get input(): ModelBinding['input'] {
    return this.binding.input;
  }

  get outputNames(): string[] {
    return this.binding.outputs.map((t) => t.name);
  }

  prepare(frame: Frame__Output): Promise<PreparedFrame> {
    return this.head.prepare(frame);
  }

  /** One ModelInfer over the frames; outputs in the decoder's order. */
  infer(frames: readonly PreparedFrame[]): Promise<FloatTensor[]> {
    return infer(this.client, this.o, this.binding, batchInput(frames, this.spec), frames.length);
  }

  detections(outputs: readonly FloatTensor[], index: number, placement: Placement): Detection[] {
    return this.head.detections(outputs, index, placement);
  }

  /** Why the model cannot serve now (ServerLive, ServerReady, ModelReady), or undefined when it can. */
  notReady(): Promise<string | undefined> {
    return notReady(this.client, this.o.model, this.o.version).catch((err: Error) => err.message);
  }

  async release(): Promise<void> {
    this.client.close();
  }
}

/** One ModelInfer of `batch` frames' planes; the outputs in the binding's order. */
async function infer(client: KServeClient, o: KServeModelOptions, binding: ModelBinding, planes: Float32Array, batch: number): Promise<FloatTensor[]> {
  const { name, datatype } = binding.input;
  const request = {
    model: o.model,
    version: o.version,
    inputs: [{ name, datatype, shape: [batch, 3, binding.spec.height, binding.spec.width], raw: encodeFloats(planes, datatype) }],
    outputs: o.outputs ?? [],
  };
  const answer = await client.modelInfer(request, o.inferTimeoutMs).catch((err: unknown) => {
    throw new Error(`inference server ${o.target}: ModelInfer '${o.model}' failed: ${describeGrpcError(err)}`, { cause: err });
  });
  return binding.outputs.map((meta): FloatTensor => {
    const out = answer.find((a) => a.name === meta.name);
    if (!out) throw new Error(`inference server ${o.target}: model '${o.model}' did not return output '${meta.name}'`);
    return decodeOutput(out);
  });
}
