// One place that loads protos/: protobufjs codecs for Kafka records and the grpc-js package
// definition for the gRPC services, both with the same conversion options as the generated types
// in common/gen (camelCase fields, 64-bit ints as numbers, enums as strings, defaults filled).
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import protobuf from 'protobufjs';
import * as protoLoader from '@grpc/proto-loader';
import * as grpc from '@grpc/grpc-js';
import type { Frame, Frame__Output } from './gen/vsp/v1/Frame.js';
import type { TrackedFrame, TrackedFrame__Output } from './gen/vsp/v1/TrackedFrame.js';
import type { DeadLetter, DeadLetter__Output } from './gen/vsp/v1/DeadLetter.js';
import type { ProcessResponse, ProcessResponse__Output } from './gen/vsp/v1/ProcessResponse.js';
import type { ProtoGrpcType as ProcessorProto } from './gen/processor.js';
import type { ProtoGrpcType as LegacyProto } from './gen/legacy/image.js';
import type { ImageInfo } from './gen/legacy/ImageInfo.js';
import type { ImageInfoWithMeta__Output } from './gen/legacy/ImageInfoWithMeta.js';

export const PROTO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../protos');
const FILES = ['vsp/v1/frame.proto', 'vsp/v1/processor.proto', 'vsp/v1/tracked.proto', 'vsp/v1/dead_letter.proto'];

const CONVERSION = { longs: Number, enums: String, defaults: true, oneofs: true } as const;

function loadRoot(files: string[]): protobuf.Root {
  const root = new protobuf.Root();
  // google/protobuf/*.proto come bundled with protobufjs (common.js); ours live under protos/.
  root.resolvePath = (_origin, target) => (target.startsWith('google/protobuf/') ? target : path.join(PROTO_DIR, target));
  root.loadSync(files, { keepCase: false });
  root.resolveAll();
  return root;
}

const root = loadRoot(FILES);
// The legacy proto lives in the root package, where its Detection would shadow ours: own root.
const legacyRoot = loadRoot(['legacy/image.proto']);

/** Encodes and decodes one message type; decode throws on malformed input. */
export interface Codec<In, Out> {
  encode(message: In): Uint8Array;
  decode(bytes: Uint8Array): Out;
}

function codec<In, Out>(typeName: string, from = root): Codec<In, Out> {
  const type = from.lookupType(typeName);
  return {
    encode(message) {
      return type.encode(type.fromObject(message as Record<string, unknown>)).finish();
    },
    decode(bytes) {
      return type.toObject(type.decode(bytes), CONVERSION) as Out;
    },
  };
}

export const FrameCodec = codec<Frame, Frame__Output>('vsp.v1.Frame');
export const TrackedFrameCodec = codec<TrackedFrame, TrackedFrame__Output>('vsp.v1.TrackedFrame');
export const DeadLetterCodec = codec<DeadLetter, DeadLetter__Output>('vsp.v1.DeadLetter');

/** The original design's processor messages (protos/legacy/image.proto). */
export const LegacyImageInfoCodec = codec<ImageInfo, unknown>('ImageInfo', legacyRoot);
export const LegacyResultCodec = codec<unknown, ImageInfoWithMeta__Output>('ImageInfoWithMeta', legacyRoot);

/** The vsp.v1 gRPC package (Processor service), loaded with the same options as the types. */
export function loadProcessorPackage(): ProcessorProto {
  const def = protoLoader.loadSync('vsp/v1/processor.proto', { ...CONVERSION, keepCase: false, includeDirs: [PROTO_DIR] });
  return grpc.loadPackageDefinition(def) as unknown as ProcessorProto;
}

/** The legacy Detector service (root package), for `vsp processor --protocol legacy`. */
export function loadLegacyPackage(): LegacyProto {
  const def = protoLoader.loadSync('legacy/image.proto', { ...CONVERSION, keepCase: false, includeDirs: [PROTO_DIR] });
  return grpc.loadPackageDefinition(def) as unknown as LegacyProto;
}

export const ProcessResponseCodec = codec<ProcessResponse, ProcessResponse__Output>('vsp.v1.ProcessResponse');

/**
 * A serialized ProcessRequest made from already-encoded Frame messages: `repeated Frame frames = 1`
 * is, on the wire, each frame's bytes behind tag 0x0A and a varint length, so frames read from
 * Kafka go to the processor without being decoded and re-encoded.
 */
export function processRequestFromEncodedFrames(frames: readonly Uint8Array[], minScore = 0): Buffer {
  const parts: Uint8Array[] = [];
  for (const frame of frames) {
    parts.push(Uint8Array.of(0x0a), varint(frame.length), frame);
  }
  if (minScore > 0) {
    // Field 2 (min_score), wire type 5 (32-bit float).
    const score = Buffer.alloc(5);
    score[0] = 0x15;
    score.writeFloatLE(minScore, 1);
    parts.push(score);
  }
  return Buffer.concat(parts);
}

function varint(n: number): Uint8Array {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Uint8Array.from(out);
}
