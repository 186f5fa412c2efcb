// One processor endpoint as the pool sees it: a gRPC channel, a call queue, health, and how to
// send it frames. Two protocols: ours (vsp.v1.Processor, frames batched per call) and the
// original design's (Detector.Detect, one image per call).
import * as grpc from '@grpc/grpc-js';
import PQueue from 'p-queue';
import protobuf from 'protobufjs';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import {
  FrameCodec,
  LegacyImageInfoCodec,
  LegacyResultCodec,
  ProcessResponseCodec,
  processRequestFromEncodedFrames,
} from '../common/proto.js';
import { createChannel } from '../common/grpc.js';
import type { FrameResult__Output } from '../common/gen/vsp/v1/FrameResult.js';

const health = (() => {
  const root = protobuf.loadSync(healthProtoPath);
  return {
    request: root.lookupType('grpc.health.v1.HealthCheckRequest'),
    response: root.lookupType('grpc.health.v1.HealthCheckResponse'),
  };
})();
const SERVING = 1;

export abstract class Endpoint {
  readonly client: grpc.Client;
  readonly queue: PQueue;
  healthy = false;
  inFlight = 0;
  name = '';

  constructor(readonly address: string, callsPerEndpoint: number) {
    this.client = createChannel(address);
    this.queue = new PQueue({ concurrency: callsPerEndpoint });
  }

  /** Detects objects in already-encoded vsp.v1.Frame messages; one result per frame. */
  abstract process(encodedFrames: readonly Uint8Array[], deadlineMs: number): Promise<FrameResult__Output[]>;
  abstract check(deadlineMs: number): Promise<boolean>;
  abstract describe(deadlineMs: number): Promise<string>;

  protected unary<Req, Res>(method: string, serialize: (r: Req) => Buffer, deserialize: (b: Buffer) => Res, request: Req, deadlineMs: number): Promise<Res> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(method, serialize, deserialize, request, new grpc.Metadata(), { deadline: Date.now() + deadlineMs }, (err, response) =>
        err || response === undefined ? reject(err ?? new Error('empty response')) : resolve(response),
      );
    });
  }
}

/** A server of ours: vsp.v1.Processor with grpc.health.v1 beside it. */
export class VspEndpoint extends Endpoint {
  async process(encodedFrames: readonly Uint8Array[], deadlineMs: number): Promise<FrameResult__Output[]> {
    const response = await this.unary('/vsp.v1.Processor/Process', (b: Buffer) => b, (b) => ProcessResponseCodec.decode(b), processRequestFromEncodedFrames(encodedFrames), deadlineMs);
    return response.results;
  }

  check(deadlineMs: number): Promise<boolean> {
    return this.unary(
      '/grpc.health.v1.Health/Check',
      (r: object) => Buffer.from(health.request.encode(health.request.fromObject(r)).finish()),
      (b) => health.response.decode(b) as unknown as { status: number },
      { service: '' },
      deadlineMs,
    ).then((r) => r.status === SERVING, () => false);
  }

  describe(deadlineMs: number): Promise<string> {
    // ProcessorInfo.name is field 1 and all that is needed here.
    const nameOf = (b: Buffer): string => {
      const reader = protobuf.Reader.create(b);
      while (reader.pos < reader.len) {
        const tag = reader.uint32();
        if (tag >>> 3 === 1) return reader.string();
        reader.skipType(tag & 7);
      }
      return '';
    };
    return this.unary('/vsp.v1.Processor/Describe', () => Buffer.alloc(0), nameOf, {}, deadlineMs).then((n) => n || this.address, () => this.address);
  }
}

/**
 * A server of the original design (`Detector.Detect(ImageInfo)`): one call per frame, all of a
 * batch in parallel. It has no health service, so "healthy" means its channel connects.
 */
export class LegacyEndpoint extends Endpoint {
  async process(encodedFrames: readonly Uint8Array[], deadlineMs: number): Promise<FrameResult__Output[]> {
    return Promise.all(
      encodedFrames.map(async (raw) => {
        const frame = FrameCodec.decode(raw);
        const started = performance.now();
        const request = Buffer.from(LegacyImageInfoCodec.encode({ width: frame.width, height: frame.height, image: frame.image }));
        const meta = await this.unary('/Detector/Detect', (b: Buffer) => b, (b) => LegacyResultCodec.decode(b), request, deadlineMs);
        return {
          cameraId: frame.cameraId,
          seq: frame.seq,
          detections: meta.detections.map((d) => ({ x1: d.x1, y1: d.y1, x2: d.x2, y2: d.y2, score: d.confidence, classId: -1, label: d.category })),
          error: '',
          processMs: performance.now() - started,
        };
      }),
    );
  }

  check(deadlineMs: number): Promise<boolean> {
    return new Promise((resolve) => this.client.waitForReady(Date.now() + deadlineMs, (err) => resolve(!err)));
  }

  async describe(): Promise<string> {
    return `legacy:${this.address}`;
  }
}

/** `HOST:PORT` (our protocol) or `legacy://HOST:PORT`. */
export function createEndpoint(spec: string, callsPerEndpoint: number): Endpoint {
  return spec.startsWith('legacy://') ? new LegacyEndpoint(spec.slice('legacy://'.length), callsPerEndpoint) : new VspEndpoint(spec, callsPerEndpoint);
}
