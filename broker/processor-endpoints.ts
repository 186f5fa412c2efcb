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
import { createChannel, describeGrpcError, type ChannelSecurity } from '../common/grpc.js';
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
  /** Why the last health check failed ('' when it passed), e.g. 'UNAUTHENTICATED: wrong bearer token'. */
  problem = '';

  constructor(readonly address: string, callsPerEndpoint: number, security: ChannelSecurity = {}) {
    this.client = createChannel(address, security);
    this.queue = new PQueue({ concurrency: callsPerEndpoint });
  }

  /** Detects objects in already-encoded vsp.v1.Frame messages; one result per frame. */
  /** `minScore`: report detections down to this score (0: the processor's own threshold). */
  abstract process(encodedFrames: readonly Uint8Array[], deadlineMs: number, minScore?: number): Promise<FrameResult__Output[]>;
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
  async process(encodedFrames: readonly Uint8Array[], deadlineMs: number, minScore = 0): Promise<FrameResult__Output[]> {
    const response = await this.unary('/vsp.v1.Processor/Process', (b: Buffer) => b, (b) => ProcessResponseCodec.decode(b), processRequestFromEncodedFrames(encodedFrames, minScore), deadlineMs);
    return response.results;
  }

  check(deadlineMs: number): Promise<boolean> {
    return this.unary(
      '/grpc.health.v1.Health/Check',
      (r: object) => Buffer.from(health.request.encode(health.request.fromObject(r)).finish()),
      (b) => health.response.decode(b) as unknown as { status: number },
      { service: '' },
      deadlineMs,
    ).then(
      (r) => {
        this.problem = r.status === SERVING ? '' : 'NOT_SERVING';
        return r.status === SERVING;
      },
      (err: unknown) => {
        this.problem = oneLineProblem(describeGrpcError(err));
        return false;
      },
    );
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
    return new Promise((resolve) =>
      this.client.waitForReady(Date.now() + deadlineMs, (err) => {
        this.problem = err ? oneLineProblem(`cannot connect: ${err.message}`) : '';
        resolve(!err);
      }),
    );
  }

  async describe(): Promise<string> {
    return `legacy:${this.address}`;
  }
}

/** A `--processor` value: which protocol, over TLS or not, at which HOST:PORT. */
export interface EndpointSpec {
  protocol: 'vsp' | 'legacy';
  tls: boolean;
  address: string;
}

const SCHEMES: Record<string, Omit<EndpointSpec, 'address'>> = {
  '': { protocol: 'vsp', tls: false },
  'grpcs://': { protocol: 'vsp', tls: true },
  'legacy://': { protocol: 'legacy', tls: false },
  'legacy+grpcs://': { protocol: 'legacy', tls: true },
};

/** `HOST:PORT`, `grpcs://HOST:PORT`, `legacy://HOST:PORT` or `legacy+grpcs://HOST:PORT`; undefined when it is none of them. */
export function parseEndpointSpec(spec: string): EndpointSpec | undefined {
  const m = /^((?:legacy\+grpcs|legacy|grpcs):\/\/)?([\w.-]+:\d+)$/.exec(spec);
  return m ? { ...SCHEMES[m[1] ?? '']!, address: m[2]! } : undefined;
}

/**
 * An endpoint for a `--processor` value. `security` (CA, client certificate, token) is used for
 * TLS endpoints only: a token never goes over plaintext.
 */
export function createEndpoint(spec: string, callsPerEndpoint: number, security: ChannelSecurity = {}): Endpoint {
  const parsed = parseEndpointSpec(spec);
  if (!parsed) throw new Error(`not a processor endpoint: '${spec}'`);
  const channel = parsed.tls ? { ...security, tls: security.tls ?? {} } : {};
  return parsed.protocol === 'legacy' ? new LegacyEndpoint(parsed.address, callsPerEndpoint, channel) : new VspEndpoint(parsed.address, callsPerEndpoint, channel);
}


/**
 * A failed check as one stable line (the same failure reads the same each time, so it is logged
 * once), with what to check for the refusals a configuration causes.
 */
function oneLineProblem(problem: string): string {
  const line = problem.replace(/\s*\(\d{4}-\d\d-\d\dT[\d:.]+Z\)/g, '').replace(/\s+/g, ' ').replace(/(Deadline exceeded) after .*/i, '$1').trim();
  if (/certificate required/i.test(line)) return `${line} (TLS: the processor requires a client certificate: --processor-cert, --processor-key)`;
  if (/certificate|unable to verify|wrong version number|handshake/i.test(line)) return `${line} (TLS: check --processor-ca and the processor's certificate)`;
  if (/^UNAUTHENTICATED/.test(line)) return `${line} (check --processor-token-file)`;
  return line;
}
