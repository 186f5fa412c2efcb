// One partition's way through the broker: records are admitted into the reorder window, sent to
// the processors `batch` frames per call (many calls in flight), released strictly in offset
// order into camera tracking, and handed to the sink, a tracked frame or a dead letter for every
// offset. No Kafka client and no gRPC here: the processors and the sink are interfaces.
import { deadLetterRecord } from '../common/dead-letter.js';
import { frameProblem, type FrameLimits } from '../common/frame-limits.js';
import type { Frame__Output } from '../common/gen/vsp/v1/Frame.js';
import type { FrameResult__Output } from '../common/gen/vsp/v1/FrameResult.js';
import type { ConsumedRecord } from '../common/kafka/types.js';
import type { Logger } from '../common/log.js';
import { FrameCodec, TrackedFrameCodec } from '../common/proto.js';
import { nowMs, timestampToMs } from '../common/time.js';
import type { CameraTracking, ProcessedFrame } from './camera-tracking.js';
import { brokerMetrics } from './metrics.js';
import type { SinkRecord } from './partition-sink.js';
import type { PoolOutcome } from './processor-pool.js';
import { ReorderWindow } from './reorder-window.js';

/** Where frames are detected: the processor pool, or a fake in tests. */
export interface FrameProcessor {
  process(encodedFrames: readonly Uint8Array[]): Promise<PoolOutcome>;
}

export interface PipelineOptions {
  partition: number;
  topics: { frames: string; tracks: string; deadLetter: string };
  /** Frames in flight at once. */
  window: number;
  /** Frames per processor call. */
  batch: number;
  limits: FrameLimits;
  processor: FrameProcessor;
  tracking: CameraTracking;
  /** Where released records go; while it is backlogged (Kafka cannot take them), no frame is admitted. */
  sink: { push(record: SinkRecord): void; readonly backlogged: boolean };
  /** The window and the sink have room again (a paused partition may resume). */
  onRoom?: () => void;
  log: Logger;
}

type SlotResult = { kind: 'processed'; processed: ProcessedFrame } | { kind: 'dead'; reason: string };

interface PendingCall {
  ticket: number;
  offset: string;
  frame: Frame__Output;
  raw: Buffer;
  admittedAt: number;
}

export class PartitionPipeline {
  private readonly window: ReorderWindow<ConsumedRecord, SlotResult>;
  private pendingCall: PendingCall[] = [];
  private roomWaiters: Array<() => void> = [];
  private readonly label: string;
  revoked = false;

  constructor(private readonly o: PipelineOptions) {
    this.window = new ReorderWindow(o.window);
    this.label = String(o.partition);
  }

  /** No frame may be admitted: the window is full, or the sink is backlogged. */
  get full(): boolean {
    return this.window.full || this.o.sink.backlogged;
  }

  /** Frames admitted and not yet released. */
  get size(): number {
    return this.window.size;
  }

  /** Takes the next record of the partition (offset order); the window must have room. */
  admit(record: ConsumedRecord): void {
    brokerMetrics.framesIn.inc({ partition: this.label });
    const ticket = this.window.admit(record);
    brokerMetrics.inFlight.set({ partition: this.label }, this.window.size);
    const dead = (reason: string) => {
      this.window.complete(ticket, { kind: 'dead', reason });
      this.release();
    };
    if (!record.value || record.value.length === 0) return dead('empty record value');
    let frame: Frame__Output;
    try {
      frame = FrameCodec.decode(record.value);
    } catch (err) {
      return dead(`not a vsp.v1.Frame: ${(err as Error).message}`);
    }
    const problem = frameProblem(frame, record.key, this.o.limits);
    if (problem) return dead(problem);
    if (frame.edge) return this.completeEdge(ticket, record.offset, frame);
    this.pendingCall.push({ ticket, offset: record.offset, frame, raw: record.value, admittedAt: nowMs() });
    if (this.pendingCall.length >= this.o.batch) this.dispatch();
  }

  /**
   * An edge frame (detections made on the camera host) needs no processor: its slot completes at
   * once with those detections, and it is released in offset order like any other frame.
   */
  private completeEdge(ticket: number, offset: string, frame: Frame__Output): void {
    const at = nowMs();
    const edge = frame.edge!;
    const result: FrameResult__Output = { cameraId: frame.cameraId, seq: frame.seq, detections: edge.detections, error: '', processMs: edge.processMs };
    const outcome: PoolOutcome = { ok: true, results: [result], processor: `edge:${edge.detector || 'unknown'}`, ms: 0 };
    this.window.complete(ticket, { kind: 'processed', processed: { frame, offset, outcome, result, admittedAt: at, dispatchedAt: at, completedAt: at } });
    this.release();
  }

  /** Sends the admitted frames to the processors, `batch` frames per call. */
  dispatch(): void {
    while (this.pendingCall.length > 0) {
      const calls = this.pendingCall.splice(0, this.o.batch);
      const dispatchedAt = nowMs();
      void this.o.processor.process(calls.map((c) => c.raw)).then((outcome) => {
        brokerMetrics.processorLatency.observe({ processor: outcome.ok ? outcome.processor : 'none' }, outcome.ms / 1000);
        if (this.revoked) return;
        const completedAt = nowMs();
        const byFrame = outcome.ok ? resultsByFrame(outcome.results) : undefined;
        calls.forEach((c) => {
          const result = byFrame ? matchingResult(byFrame.get(frameKey(c.frame.cameraId, c.frame.seq)), c.frame) : undefined;
          const processed: ProcessedFrame = { frame: c.frame, offset: c.offset, outcome, result, admittedAt: c.admittedAt, dispatchedAt, completedAt };
          this.window.complete(c.ticket, { kind: 'processed', processed });
        });
        this.release();
      });
    }
  }

  /**
   * Waits up to `ms` for room (see full), calling `heartbeat` meanwhile; false when there is still
   * none (the caller pauses the partition and lets Kafka hold the backlog).
   */
  async waitForRoom(ms: number, heartbeat: () => Promise<void>): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (this.full && !this.revoked) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 500));
        this.roomWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      await heartbeat();
    }
    return true;
  }

  /** Drops what is in flight: the partition's next owner (or this one, after a seek) re-reads it. */
  revoke(): void {
    this.revoked = true;
    this.pendingCall = [];
    this.window.clear();
    this.wakeWaiters();
  }

  /** Resolves once every admitted frame was released (or the partition revoked). */
  async drained(): Promise<void> {
    while (this.window.size > 0 && !this.revoked) await new Promise((r) => setTimeout(r, 10));
  }

  /** Moves completed frames at the front of the window, in order, through tracking to the sink. */
  private release(): void {
    for (const { item, result } of this.window.release()) {
      if (result.kind === 'dead') this.deadLetter(item, result.reason);
      else this.track(item, result.processed);
    }
    brokerMetrics.inFlight.set({ partition: this.label }, this.window.size);
    this.roomMade();
  }

  /** The sink's backlog went down (SinkOptions.onRoom). */
  sinkHasRoom(): void {
    this.roomMade();
  }

  private roomMade(): void {
    if (this.full) return;
    this.wakeWaiters();
    if (!this.revoked) this.o.onRoom?.();
  }

  private wakeWaiters(): void {
    this.roomWaiters.splice(0).forEach((wake) => wake());
  }

  private track(record: ConsumedRecord, processed: ProcessedFrame): void {
    let outcome: ReturnType<CameraTracking['track']>;
    try {
      outcome = this.o.tracking.track(processed);
    } catch (err) {
      // A bug or an input no check foresaw: this frame alone goes to the dead letters.
      this.o.log.error({ partition: this.o.partition, offset: record.offset, err }, 'tracking failed');
      return this.deadLetter(record, `tracking failed: ${(err as Error).message}`);
    }
    if (outcome.kind === 'rejected') return this.deadLetter(record, outcome.reason);
    const { tracked } = outcome;
    brokerMetrics.framesOut.inc({ status: tracked.status });
    const captured = timestampToMs(processed.frame.captureTime);
    if (Number.isFinite(captured)) brokerMetrics.endToEnd.observe(Math.max(0, nowMs() - captured) / 1000);
    this.o.sink.push({
      offset: record.offset,
      topic: this.o.topics.tracks,
      message: { key: tracked.cameraId, value: Buffer.from(TrackedFrameCodec.encode(tracked)), timestamp: String(Math.round(captured) || Date.now()) },
    });
  }

  private deadLetter(record: ConsumedRecord, reason: string): void {
    brokerMetrics.deadLetters.inc();
    this.o.log.warn({ partition: this.o.partition, offset: record.offset, reason }, 'record sent to the dead-letter topic');
    const message = deadLetterRecord({ topic: this.o.topics.frames, partition: this.o.partition, ...record }, reason, 'broker');
    this.o.sink.push({ offset: record.offset, topic: this.o.topics.deadLetter, message });
  }
}

const frameKey = (cameraId: string, seq: number) => `${seq}\u0000${cameraId}`;

/** A processor's results by the frame they name; results for frames not sent are never looked up. */
function resultsByFrame(results: readonly FrameResult__Output[]): Map<string, FrameResult__Output> {
  const map = new Map<string, FrameResult__Output>();
  for (const r of results) if (!map.has(frameKey(r.cameraId, r.seq))) map.set(frameKey(r.cameraId, r.seq), r);
  return map;
}

/** A frame without a result of its own is marked with an error, never tracked as if empty. */
function matchingResult(result: FrameResult__Output | undefined, frame: Frame__Output): FrameResult__Output {
  return result ?? { cameraId: frame.cameraId, seq: frame.seq, detections: [], error: 'the processor returned no result for this frame', processMs: 0 };
}
