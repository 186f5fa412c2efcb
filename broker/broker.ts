// The processing broker: consumes frames, keeps up to `window` frames per partition in flight
// to the processors (in calls of up to `batch` frames), releases results strictly in offset
// order into the camera's tracker, and hands outputs to the partition's sink, which produces and
// commits them. Partitions whose window is full are paused, not buffered.
import type { ConsumedRecord, EachBatchPayload, GroupConsumer, KafkaClient, KafkaProducer } from '../common/kafka/types.js';
import { DeadLetterCodec, FrameCodec, TrackedFrameCodec } from '../common/proto.js';
import { nowMs, nowTimestamp, timestampToMs } from '../common/time.js';
import type { Logger } from '../common/log.js';
import type { Topics } from '../common/kafka/topics.js';
import type { Frame__Output } from '../common/gen/vsp/v1/Frame.js';
import type { FrameResult__Output } from '../common/gen/vsp/v1/FrameResult.js';
import type { TrackedFrame } from '../common/gen/vsp/v1/TrackedFrame.js';
import type { Status } from '../common/gen/vsp/v1/Status.js';
import { ReorderWindow } from './reorder-window.js';
import { OutputBatcher } from './output-batcher.js';
import { PartitionSink } from './partition-sink.js';
import { TrackerStateReader, snapshotKey, type CameraState, type PartitionSnapshot } from './state-store.js';
import type { PoolOutcome, ProcessorPool } from './processor-pool.js';
import { createTracker, restoreTracker, snapshotTracker, type TrackerSpec } from './tracker/registry.js';
import type { Tracker } from './tracker/tracker.js';
import { brokerMetrics } from './metrics.js';

export interface BrokerOptions {
  kafka: KafkaClient;
  group: string;
  topics: Topics;
  pool: ProcessorPool;
  window: number;
  batch: number;
  exactlyOnce: boolean;
  commitEvery: number;
  commitIntervalMs: number;
  /** Where a group with no committed offset starts: earliest, latest, or a time (ms since epoch). */
  from: 'earliest' | 'latest' | number;
  tracker: TrackerSpec;
  log: Logger;
  /** How long to wait for a partition's last tracker snapshot before starting fresh trackers. */
  restoreTimeoutMs?: number;
}

/** How long a batch handler waits for window room before pausing the partition instead. */
const INLINE_WAIT_MS = 2000;

/** What a slot of the window resolves to. */
type SlotResult =
  | { kind: 'processed'; frame: Frame__Output; outcome: PoolOutcome; result?: FrameResult__Output; admittedAt: number; dispatchedAt: number; completedAt: number }
  | { kind: 'dead'; reason: string; message: ConsumedRecord };

interface SlotItem {
  offset: string;
  message: ConsumedRecord;
}

interface CameraTracker {
  tracker: Tracker;
  lastSeq: number;
}

interface PendingCall {
  ticket: number;
  frame: Frame__Output;
  raw: Buffer;
  admittedAt: number;
}

class PartitionState {
  readonly window: ReorderWindow<SlotItem, SlotResult>;
  readonly cameras = new Map<string, CameraTracker>();
  sink!: PartitionSink;
  revoked = false;
  paused = false;
  /** Offsets below this are already reflected in the restored trackers. */
  skipBelow = -1n;
  pendingCall: PendingCall[] = [];
  roomWaiters: Array<() => void> = [];
  inFlightCalls = 0;

  constructor(readonly partition: number, capacity: number, private readonly spec: TrackerSpec) {
    this.window = new ReorderWindow(capacity);
  }

  snapshot(nextOffset: string): PartitionSnapshot {
    const cameras: Record<string, CameraState> = {};
    for (const [id, cam] of this.cameras) cameras[id] = { lastSeq: cam.lastSeq, tracker: snapshotTracker(this.spec, cam.tracker) };
    return { version: 2, nextOffset, cameras };
  }
}

export class Broker {
  private readonly consumer: GroupConsumer;
  private readonly producer: KafkaProducer;
  private readonly output: OutputBatcher;
  private readonly txnProducers = new Map<number, KafkaProducer>();
  private readonly states = new Map<number, PartitionState>();
  private readonly revoking = new Map<number, Promise<void>>();
  private readonly stateReader: TrackerStateReader;
  private stopping = false;

  constructor(private readonly o: BrokerOptions) {
    this.consumer = o.kafka.consumer({
      groupId: o.group,
      readUncommitted: false,
      // A crashed instance's partitions move to the others after this long.
      sessionTimeout: 10000,
      heartbeatInterval: 1000,
      maxBytesPerPartition: 8 * 1024 * 1024,
      // A fetch returns as soon as any partition has data; this only bounds idle polling.
      maxWaitTimeInMs: 100,
    });
    this.producer = o.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    this.output = new OutputBatcher(this.producer);
    this.stateReader = new TrackerStateReader(o.kafka, o.topics.trackerState, o.group, o.log);
  }

  async start(): Promise<void> {
    await this.producer.connect();
    await this.stateReader.start();
    await this.consumer.connect();
    this.consumer.onAssignment((assignment) => this.onGroupJoin(assignment));
    await this.consumer.subscribe({ topic: this.o.topics.frames, fromBeginning: this.o.from !== 'latest' });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 64,
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  /** Stops consuming, lets in-flight frames finish, commits everything, disconnects. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.consumer.stop();
    await Promise.all([...this.states.values()].map((s) => this.drain(s)));
    await this.consumer.disconnect();
    await this.stateReader.stop();
    await Promise.all([this.producer, ...this.txnProducers.values()].map((p) => p.disconnect()));
  }

  private onGroupJoin(assignment: Record<string, number[]>): void {
    // kafkajs rebalances eagerly: every partition was revoked, and fetching restarts from the
    // committed offsets. Drop in-flight work; the next batch of a partition restores its state.
    const assigned = new Set(assignment[this.o.topics.frames] ?? []);
    this.o.log.info({ partitions: [...assigned] }, 'partitions assigned');
    for (const [partition, state] of this.states) {
      state.revoked = true;
      state.window.clear();
      this.states.delete(partition);
      this.revoking.set(partition, state.sink.abandon());
    }
    // A pause outlives the rebalance in kafkajs, but the state that would resume it is gone.
    if (assigned.size > 0) this.consumer.resume([{ topic: this.o.topics.frames, partitions: [...assigned] }]);
  }

  private async drain(state: PartitionState): Promise<void> {
    while (state.window.size > 0 && !state.revoked) await sleep(10);
    this.states.delete(state.partition);
    await state.sink.close();
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const partition = batch.partition;
    let state = this.states.get(partition);
    if (!state) {
      state = await this.openPartition(partition);
      await heartbeat();
    }
    for (const message of batch.messages) {
      if (!isRunning() || isStale() || state.revoked || this.stopping) break;
      const offset = BigInt(message.offset);
      if (offset < state.skipBelow) {
        resolveOffset(message.offset);
        continue;
      }
      if (state.window.full) {
        this.dispatch(state);
        // Room usually frees within a processor latency: wait for it here, keeping the pipeline
        // full. Only a long stall (processors down or slow) pauses the partition, so KafkaClient, not
        // memory, holds the backlog while heartbeats go on.
        if (!(await this.waitForRoom(state, heartbeat))) {
          state.paused = true;
          this.consumer.pause([{ topic: this.o.topics.frames, partitions: [partition] }]);
          break;
        }
        if (!isRunning() || isStale() || state.revoked || this.stopping) break;
      }
      this.admit(state, message);
      resolveOffset(message.offset);
    }
    this.dispatch(state);
    const last = batch.messages[batch.messages.length - 1];
    if (last) brokerMetrics.lag.set({ partition: String(partition) }, Math.max(0, Number(batch.highWatermark) - Number(last.offset) - 1));
    await heartbeat();
  }

  private async waitForRoom(state: PartitionState, heartbeat: () => Promise<void>): Promise<boolean> {
    const deadline = Date.now() + INLINE_WAIT_MS;
    while (state.window.full && !state.revoked) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 500));
        state.roomWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      await heartbeat();
    }
    return true;
  }

  private async openPartition(partition: number): Promise<PartitionState> {
    await this.revoking.get(partition);
    this.revoking.delete(partition);
    const state = new PartitionState(partition, this.o.window, this.o.tracker);
    const key = snapshotKey(this.o.group, this.o.topics.frames, partition);
    const producer = this.o.exactlyOnce ? await this.txnProducer(partition) : this.producer;
    state.sink = new PartitionSink({
      exactlyOnce: this.o.exactlyOnce,
      producer,
      send: (topicMessages) => this.output.send(topicMessages),
      group: this.o.group,
      inputTopic: this.o.topics.frames,
      partition,
      stateTopic: this.o.topics.trackerState,
      stateKey: key,
      commitEvery: this.o.commitEvery,
      commitIntervalMs: this.o.commitIntervalMs,
      snapshot: (next) => state.snapshot(next),
      commitOffset: (offset) => this.consumer.commitOffsets([{ topic: this.o.topics.frames, partition, offset }]),
      onFailure: (err) => this.onSinkFailure(state, err),
      log: this.o.log,
    });
    await this.restore(state, key);
    this.states.set(partition, state);
    return state;
  }

  private async txnProducer(partition: number): Promise<KafkaProducer> {
    let producer = this.txnProducers.get(partition);
    if (!producer) {
      producer = this.o.kafka.producer({
        transactionalId: `${this.o.group}.${this.o.topics.frames}.${partition}`,
        idempotent: true,
        maxInFlightRequests: 1,
      });
      // Connecting initialises the transactional id, which fences (and aborts) any older
      // instance still holding this partition.
      await producer.connect();
      this.txnProducers.set(partition, producer);
    }
    return producer;
  }

  private async restore(state: PartitionState, key: string): Promise<void> {
    const admin = this.o.kafka.admin();
    await admin.connect();
    try {
      const [committed] = await admin.fetchOffsets({ groupId: this.o.group, topics: [this.o.topics.frames] });
      const offset = committed?.partitions.find((p) => p.partition === state.partition)?.offset ?? '-1';
      if (BigInt(offset) < 0n) {
        if (typeof this.o.from === 'number') {
          const offsets = await admin.fetchTopicOffsetsByTimestamp(this.o.topics.frames, this.o.from);
          const target = offsets.find((p) => p.partition === state.partition);
          if (target) {
            state.skipBelow = BigInt(target.offset);
            this.o.log.info({ partition: state.partition, offset: target.offset }, 'starting at --from time');
          }
        }
        return;
      }
      const snap = await this.stateReader.waitFor(key, BigInt(offset), this.o.restoreTimeoutMs ?? 15000);
      if (!snap) {
        this.o.log.warn({ partition: state.partition, committed: offset }, 'no tracker snapshot found for the committed offset; starting fresh trackers');
        return;
      }
      for (const [camera, cam] of Object.entries(snap.cameras)) {
        state.cameras.set(camera, { tracker: restoreTracker(this.o.tracker, cam.tracker), lastSeq: cam.lastSeq });
      }
      state.skipBelow = BigInt(snap.nextOffset);
      if (state.skipBelow > BigInt(offset)) {
        // at-least-once: the previous owner stopped between writing this snapshot (its outputs
        // acknowledged) and committing the offset. Commit it now: the skipped frames never reach
        // the sink, so nothing else would, and a partition with no new frames would show lag forever.
        await this.consumer.commitOffsets([{ topic: this.o.topics.frames, partition: state.partition, offset: snap.nextOffset }]);
      }
      this.o.log.info({ partition: state.partition, committed: offset, snapshot: snap.nextOffset, cameras: state.cameras.size }, 'tracker state restored');
    } finally {
      await admin.disconnect();
    }
  }

  private onSinkFailure(state: PartitionState, err: Error): void {
    if (state.revoked) return;
    this.o.log.error({ partition: state.partition, error: err.message }, 'output failed; reprocessing the partition from its last commit');
    state.revoked = true;
    state.window.clear();
    this.states.delete(state.partition);
    const committed = state.sink.committed;
    this.consumer.seek({ topic: this.o.topics.frames, partition: state.partition, offset: committed ?? String(state.skipBelow >= 0n ? state.skipBelow : 0n) });
    this.resume(state);
  }

  private admit(state: PartitionState, message: ConsumedRecord): void {
    const label = String(state.partition);
    brokerMetrics.framesIn.inc({ partition: label });
    const item: SlotItem = { offset: message.offset, message };
    const ticket = state.window.admit(item);
    brokerMetrics.inFlight.set({ partition: label }, state.window.size);
    const dead = (reason: string) => {
      state.window.complete(ticket, { kind: 'dead', reason, message });
      this.release(state);
    };
    if (!message.value || message.value.length === 0) return dead('empty record value');
    let frame: Frame__Output;
    try {
      frame = FrameCodec.decode(message.value);
    } catch (err) {
      return dead(`not a vsp.v1.Frame: ${(err as Error).message}`);
    }
    const problem = frameProblem(frame);
    if (problem) return dead(problem);
    state.pendingCall.push({ ticket, frame, raw: message.value, admittedAt: nowMs() });
    if (state.pendingCall.length >= this.o.batch) this.dispatch(state);
  }

  /** Sends the partition's admitted frames to the processors, `batch` frames per call. */
  private dispatch(state: PartitionState): void {
    while (state.pendingCall.length > 0) {
      const calls = state.pendingCall.splice(0, this.o.batch);
      const dispatchedAt = nowMs();
      state.inFlightCalls += 1;
      void this.o.pool.process(calls.map((c) => c.raw)).then((outcome) => {
        state.inFlightCalls -= 1;
        brokerMetrics.processorLatency.observe({ processor: outcome.ok ? outcome.processor : 'none' }, outcome.ms / 1000);
        if (state.revoked) return;
        const completedAt = nowMs();
        calls.forEach((c, i) => {
          const result = outcome.ok ? outcome.results[i] : undefined;
          state.window.complete(c.ticket, { kind: 'processed', frame: c.frame, outcome, result, admittedAt: c.admittedAt, dispatchedAt, completedAt });
        });
        this.release(state);
      });
    }
  }

  /** Moves completed frames at the front of the window, in order, through tracker and sink. */
  private release(state: PartitionState): void {
    for (const { item, result } of state.window.release()) {
      if (result.kind === 'dead') this.deadLetter(state, item, result.reason);
      else this.track(state, item, result);
    }
    brokerMetrics.inFlight.set({ partition: String(state.partition) }, state.window.size);
    if (!state.window.full) state.roomWaiters.splice(0).forEach((wake) => wake());
    if (state.paused && !state.window.full && !state.revoked) this.resume(state);
  }

  private resume(state: PartitionState): void {
    state.paused = false;
    this.consumer.resume([{ topic: this.o.topics.frames, partitions: [state.partition] }]);
  }

  private track(state: PartitionState, item: SlotItem, r: Extract<SlotResult, { kind: 'processed' }>): void {
    const { frame, outcome, result } = r;
    let cam = state.cameras.get(frame.cameraId);
    if (cam && frame.seq <= cam.lastSeq) {
      this.deadLetter(state, item, `seq ${frame.seq} of camera ${frame.cameraId} is not after the last tracked seq ${cam.lastSeq} (duplicate or out-of-order frame)`);
      return;
    }
    if (!cam) {
      cam = { tracker: createTracker(this.o.tracker), lastSeq: 0 };
      state.cameras.set(frame.cameraId, cam);
    }
    const step = cam.lastSeq === 0 ? 1 : frame.seq - cam.lastSeq;
    cam.lastSeq = frame.seq;
    let status: Status = 'OK';
    let error = '';
    if (!outcome.ok) {
      status = 'PROCESSOR_FAILED';
      error = outcome.error;
    } else if (result?.error) {
      status = 'FRAME_REJECTED';
      error = result.error;
    }
    const detections = status === 'OK' && result ? result.detections : [];
    const t0 = performance.now();
    const { tracks, rejected } = cam.tracker.update(detections, step);
    const trackerMs = performance.now() - t0;
    if (rejected.length > 0 && !error) error = rejected.map((x) => `detection ${x.index}: ${x.reason}`).join('; ');
    const tracked: TrackedFrame = {
      cameraId: frame.cameraId,
      seq: frame.seq,
      captureTime: frame.captureTime,
      source: { topic: this.o.topics.frames, partition: state.partition, offset: Number(item.offset) },
      width: frame.width,
      height: frame.height,
      detections,
      tracks,
      processor: outcome.ok ? outcome.processor : '',
      timings: {
        queueMs: r.dispatchedAt - r.admittedAt,
        processorMs: outcome.ms,
        reorderMs: nowMs() - r.completedAt,
        trackerMs,
      },
      status,
      error,
    };
    brokerMetrics.framesOut.inc({ status });
    const captured = timestampToMs(frame.captureTime);
    if (Number.isFinite(captured)) brokerMetrics.endToEnd.observe(Math.max(0, nowMs() - captured) / 1000);
    state.sink.push({
      offset: item.offset,
      topic: this.o.topics.tracks,
      message: { key: frame.cameraId, value: Buffer.from(TrackedFrameCodec.encode(tracked)), timestamp: String(Math.round(timestampToMs(frame.captureTime)) || Date.now()) },
    });
  }

  private deadLetter(state: PartitionState, item: SlotItem, reason: string): void {
    brokerMetrics.deadLetters.inc();
    this.o.log.warn({ partition: state.partition, offset: item.offset, reason }, 'record sent to the dead-letter topic');
    const value = DeadLetterCodec.encode({
      topic: this.o.topics.frames,
      partition: state.partition,
      offset: Number(item.offset),
      key: item.message.key ?? Buffer.alloc(0),
      value: item.message.value ?? Buffer.alloc(0),
      reason,
      component: 'broker',
      time: nowTimestamp(),
    });
    state.sink.push({ offset: item.offset, topic: this.o.topics.deadLetter, message: { key: item.message.key, value: Buffer.from(value) } });
  }
}

/** Why a decoded frame cannot be processed, or undefined. */
export function frameProblem(frame: Frame__Output): string | undefined {
  if (!frame.cameraId) return 'frame has no camera_id';
  if (!Number.isSafeInteger(frame.seq) || frame.seq < 1) return `frame seq ${frame.seq} is not a positive integer`;
  if (!frame.image || frame.image.length === 0) return 'frame has no image';
  if (!frame.width || !frame.height) return `frame has zero size (${frame.width}x${frame.height})`;
  return undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
