// Serves one Detector as the vsp.v1.Processor gRPC service, with grpc.health.v1 beside it.
// The server validates requests (one bad frame answers an error for that frame only), limits
// how many Process calls run the detector at once, and shuts down gracefully.
import * as grpc from '@grpc/grpc-js';
import PQueue from 'p-queue';
import { HealthImplementation } from 'grpc-health-check';
import { loadLegacyPackage, loadProcessorPackage } from '../common/proto.js';
import { bindServer, createServer } from '../common/grpc.js';
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

export interface ServeOptions {
  /** vsp: vsp.v1.Processor; legacy: the original design's Detector.Detect (one image per call). */
  protocol: 'vsp' | 'legacy';
  host: string;
  port: number;
  /** Process calls handed to the detector at once (more wait in a queue). */
  concurrency: number;
  log: Logger;
}

export interface RunningProcessor {
  port: number;
  /** Stops accepting calls, finishes those in progress (up to graceMs), releases the detector. */
  close(graceMs?: number): Promise<void>;
}

/** Why a frame cannot be given to a detector, or undefined when it can. */
export function invalidFrame(frame: Frame__Output): string | undefined {
  if (!frame.image || frame.image.length === 0) return 'frame has no image';
  if (frame.encoding === 'RGB24') {
    if (frame.width <= 0 || frame.height <= 0) return 'RGB24 frame needs width and height';
    if (frame.image.length !== frame.width * frame.height * 3) return `RGB24 frame: ${frame.image.length} bytes for ${frame.width}x${frame.height}`;
  }
  return undefined;
}

const processorMetrics = {
  frames: counter('vsp_processor_frames_total', 'Frames answered, by outcome', ['outcome']),
  latency: histogram('vsp_processor_detect_seconds', 'Time in the detector per call'),
  queued: gauge('vsp_processor_queued_calls', 'Calls waiting for the detector'),
};

export async function serveProcessor(detector: Detector, o: ServeOptions): Promise<RunningProcessor> {
  const pkg = loadProcessorPackage();
  const server = createServer();
  const health = new HealthImplementation({ '': 'SERVING', 'vsp.v1.Processor': 'SERVING' });
  health.addToServer(server);
  const queue = new PQueue({ concurrency: o.concurrency });
  processorMetrics.queued.reset();
  queue.on('add', () => processorMetrics.queued.set(queue.size));
  queue.on('next', () => processorMetrics.queued.set(queue.size));
  const info: ProcessorInfo = { ...detector.info };

  if (o.protocol === 'legacy') addLegacyService(server, detector, queue, o.log);
  else server.addService(pkg.vsp.v1.Processor.service, {
    Describe: (_call: unknown, callback: grpc.sendUnaryData<ProcessorInfo>) => callback(null, info),
    Process: (call: grpc.ServerUnaryCall<ProcessRequest__Output, ProcessResponse>, callback: grpc.sendUnaryData<ProcessResponse>) => {
      const frames = call.request.frames;
      if (frames.length === 0) {
        callback({ code: grpc.status.INVALID_ARGUMENT, details: 'ProcessRequest has no frames' });
        return;
      }
      queue
        .add(() => processFrames(detector, frames))
        .then((results) => callback(null, { results }))
        .catch((err: unknown) => {
          o.log.error({ err }, 'detector failed');
          callback({ code: grpc.status.INTERNAL, details: `detector failed: ${(err as Error).message}` });
        });
    },
  });

  const port = await bindServer(server, o.host, o.port);
  o.log.info({ host: o.host, port, detector: info.name }, 'processor serving');

  return {
    port,
    async close(graceMs = 10_000) {
      health.setStatus('', 'NOT_SERVING');
      health.setStatus('vsp.v1.Processor', 'NOT_SERVING');
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
function addLegacyService(server: grpc.Server, detector: Detector, queue: PQueue, log: Logger): void {
  server.addService(loadLegacyPackage().Detector.service, {
    Detect: (call: grpc.ServerUnaryCall<ImageInfo__Output, ImageInfoWithMeta>, callback: grpc.sendUnaryData<ImageInfoWithMeta>) => {
      const { width, height, image } = call.request;
      const frame: Frame__Output = { cameraId: '', seq: 0, captureTime: null, sourceTime: null, width, height, encoding: 'JPEG', image, attributes: {} };
      queue
        .add(() => processFrames(detector, [frame]))
        .then(([result]) => {
          if (!result || result.error) return callback({ code: grpc.status.INVALID_ARGUMENT, details: result?.error ?? 'no result' });
          const detections = (result.detections ?? []).map((d) => ({ category: d.label, confidence: d.score, x1: d.x1, y1: d.y1, x2: d.x2, y2: d.y2 }));
          callback(null, { imageInfo: call.request, detections });
        })
        .catch((err: unknown) => {
          log.error({ err }, 'detector failed');
          callback({ code: grpc.status.INTERNAL, details: `detector failed: ${(err as Error).message}` });
        });
    },
  });
}

async function processFrames(detector: Detector, frames: Frame__Output[]): Promise<FrameResult[]> {
  const results: FrameResult[] = frames.map((f) => ({ cameraId: f.cameraId, seq: f.seq, detections: [], error: '', processMs: 0 }));
  const valid: number[] = [];
  frames.forEach((frame, i) => {
    const problem = invalidFrame(frame);
    if (problem) results[i]!.error = problem;
    else valid.push(i);
  });
  if (valid.length === 0) return results;
  const started = performance.now();
  const outcomes = await detector.detect(valid.map((i) => frames[i]!));
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
  for (const r of results) processorMetrics.frames.inc({ outcome: r.error ? 'error' : 'ok' });
  return results;
}
