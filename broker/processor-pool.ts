// The broker's side of the processors: one gRPC channel per endpoint, least-loaded choice among
// healthy endpoints, a deadline per call, retries with exponential backoff on another endpoint,
// and grpc.health.v1 checks that take endpoints out of rotation and bring them back.
import * as grpc from '@grpc/grpc-js';
import type { FrameResult__Output } from '../common/gen/vsp/v1/FrameResult.js';
import { FrameCodec } from '../common/proto.js';
import type { Logger } from '../common/log.js';
import { createEndpoint, type Endpoint } from './processor-endpoints.js';
import type { ChannelSecurity } from '../common/grpc.js';
import { brokerMetrics } from './metrics.js';

export type FailurePolicy = 'block' | 'skip';

export interface PoolOptions {
  deadlineMs: number;
  /** skip policy: attempts after the first before a frame is given up. */
  maxRetries: number;
  onFailure: FailurePolicy;
  /** Calls in flight per endpoint. */
  callsPerEndpoint: number;
  healthIntervalMs: number;
  /** CA, client certificate and token for grpcs:// endpoints. */
  security?: ChannelSecurity;
  /** Detections down to this score are asked for (the tracker's low-score threshold); 0: the processors' own. */
  minScore?: number;
  log: Logger;
}

export type PoolOutcome =
  | { ok: true; results: FrameResult__Output[]; processor: string; ms: number }
  | { ok: false; error: string; ms: number };

export class ProcessorPool {
  private readonly endpoints: Endpoint[];
  private timer?: NodeJS.Timeout;
  private closed = false;
  private healthWaiters: Array<() => void> = [];
  private rr = 0;
  /** The last health-check problem logged per endpoint ('' while healthy). */
  private readonly reported = new Map<Endpoint, string>();

  constructor(addresses: string[], private readonly o: PoolOptions) {
    if (addresses.length === 0) throw new Error('at least one processor address is needed');
    this.endpoints = addresses.map((a) => createEndpoint(a, o.callsPerEndpoint, o.security));
  }

  /** Starts health checking; does not wait for any endpoint to be up. */
  start(): void {
    const tick = () => {
      void this.checkAll().finally(() => {
        if (!this.closed) this.timer = setTimeout(tick, this.o.healthIntervalMs);
      });
    };
    tick();
  }

  get healthyCount(): number {
    return this.endpoints.filter((e) => e.healthy).length;
  }

  /**
   * Sends already-encoded frames to one processor and returns its per-frame results, retrying
   * on other endpoints. With policy "block" it only returns once some processor answered; with
   * "skip" it gives up after maxRetries retries and says why.
   */
  async process(encodedFrames: readonly Uint8Array[]): Promise<PoolOutcome> {
    const started = performance.now();
    let lastError = 'no processor is healthy';
    const tried = new Set<Endpoint>();
    for (let attempt = 0; !this.closed; attempt += 1) {
      if (this.o.onFailure === 'skip' && attempt > this.o.maxRetries) break;
      if (attempt > 0) {
        brokerMetrics.retries.inc();
        await sleep(backoffMs(attempt));
      }
      const endpoint = await this.pick(tried);
      if (!endpoint) continue;
      tried.add(endpoint);
      if (tried.size >= this.endpoints.length) tried.clear();
      endpoint.inFlight += 1;
      try {
        // The results are matched to their frames by the pipeline (a missing one marks its frame).
        const results = await endpoint.queue.add(() => endpoint.process(encodedFrames, this.o.deadlineMs, this.o.minScore));
        return { ok: true, results, processor: endpoint.name || endpoint.address, ms: performance.now() - started };
      } catch (err) {
        const e = err as grpc.ServiceError;
        lastError = `${endpoint.address}: ${e.details || e.message}`;
        if (isPermanent(e)) return this.rejected(encodedFrames, lastError, e, started);
        if (e.code === grpc.status.UNAVAILABLE || e.code === grpc.status.DEADLINE_EXCEEDED || e.code === grpc.status.CANCELLED) {
          endpoint.healthy = false;
        }
        this.o.log.warn({ processor: endpoint.address, code: e.code, attempt, error: e.details || e.message }, 'processor call failed; retrying');
      } finally {
        endpoint.inFlight -= 1;
      }
    }
    return { ok: false, error: lastError, ms: performance.now() - started };
  }

  /**
   * A call the processor refused for what it holds (a bad argument, a method it lacks, a message
   * over its limit) fails the same way however often it is sent: halve the batch to find the
   * frames at fault, and answer those with an error result.
   */
  private async rejected(encodedFrames: readonly Uint8Array[], error: string, e: grpc.ServiceError, started: number): Promise<PoolOutcome> {
    this.o.log.warn({ code: e.code, frames: encodedFrames.length, error }, encodedFrames.length > 1 ? 'processor refused the call; splitting the batch' : 'processor refused the frame');
    if (encodedFrames.length === 1) {
      const frame = FrameCodec.decode(encodedFrames[0]!);
      return { ok: true, results: [{ cameraId: frame.cameraId, seq: frame.seq, detections: [], error: `refused by the processor: ${error}`, processMs: 0 }], processor: 'none', ms: performance.now() - started };
    }
    const half = Math.ceil(encodedFrames.length / 2);
    const parts = await Promise.all([this.process(encodedFrames.slice(0, half)), this.process(encodedFrames.slice(half))]);
    const results = parts.flatMap((part, i) => {
      if (part.ok) return part.results;
      const frames = i === 0 ? encodedFrames.slice(0, half) : encodedFrames.slice(half);
      return frames.map((raw) => {
        const frame = FrameCodec.decode(raw);
        return { cameraId: frame.cameraId, seq: frame.seq, detections: [], error: part.error, processMs: 0 };
      });
    });
    const processor = parts.find((p) => p.ok && p.processor !== 'none');
    return { ok: true, results, processor: processor?.ok ? processor.processor : 'none', ms: performance.now() - started };
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.healthWaiters.splice(0).forEach((wake) => wake());
    for (const e of this.endpoints) e.client.close();
  }

  /** The least-loaded healthy endpoint, preferring ones not yet tried for this call. */
  private async pick(tried: Set<Endpoint>): Promise<Endpoint | undefined> {
    const healthy = this.endpoints.filter((e) => e.healthy);
    if (healthy.length === 0) {
      if (this.o.onFailure === 'skip') return undefined;
      await new Promise<void>((resolve) => this.healthWaiters.push(resolve));
      return undefined;
    }
    const fresh = healthy.filter((e) => !tried.has(e));
    const pool = fresh.length > 0 ? fresh : healthy;
    const least = Math.min(...pool.map((e) => e.inFlight + e.queue.size));
    const candidates = pool.filter((e) => e.inFlight + e.queue.size === least);
    this.rr = (this.rr + 1) % candidates.length;
    return candidates[this.rr];
  }

  private async checkAll(): Promise<void> {
    await Promise.all(
      this.endpoints.map(async (e) => {
        const up = await e.check(Math.min(2000, this.o.healthIntervalMs * 2));
        if (up && !e.healthy) {
          if (!e.name) e.name = await e.describe(2000);
          this.o.log.info({ processor: e.address, processorName: e.name }, 'processor in rotation');
        } else if (!up && e.healthy) {
          this.o.log.warn({ processor: e.address, error: e.problem }, `processor out of rotation (health check failed: ${e.problem})`);
        } else if (!up && e.problem !== this.reported.get(e)) {
          // A processor that refuses the broker (TLS, token) or is not there: said once per reason.
          this.o.log.warn({ processor: e.address, error: e.problem }, `processor ${e.address} not in rotation: ${e.problem}`);
        }
        this.reported.set(e, up ? '' : e.problem);
        e.healthy = up;
      }),
    );
    if (this.healthyCount > 0) this.healthWaiters.splice(0).forEach((wake) => wake());
  }
}

/** gRPC failures that the same call would meet again: never retried as they are. */
function isPermanent(e: grpc.ServiceError): boolean {
  if (e.code === grpc.status.INVALID_ARGUMENT || e.code === grpc.status.UNIMPLEMENTED) return true;
  // RESOURCE_EXHAUSTED is also a busy processor's full queue (retried); a message over a size
  // limit is not going to shrink.
  return e.code === grpc.status.RESOURCE_EXHAUSTED && /larger than|too large|exceeds/i.test(e.details ?? e.message ?? '');
}

function backoffMs(attempt: number): number {
  const base = Math.min(5000, 50 * 2 ** Math.min(attempt, 10));
  return base / 2 + Math.random() * (base / 2);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `vsp broker --processor none`: a broker for edge frames (detections attached by the producer),
 * which never reach a processor. Any other frame is marked PROCESSOR_FAILED at once, never held.
 */
export class NoProcessor {
  process(): Promise<PoolOutcome> {
    return Promise.resolve({ ok: false, error: 'no processor configured (--processor none): only frames with edge detections are tracked', ms: 0 });
  }

  start(): void {}

  close(): void {}
}
