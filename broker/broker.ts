// The processing broker as a member of the Kafka consumer group: joins, takes and gives up
// partitions, fetches, pauses a partition whose window stays full (Kafka holds the backlog, not
// memory) and resumes it, and per partition wires the pipeline (window, processors, release in
// order), camera tracking and the sink (produce, commit), restoring tracker state on assignment.
import type { AssignmentChange, EachBatchPayload, GroupConsumer, KafkaClient, KafkaProducer } from '../common/kafka/types.js';
import type { Logger } from '../common/log.js';
import type { Topics } from '../common/kafka/topics.js';
import { CameraTracking, type TrackingLimits } from './camera-tracking.js';
import type { FrameLimits } from '../common/frame-limits.js';
import { OutputBatcher } from './output-batcher.js';
import { PartitionPipeline, type FrameProcessor } from './partition-pipeline.js';
import { PartitionSink } from './partition-sink.js';
import { TrackerStateReader, snapshotKey } from './state-store.js';
import { barrierRecord, type PartitionSnapshot } from './snapshot-codec.js';
import type { TrackerSpec } from './tracker/registry.js';
import { brokerMetrics } from './metrics.js';
import { beforeDeadline } from '../common/time.js';

export interface BrokerOptions {
  kafka: KafkaClient;
  group: string;
  topics: Topics;
  pool: FrameProcessor;
  window: number;
  batch: number;
  exactlyOnce: boolean;
  commitEvery: number;
  commitIntervalMs: number;
  /** Where a group with no committed offset starts: earliest, latest, or a time (ms since epoch). */
  from: 'earliest' | 'latest' | number;
  tracker: TrackerSpec;
  frameLimits: FrameLimits;
  trackingLimits: TrackingLimits;
  log: Logger;
  /** How long to wait for a partition's last tracker snapshot before starting fresh trackers. */
  restoreTimeoutMs?: number;
}

/** How long the state reader may take to reach a barrier (it restarts when its own coordinator fails over). */
const BARRIER_TIMEOUT_MS = 60_000;

/**
 * How long one exactly-once transaction may take before the partition is reprocessed under a new
 * producer (which fences this one): over three times a Kafka node's failover (its
 * broker.session.timeout.ms, 9 s), and half the producers' transaction.timeout.ms. librdkafka can
 * leave a partition's records on its internal broker for good after a leader change (seen in the
 * failover tests: the transaction then never ends), so waiting longer only lengthens the stall.
 */
const TRANSACTION_DEADLINE_MS = 30_000;

/** How long a partition's new pipeline waits for its previous one's output to stop before fencing it. */
const ABANDON_WAIT_MS = 10_000;

/**
 * How long opening a partition may take before it is given up and tried again: above the sum of
 * its bounded waits (the previous output 10 s, a transactional id's initialisation 60 s, the
 * barrier 60 s, a snapshot 15 s) only when a native call never answers.
 */
const OPEN_DEADLINE_MS = 150_000;
/** How long a partition whose opening failed waits before its next try. */
const REOPEN_DELAY_MS = 2000;

/** How long a partition with records left may go without admitting one before the broker says why. */
const STALL_REPORT_MS = 30_000;
/**
 * Released outputs of one partition that may wait for Kafka (at least 4 × --commit-every): beyond
 * that its frames wait in Kafka. Outputs are small (a tracked frame has no image): ~1 MB.
 */
const SINK_BACKLOG_MIN = 1_000;

/** How long a batch handler waits for window room before pausing the partition instead. */
const INLINE_WAIT_MS = 2000;

/** One assigned partition: its pipeline, tracking and sink. */
interface PartitionState {
  partition: number;
  pipeline: PartitionPipeline;
  tracking: CameraTracking;
  sink: PartitionSink;
  paused: boolean;
  /** Offsets below this are already reflected in the restored trackers. */
  skipBelow: bigint;
  /** The offset after the last one admitted: a client that fetches a record again (kafkajs can, when a partition's leader moves) must not get it tracked twice. */
  next: bigint;
  /** Records after the last batch's, as that batch's high watermark said. */
  lag: number;
  /** When the last batch that admitted records came (or the partition opened), and when the last batch came. */
  progressAt: number;
  batchAt: number;
  /** A stall of this partition was reported and it has not progressed since. */
  stallReported: boolean;
}

export class Broker {
  private readonly consumer: GroupConsumer;
  private readonly producer: KafkaProducer;
  private readonly output: OutputBatcher;
  private readonly txnProducers = new Map<number, KafkaProducer>();
  private readonly states = new Map<number, PartitionState>();
  private readonly revoking = new Map<number, Promise<void>>();
  /** Each partition's batch handling under way (onBatch). */
  private readonly handling = new Map<number, Promise<void>>();
  /** The partitions whose opening is under way (startOpening). */
  private readonly opening = new Set<number>();
  /** Rebalances that revoked every partition (eager), and revocations per partition (cooperative). */
  private revokedAll = 0;
  private readonly revokedOne = new Map<number, number>();
  private readonly stateReader: TrackerStateReader;
  private stopping = false;
  private stallCheck?: NodeJS.Timeout;

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
    this.consumer.onAssignment((assignment, change) => this.onGroupJoin(assignment, change));
    await this.consumer.subscribe({ topic: this.o.topics.frames, fromBeginning: this.o.from !== 'latest' });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 64,
      eachBatch: (payload) => this.onBatch(payload),
    });
    this.stallCheck = setInterval(() => this.reportStalls(), STALL_REPORT_MS / 3);
  }

  /**
   * Stops fetching, lets in-flight frames finish and commits what is complete, then leaves the
   * group — all within `drainMs`, whether or not Kafka and the processors answer. Resolves to
   * false when the deadline cut it short (what was not committed is re-read by the next owner).
   */
  async stop(drainMs: number): Promise<boolean> {
    this.stopping = true;
    clearInterval(this.stallCheck);
    const deadline = Date.now() + drainMs;
    // Still a member of the group while draining, so that the final commits land.
    this.consumer.pause([{ topic: this.o.topics.frames }]);
    const drained = await Promise.all([...this.states.values()].map((s) => this.drain(s, deadline)));
    const left = await beforeDeadline(
      (async () => {
        await this.consumer.stop();
        await this.consumer.disconnect();
        await this.stateReader.stop();
        await Promise.all([this.producer, ...this.txnProducers.values()].map((p) => p.disconnect()));
      })(),
      // Leaving the group gets a few seconds of its own even when draining used all of drainMs.
      Math.max(deadline, Date.now() + 5000),
    );
    return left && drained.every(Boolean);
  }

  private onGroupJoin(assignment: Record<string, number[]>, change?: AssignmentChange): void {
    const topic = this.o.topics.frames;
    const assigned = new Set(assignment[topic] ?? []);
    if (change?.incremental) {
      // Cooperative (rdkafka): only the partitions that moved were revoked. The others keep their
      // pipeline, trackers and sink, and go on fetching from where they were.
      const added = change.assigned[topic] ?? [];
      const revoked = change.revoked[topic] ?? [];
      this.o.log.info({ partitions: [...assigned], added, revoked }, 'partitions assigned');
      for (const partition of revoked) {
        this.revokedOne.set(partition, (this.revokedOne.get(partition) ?? 0) + 1);
        const state = this.states.get(partition);
        if (state) this.drop(state);
        // Its new owner fences this transactional producer: should the partition come back, a
        // fresh one picks it up.
        const producer = this.txnProducers.get(partition);
        if (producer) {
          this.txnProducers.delete(partition);
          const abandoned = this.revoking.get(partition) ?? Promise.resolve();
          this.revoking.set(partition, abandoned.then(() => producer.disconnect()).catch(() => {}));
        }
      }
      // A partition new to this member starts unpaused (one it held before may have been paused).
      if (added.length > 0) this.consumer.resume([{ topic, partitions: added }]);
      // Opened now rather than at its first batch: librdkafka fetches from a committed offset only
      // once it is stable, and a previous owner killed inside a transaction leaves it unstable
      // until that transaction is fenced — by the opening, which makes the partition's
      // transactional producer — or times out (60 s: each SIGKILL in the tests cost that).
      for (const partition of added) if (!this.states.has(partition) && !this.opening.has(partition)) this.startOpening(partition);
      return;
    }
    // Eager (kafkajs): every partition was revoked, and fetching restarts from the committed
    // offsets. Drop in-flight work; the next batch of a partition restores its state.
    this.o.log.info({ partitions: [...assigned] }, 'partitions assigned');
    this.revokedAll += 1;
    for (const state of this.states.values()) this.drop(state);
    // A pause outlives the rebalance in kafkajs, but the state that would resume it is gone.
    if (assigned.size > 0) this.consumer.resume([{ topic, partitions: [...assigned] }]);
  }

  /** Gives up a revoked partition: in-flight frames are dropped, nothing more is committed. */
  private drop(state: PartitionState): void {
    state.pipeline.revoke();
    this.states.delete(state.partition);
    this.revoking.set(state.partition, state.sink.abandon());
  }

  /** Lets go of a state that was never in use (its opening was given up or revoked). */
  private discard(state: PartitionState): void {
    state.pipeline.revoke();
    void state.sink.abandon();
  }

  /** Changes whenever the partition is revoked. */
  private revocationMark(partition: number): string {
    return `${this.revokedAll}/${this.revokedOne.get(partition) ?? 0}`;
  }

  /** Releases what completes before the deadline, then commits what was released. */
  private async drain(state: PartitionState, deadline: number): Promise<boolean> {
    const released = await beforeDeadline(state.pipeline.drained(), deadline);
    // Frames still in flight are dropped: the sink commits only the released, contiguous prefix.
    state.pipeline.revoke();
    this.states.delete(state.partition);
    const committed = await beforeDeadline(state.sink.close(), deadline);
    return released && committed;
  }

  /**
   * One batch of a partition at a time, in the order they come: the rdkafka client hands a
   * partition to another worker when a handler holds it for seconds (opening it, say), and two
   * handlers would open it twice and admit its records out of order.
   */
  private onBatch(payload: EachBatchPayload): Promise<void> {
    const partition = payload.batch.partition;
    const handled = (this.handling.get(partition) ?? Promise.resolve()).then(() => this.handleBatch(payload));
    const settled = handled.catch(() => {});
    this.handling.set(partition, settled);
    void settled.then(() => {
      if (this.handling.get(partition) === settled) this.handling.delete(partition);
    });
    return handled;
  }

  private async handleBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const partition = batch.partition;
    const state = this.states.get(partition);
    if (!state) {
      // Opening can take long (a coordinator failing over, a snapshot to read) and must not hold
      // this handler: the rdkafka client runs pause, resume and seek only once every partition's
      // handler has returned, so one slow opening would stop them all. The partition waits
      // paused; nothing is resolved, so its records are fetched again once it is open.
      this.consumer.pause([{ topic: this.o.topics.frames, partitions: [partition] }]);
      if (!this.opening.has(partition)) this.startOpening(partition, batch.messages[0]?.offset);
      return;
    }
    const { pipeline } = state;
    state.batchAt = Date.now();
    const nextBefore = state.next;
    for (const message of batch.messages) {
      if (!isRunning() || isStale() || pipeline.revoked || this.stopping) break;
      const offset = BigInt(message.offset);
      if (offset < state.skipBelow || offset < state.next) {
        if (offset >= state.skipBelow) {
          brokerMetrics.refetched.inc();
          this.o.log.debug({ partition, offset: message.offset, next: String(state.next) }, 'record fetched again after it was admitted: ignored');
        }
        resolveOffset(message.offset);
        continue;
      }
      if (pipeline.full) {
        pipeline.dispatch();
        // Room usually frees within a processor latency: wait for it here, keeping the pipeline
        // full. Only a long stall (processors down or slow) pauses the partition, so Kafka, not
        // memory, holds the backlog while heartbeats go on.
        if (!(await pipeline.waitForRoom(INLINE_WAIT_MS, heartbeat))) {
          state.paused = true;
          this.consumer.pause([{ topic: this.o.topics.frames, partitions: [partition] }]);
          break;
        }
        if (!isRunning() || isStale() || pipeline.revoked || this.stopping) break;
      }
      pipeline.admit(message);
      state.next = offset + 1n;
      resolveOffset(message.offset);
    }
    pipeline.dispatch();
    if (state.next !== nextBefore) {
      state.progressAt = state.batchAt;
      state.stallReported = false;
    }
    const last = batch.messages[batch.messages.length - 1];
    if (last) {
      state.lag = Math.max(0, Number(batch.highWatermark) - Number(last.offset) - 1);
      brokerMetrics.lag.set({ partition: String(partition) }, state.lag);
    }
    await heartbeat();
  }

  /**
   * Opens a paused partition in the background and resumes it when open. An opening that fails,
   * or hangs past OPEN_DEADLINE_MS (a native call that never answers), is given up with its
   * producer and tried again: the next one's producer fences whatever the hung one left.
   */
  private startOpening(partition: number, firstOffset?: string): void {
    const mark = this.revocationMark(partition);
    const current = () => !this.stopping && this.revocationMark(partition) === mark;
    let givenUp = false;
    const attempt = this.openPartition(partition, () => current() && !givenUp);
    this.opening.add(partition);
    void (async () => {
      let state: PartitionState;
      try {
        if (!(await beforeDeadline(attempt, Date.now() + OPEN_DEADLINE_MS))) {
          givenUp = true;
          void attempt.then((late) => this.discard(late), () => {});
          throw new Error(`opening did not finish in ${OPEN_DEADLINE_MS / 1000} s`);
        }
        state = await attempt;
      } catch (err) {
        if (current()) {
          this.o.log.warn({ partition, error: (err as Error).message }, 'opening the partition failed; trying again');
          this.discardTxnProducer(partition);
          setTimeout(() => this.resumePartition(partition, current), REOPEN_DELAY_MS);
        } else {
          // Revoked meanwhile: should it have come back, its next batch opens it afresh.
          this.resumePartition(partition, () => !this.stopping);
        }
        return;
      } finally {
        this.opening.delete(partition);
      }
      if (!current()) {
        // Revoked while it opened: another member owns it now, or it came back and its next
        // batch (the resume lets it come) opens it afresh.
        this.discard(state);
        this.resumePartition(partition, () => !this.stopping);
        return;
      }
      this.states.set(partition, state);
      // Assignment and opening are seconds apart when a snapshot must be read first.
      this.o.log.info({ partition, from: String(state.skipBelow >= 0n ? state.skipBelow : firstOffset ?? '') }, 'partition opened');
      this.resume(state);
    })();
  }

  /**
   * Says once, with what the broker knows of it, when a partition with records left admitted none
   * for STALL_REPORT_MS — unless it waits, paused, for room (processors or Kafka slow; they report that).
   */
  private reportStalls(): void {
    const now = Date.now();
    for (const state of this.states.values()) {
      const waitingForRoom = state.paused && state.pipeline.full;
      if (state.stallReported || state.lag === 0 || waitingForRoom || now - state.progressAt < STALL_REPORT_MS) continue;
      state.stallReported = true;
      this.o.log.warn(
        {
          partition: state.partition,
          lag: state.lag,
          sinceProgressMs: now - state.progressAt,
          sinceBatchMs: now - state.batchAt,
          paused: state.paused,
          inFlight: state.pipeline.size,
          committed: state.sink.committed,
          handlerBusy: this.handling.has(state.partition),
        },
        'partition stalled: records left, none admitted',
      );
    }
  }

  /** Lets go of a partition's transactional producer without waiting for it (it may hang). */
  private discardTxnProducer(partition: number): void {
    const producer = this.txnProducers.get(partition);
    this.txnProducers.delete(partition);
    if (producer) void producer.disconnect().catch(() => {});
  }

  /** Builds a partition's state; `current` is false once the opening was given up or revoked. */
  private async openPartition(partition: number, current: () => boolean): Promise<PartitionState> {
    const revoking = this.revoking.get(partition);
    if (revoking && !(await beforeDeadline(revoking, Date.now() + ABANDON_WAIT_MS))) {
      // The last owner's transaction hangs (librdkafka can wait on a coordinator that failed over
      // for minutes): a fresh producer with the same transactional id fences it and settles it.
      this.discardTxnProducer(partition);
      this.o.log.warn({ partition, waitedMs: ABANDON_WAIT_MS }, 'the previous output of this partition did not stop in time; fencing it');
    }
    this.revoking.delete(partition);
    const { topics } = this.o;
    const key = snapshotKey(this.o.group, topics.frames, partition);
    const producer = this.o.exactlyOnce ? await this.txnProducer(partition, key, current) : this.producer;
    const tracking = new CameraTracking({
      spec: this.o.tracker,
      source: { topic: topics.frames, partition },
      limits: this.o.trackingLimits,
      onEvent: (event) => {
        if (event.kind === 'reset') {
          brokerMetrics.trackerResets.inc();
          this.o.log.warn({ partition, camera: event.camera, gap: event.gap }, 'seq jumped past --max-seq-gap: tracker restarted');
        } else {
          brokerMetrics.camerasEvicted.inc({ reason: event.reason });
          this.o.log.debug({ partition, camera: event.camera, reason: event.reason }, 'camera tracker dropped');
        }
        brokerMetrics.cameras.set({ partition: String(partition) }, tracking.size);
      },
    });
    const sink = new PartitionSink({
      exactlyOnce: this.o.exactlyOnce,
      producer,
      send: (topicMessages) => this.output.send(topicMessages),
      group: this.o.group,
      inputTopic: topics.frames,
      partition,
      stateTopic: topics.trackerState,
      stateKey: key,
      commitEvery: this.o.commitEvery,
      commitIntervalMs: this.o.commitIntervalMs,
      transactionDeadlineMs: TRANSACTION_DEADLINE_MS,
      snapshot: (nextOffset) => ({ version: 2, nextOffset, cameras: tracking.snapshot() }),
      commitOffset: (offset) => this.consumer.commitOffsets([{ topic: topics.frames, partition, offset }]),
      onFailure: (err) => this.onSinkFailure(state, err),
      backlogLimit: Math.max(SINK_BACKLOG_MIN, 4 * this.o.commitEvery),
      onRoom: () => pipeline.sinkHasRoom(),
      log: this.o.log,
    });
    const pipeline = new PartitionPipeline({
      partition,
      topics,
      window: this.o.window,
      batch: this.o.batch,
      limits: this.o.frameLimits,
      processor: this.o.pool,
      tracking,
      sink,
      onRoom: () => {
        if (state.paused) this.resume(state);
      },
      log: this.o.log,
    });
    const now = Date.now();
    const state: PartitionState = { partition, pipeline, tracking, sink, paused: false, skipBelow: -1n, next: -1n, lag: 0, progressAt: now, batchAt: now, stallReported: false };
    await this.restore(state, key);
    return state;
  }

  private async txnProducer(partition: number, stateKey: string, current: () => boolean): Promise<KafkaProducer> {
    let producer = this.txnProducers.get(partition);
    if (!producer) {
      producer = this.o.kafka.producer({
        transactionalId: `${this.o.group}.${this.o.topics.frames}.${partition}`,
        idempotent: true,
        maxInFlightRequests: 1,
      });
      // Connecting initialises the transactional id: the coordinator fences any older producer
      // of this partition and finishes the transaction it left (commits it if its commit had
      // begun — even when its client never heard so —, else aborts it).
      const connectAt = Date.now();
      await producer.connect();
      this.o.log.debug({ partition, ms: Date.now() - connectAt }, 'transactional producer ready');
      if (!current()) {
        // Its opening was given up meanwhile: a later one makes its own.
        void producer.disconnect().catch(() => {});
        throw new Error('opening given up');
      }
      this.txnProducers.set(partition, producer);
    }
    const barrierAt = Date.now();
    await this.readPastLastTransaction(producer, partition, stateKey);
    this.o.log.debug({ partition, ms: Date.now() - barrierAt }, 'tracker-state topic read past the last transaction');
    return producer;
  }

  /**
   * Waits until the state reader has read everything the partition's last transaction committed.
   * The group's committed offset alone can lag just after a transaction completes (the group
   * coordinator applies it asynchronously), and trusting an older offset and snapshot would
   * replay frames whose outputs are committed. A barrier record, committed after that transaction
   * ended, is read only after all it committed.
   */
  private async readPastLastTransaction(producer: KafkaProducer, partition: number, stateKey: string): Promise<void> {
    const id = this.stateReader.barrierId();
    const txn = await producer.transaction();
    try {
      await txn.send({ topic: this.o.topics.trackerState, acks: -1, messages: [barrierRecord(stateKey, id, partition)] });
      await txn.commit();
    } catch (err) {
      await txn.abort().catch(() => {});
      throw err;
    }
    if (!(await this.stateReader.waitForBarrier(id, BARRIER_TIMEOUT_MS))) {
      throw new Error(`partition ${partition}: the tracker-state topic was not read up to this broker's barrier in time`);
    }
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
      // Whatever is below the committed offset is done, even when the consumer itself fetched an
      // older one (kafkajs reads committed offsets without require_stable: during a Kafka failover
      // it can get those from before a transaction that was still completing).
      state.skipBelow = BigInt(offset);
      const snap = await this.stateReader.waitFor(key, BigInt(offset), this.o.restoreTimeoutMs ?? 15000);
      if (!snap) {
        this.o.log.warn({ partition: state.partition, committed: offset }, 'no tracker snapshot found for the committed offset; starting fresh trackers');
        return;
      }
      const end = (await admin.fetchTopicOffsets(this.o.topics.frames)).find((p) => p.partition === state.partition)?.high ?? '0';
      const problem = BigInt(snap.nextOffset) > BigInt(end) ? `its nextOffset ${snap.nextOffset} is past the end of the partition (${end})` : restoreProblem(state.tracking, snap.cameras);
      if (problem) {
        // Trusting it could skip frames or crash on them; fresh trackers lose only track ids.
        brokerMetrics.snapshotsRejected.inc();
        this.o.log.warn({ partition: state.partition, committed: offset, problem }, 'ignoring an invalid tracker snapshot; starting fresh trackers');
        return;
      }
      state.skipBelow = BigInt(snap.nextOffset);
      if (state.skipBelow > BigInt(offset)) {
        // at-least-once: the previous owner stopped between writing this snapshot (its outputs
        // acknowledged) and committing the offset. Commit it now: the skipped frames never reach
        // the sink, so nothing else would, and a partition with no new frames would show lag forever.
        await this.consumer.commitOffsets([{ topic: this.o.topics.frames, partition: state.partition, offset: snap.nextOffset }]);
      }
      this.o.log.info({ partition: state.partition, committed: offset, snapshot: snap.nextOffset, cameras: state.tracking.size }, 'tracker state restored');
    } finally {
      await admin.disconnect();
    }
  }

  private onSinkFailure(state: PartitionState, err: Error): void {
    if (state.pipeline.revoked) return;
    this.o.log.error({ partition: state.partition, error: err.message }, 'output failed; reprocessing the partition from its last commit');
    state.pipeline.revoke();
    this.states.delete(state.partition);
    // exactly-once: the failed transaction may still commit (a commit whose answer was lost).
    // A new producer for the partition settles it before the partition is restored (txnProducer).
    this.discardTxnProducer(state.partition);
    const committed = state.sink.committed;
    try {
      this.consumer.seek({ topic: this.o.topics.frames, partition: state.partition, offset: committed ?? String(state.skipBelow >= 0n ? state.skipBelow : 0n) });
      // Its next batch opens it again.
      this.resumePartition(state.partition, () => !this.stopping);
    } catch (seekErr) {
      // The client is restarting its group membership (its coordinator failed over): it then
      // fetches every partition from the committed offsets anyway, which is where this seek led.
      this.o.log.warn({ partition: state.partition, error: (seekErr as Error).message }, 'seek refused while the consumer rejoins its group');
    }
  }

  private resume(state: PartitionState): void {
    state.paused = false;
    this.resumePartition(state.partition, () => this.states.get(state.partition) === state && !state.paused && !this.stopping);
  }

  /**
   * Resumes a partition while `wanted` says so. kafkajs refuses while it restarts its consumer
   * group after a Kafka error (its rejoin then resumes what it assigns): tried again shortly, as
   * nothing else would.
   */
  private resumePartition(partition: number, wanted: () => boolean): void {
    if (!wanted()) return;
    try {
      this.consumer.resume([{ topic: this.o.topics.frames, partitions: [partition] }]);
    } catch (err) {
      this.o.log.debug({ partition, error: (err as Error).message }, 'resume refused; trying again');
      setTimeout(() => this.resumePartition(partition, wanted), REOPEN_DELAY_MS);
    }
  }
}

/** Restores the cameras of a snapshot, or says why they cannot be (the tracking is then unchanged). */
function restoreProblem(tracking: CameraTracking, cameras: PartitionSnapshot['cameras']): string | undefined {
  try {
    tracking.restore(cameras);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
