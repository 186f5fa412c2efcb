// A client of the KServe v2 / Open Inference Protocol gRPC API (inference.GRPCInferenceService,
// protos/inference/grpc_predict_v2.proto): the calls `--impl kserve` makes to Triton, KServe,
// MLServer or any server speaking it. Messages are coded with protobufjs straight from the .proto.
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { createChannel, type ChannelSecurity } from '../../common/grpc.js';
import { PROTO_DIR } from '../../common/proto.js';

export interface TensorMetadata {
  name: string;
  datatype: string;
  /** -1: variable. */
  shape: number[];
}

export interface ModelMetadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
}

export interface InferInput extends TensorMetadata {
  /** The tensor's bytes, row-major, little endian (raw_input_contents). */
  raw: Uint8Array;
}

/** An output as the server sent it: raw bytes, or typed contents (servers that do not send raw). */
export interface InferOutput extends TensorMetadata {
  raw?: Buffer;
  fp32?: number[];
}

export interface InferRequest {
  model: string;
  version: string;
  inputs: InferInput[];
  /** Outputs wanted (empty: all). */
  outputs: string[];
}

const SERVICE = '/inference.GRPCInferenceService/';
const CONVERSION: protobuf.IConversionOptions = { longs: Number, enums: String, defaults: true, arrays: true };

let types: protobuf.Root | undefined;
function lookup(name: string): protobuf.Type {
  types ??= protobuf.loadSync(path.join(PROTO_DIR, 'inference/grpc_predict_v2.proto'));
  return types.lookupType(`inference.${name}`);
}

export { describeGrpcError } from '../../common/grpc.js';

export function isGrpcStatus(err: unknown, code: grpc.status): boolean {
  return (err as Partial<grpc.ServiceError>).code === code;
}

export class KServeClient {
  private readonly client: grpc.Client;

  constructor(
    readonly address: string,
    security: ChannelSecurity = {},
  ) {
    // A restarted server is found within a second or two (grpc-js backs off up to 2 minutes otherwise).
    this.client = createChannel(address, security, { 'grpc.initial_reconnect_backoff_ms': 250, 'grpc.max_reconnect_backoff_ms': 1000 });
  }

  private unary<Res>(method: string, request: object, deadlineMs: number): Promise<Res> {
    const requestType = lookup(`${method}Request`);
    const responseType = lookup(`${method}Response`);
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        SERVICE + method,
        (r: object) => {
          const bytes = requestType.encode(requestType.fromObject(r)).finish();
          return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength); // a view: requests carry megabytes
        },
        (b: Buffer) => responseType.toObject(responseType.decode(b), CONVERSION) as Res,
        request,
        new grpc.Metadata(),
        { deadline: Date.now() + deadlineMs },
        (err, response) => (err || response === undefined ? reject(err ?? new Error(`${method}: empty response`)) : resolve(response)),
      );
    });
  }

  async serverLive(deadlineMs: number): Promise<boolean> {
    return (await this.unary<{ live: boolean }>('ServerLive', {}, deadlineMs)).live;
  }

  async serverReady(deadlineMs: number): Promise<boolean> {
    return (await this.unary<{ ready: boolean }>('ServerReady', {}, deadlineMs)).ready;
  }

  async modelReady(name: string, version: string, deadlineMs: number): Promise<boolean> {
    return (await this.unary<{ ready: boolean }>('ModelReady', { name, version }, deadlineMs)).ready;
  }

  serverMetadata(deadlineMs: number): Promise<{ name: string; version: string; extensions: string[] }> {
    return this.unary('ServerMetadata', {}, deadlineMs);
  }

  modelMetadata(name: string, version: string, deadlineMs: number): Promise<ModelMetadata> {
    return this.unary('ModelMetadata', { name, version }, deadlineMs);
  }

  async modelInfer(r: InferRequest, deadlineMs: number): Promise<InferOutput[]> {
    const response = await this.unary<{
      outputs: (TensorMetadata & { contents: { fp32Contents: number[] } | null })[];
      rawOutputContents: Buffer[];
    }>(
      'ModelInfer',
      {
        modelName: r.model,
        modelVersion: r.version,
        inputs: r.inputs.map(({ name, datatype, shape }) => ({ name, datatype, shape })),
        outputs: r.outputs.map((name) => ({ name })),
        rawInputContents: r.inputs.map((i) => i.raw),
      },
      deadlineMs,
    );
    const raw = response.rawOutputContents;
    if (raw.length > 0 && raw.length !== response.outputs.length) throw new Error(`ModelInfer: ${response.outputs.length} outputs but ${raw.length} raw_output_contents`);
    return response.outputs.map(({ name, datatype, shape, contents }, i) => ({ name, datatype, shape, raw: raw[i], fp32: contents?.fp32Contents }));
  }

  close(): void {
    this.client.close();
  }
}
