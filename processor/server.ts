// Serves one Detector as the vsp.v1.Processor gRPC service, with grpc.health.v1 beside it.
// The server validates requests (one bad frame answers an error for that frame only), limits
// how many Process calls run the detector at once, and shuts down gracefully.
import * as grpc from '@grpc/grpc-js';
import PQueue from 'p-queue';
import { HealthImplementation } from 'grpc-health-check';
import { loadLegacyPackage, loadProcessorPackage } from '../common/proto.js';
import { bindServer, createServer, type ServerSecurity } from '../common/grpc.js';
import type { Logger } from '../common/log.js';
import { counter, gauge, histogram } from '../common/metrics.js';
import type { ProcessRequest__Output } from '../common/gen/vsp/v1/ProcessRequest.js';
import type { ProcessResponse } from '../common/gen/vsp/v1/ProcessResponse.js';
import type { ProcessorInfo } from '../common/gen/vsp/v1/ProcessorInfo.js';
import type { FrameResult } from '../common/gen/vsp/v1/FrameResult.js';
import type { Frame__Output } from '../common/gen/vsp/v1/Frame.js';
import type { ImageInfo__Output } from '../common/gen/legacy/ImageInfo.js';
import type { ImageInfoWithMeta } from '../common/gen/legacy/ImageInfoWithMeta.js';
import type { Detector } from './detector.js';
import { jpegSize } from '../common/jpeg.js';
import { DEFAULT_FRAME_LIMITS, imageProblem, type FrameLimits } from '../common/frame-limits.js';
import { FrameStoreUnavailable, resolveFrameImages, type FrameStore } from '../common/frame-store.js';
import { loadSharp } from '../common/sharp.js';

export interface ServeOptions {
  /** vsp: vsp.v1.Processor; legacy: the original design's Detector.Detect (one image per call). */
  protocol: 'vsp' | 'legacy';
  host: string;
  port: number;
  /** Process calls handed to the detector at once (more wait in a queue). */
  concurrency: number;
  /** Calls waiting in the queue at most; beyond it a call is answered RESOURCE_EXHAUSTED. */
  maxQueued: number;
  limits: FrameLimits;
  /** Where the images of referenced frames (Frame.image_ref) are fetched from. */
  frameStore?: FrameStore;
  /** TLS / mTLS and a required bearer token (default: plaintext, open). */
  security?: ServerSecurity;
  log: Logger;
}

export interface RunningProcessor {
  port: number;
  /** Stops accepting calls, finishes those in progress (up to graceMs), releases the detector. */
  close(graceMs?: number): Promise<void>;
}

const SHARP_FORMAT: Record<string, string> = { PNG: 'png' };

/**
 * Why a frame cannot be given to a detector, or undefined when it can: its bytes must be what
 * its encoding says, within the limits, and (read from the image header, before any detector
 * decodes it) of the declared size, so that no decompression bomb reaches a decoder.
 */
export async function invalidFrame(frame: Frame__Output, limits: FrameLimits = DEFAULT_FRAME_LIMITS): Promise<string | undefined> {
  const problem = imageProblem(frame, limits);
  if (problem || frame.encoding === 'RGB24') return problem;
  let width = 0;
  let height = 0;
  try {
    // JPEG, every camera's format: its SOF header read here (microseconds) rather than by sharp
    // (a third of a millisecond a frame). Other formats: sharp reads the header.
    if (frame.encoding === 'JPEG') ({ width, height } = jpegSize(frame.image));
    else {
      const sharp = await loadSharp();
      const meta = await sharp(frame.image, { limitInputPixels: limits.maxPixels }).metadata();
      if (meta.format !== SHARP_FORMAT[String(frame.encoding)]) return `image is ${String(meta.format)}, not ${String(frame.encoding)}`;
      ({ width = 0, height = 0 } = meta);
    }
  } catch (err) {
    return `unreadable ${String(frame.encoding)} image: ${(err as Error).message}`;
  }
  if (width * height > limits.maxPixels) return `image is ${width}x${height}, above the limit of ${limits.maxPixels} pixels`;
  if (frame.width && frame.height && (width !== frame.width || height !== frame.height)) return `image is ${width}x${height}, the frame says ${frame.width}x${frame.height}`;
  return undefined;
}

const processorMetrics = {
  frames: counter('vsp_processor_frames_total', 'Frames answered, by outcome', ['outcome']),
  latency: histogram('vsp_processor_detect_seconds', 'Time in the detector per call'),
  queued: gauge('vsp_processor_queued_calls', 'Calls waiting for the detector'),
  refused: counter('vsp_processor_refused_calls_total', 'Calls answered RESOURCE_EXHAUSTED because --max-queued calls were waiting'),
  unauthenticated: counter('vsp_processor_unauthenticated_calls_total', 'Calls answered UNAUTHENTICATED: no or a wrong bearer token (--auth-token-file)'),
};

export async function serveProcessor(detector: Detector, o: ServeOptions): Promise<RunningProcessor> {
  const pkg = loadProcessorPackage();
  const server = createServer({ ...o.security, onUnauthenticated: () => processorMetrics.unauthenticated.inc() });
  const health = new HealthImplementation({ '': 'SERVING', 'vsp.v1.Processor': 'SERVING' });
  health.addToServer(server);
  const setHealth = (serving: boolean): void => {
    for (const service of ['', 'vsp.v1.Processor']) health.setStatus(service, serving ? 'SERVING' : 'NOT_SERVING');
  };
  const stopWatching = detector.watchHealth?.(setHealth);
  const queue = new PQueue({ concurrency: o.concurrency });
  processorMetrics.queued.reset();
  queue.on('add', () => processorMetrics.queued.set(queue.size));
  queue.on('next', () => processorMetrics.queued.set(queue.size));
  const info: ProcessorInfo = { ...detector.info };

  if (o.protocol === 'legacy') addLegacyService(server, detector, queue, o);
  else server.addService(pkg.vsp.v1.Processor.service, {
    Describe: (_call: unknown, callback: grpc.sendUnaryData<ProcessorInfo>) => callback(null, info),
    Process: (call: grpc.ServerUnaryCall<ProcessRequest__Output, ProcessResponse>, callback: grpc.sendUnaryData<ProcessResponse>) => {
      const frames = call.request.frames;
      if (frames.length === 0) {
        callback({ code: grpc.status.INVALID_ARGUMENT, details: 'ProcessRequest has no frames' });
        return;
      }
      if (queue.size >= o.maxQueued) {
        processorMetrics.refused.inc();
        callback({ code: grpc.status.RESOURCE_EXHAUSTED, details: `processor busy: ${queue.size} calls queued (--max-queued ${o.maxQueued})` });
        return;
      }
      queue
        // A call the broker gave up on (deadline, cancel) is not worth the detector's time.
        .add(async () => (call.cancelled ? [] : processFrames(detector, frames, o.limits, o.frameStore, call.request.minScore || undefined)))
        .then((results) => callback(null, { results }))
        .catch((err: unknown) => {
          // The store is away: the broker retries the call (the frames may well be there later).
          if (err instanceof FrameStoreUnavailable) return callback({ code: grpc.status.UNAVAILABLE, details: err.message });
          o.log.error({ err }, 'detector failed');
          callback({ code: grpc.status.INTERNAL, details: `detector failed: ${(err as Error).message}` });
        });
    },
  });

  const port = await bindServer(server, o.host, o.port, o.security);
  const tls = o.security?.tls ? (o.security.tls.clientCa ? 'mtls' : 'tls') : 'none';
  o.log.info({ host: o.host, port, detector: info.name, tls, token: o.security?.token !== undefined }, 'processor serving');

  return {
    port,
    async close(graceMs = 10_000) {
      stopWatching?.();
      setHealth(false);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      await detector.close();
    },
  };
}

/** Serves Detector.Detect(ImageInfo) → ImageInfoWithMeta around the same detector. */
function addLegacyService(server: grpc.Server, detector: Detector, queue: PQueue, o: ServeOptions): void {
  server.addService(loadLegacyPackage().Detector.service, {
    Detect: (call: grpc.ServerUnaryCall<ImageInfo__Output, ImageInfoWithMeta>, callback: grpc.sendUnaryData<ImageInfoWithMeta>) => {
      const { width, height, image } = call.request;
      // The original proto has no encoding field: the image says what it is.
      const encoding = image.subarray(0, 4).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47])) ? 'PNG' : 'JPEG';
      const frame: Frame__Output = { cameraId: '', seq: 0, captureTime: null, sourceTime: null, width, height, encoding, image, attributes: {} };
      queue
        .add(() => processFrames(detector, [frame], o.limits))
        .then(([result]) => {
          if (!result || result.error) return callback({ code: grpc.status.INVALID_ARGUMENT, details: result?.error ?? 'no result' });
          const detections = (result.detections ?? []).map((d) => ({ category: d.label, confidence: d.score, x1: d.x1, y1: d.y1, x2: d.x2, y2: d.y2 }));
          callback(null, { imageInfo: call.request, detections });
        })
        .catch((err: unknown) => {
          o.log.error({ err }, 'detector failed');
          callback({ code: grpc.status.INTERNAL, details: `detector failed: ${(err as Error).message}` });
        });
    },
  });
}

async function processFrames(detector: Detector, frames: Frame__Output[], limits: FrameLimits, store?: FrameStore, minScore?: number): Promise<FrameResult[]> {
  const results: FrameResult[] = frames.map((f) => ({ cameraId: f.cameraId, seq: f.seq, detections: [], error: '', processMs: 0 }));
  const valid: number[] = [];
  // Referenced frames first get their bytes (one pipelined, time-bounded round trip); an expired
  // or missing one is answered with an error for that frame alone.
  const fetched = await resolveFrameImages(store, frames);
  const problems = await Promise.all(frames.map((frame, i) => fetched[i] ?? invalidFrame(frame, limits)));
  problems.forEach((problem, i) => {
    if (problem) results[i]!.error = problem;
    else valid.push(i);
  });
  if (valid.length === 0) return counted(results);
  const started = performance.now();
  const outcomes = await detector.detect(valid.map((i) => frames[i]!), { minScore });
  const elapsed = performance.now() - started;
  processorMetrics.latency.observe(elapsed / 1000);
  const share = elapsed / valid.length;
  valid.forEach((frameIndex, k) => {
    const outcome = outcomes[k];
    const result = results[frameIndex]!;
    result.processMs = share;
    if (!outcome) result.error = 'detector returned no result for this frame';
    else if ('error' in outcome) result.error = outcome.error;
    else result.detections = outcome.detections;
  });
  return counted(results);
}

/** Counts every answered frame by outcome, rejected ones (invalid, image unavailable) included. */
function counted(results: FrameResult[]): FrameResult[] {
  for (const r of results) processorMetrics.frames.inc({ outcome: r.error ? 'error' : 'ok' });
  return results;
}
