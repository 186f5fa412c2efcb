// The processing broker as a member of the Kafka consumer group: joins, takes and gives up
// partitions, fetches, pauses a partition whose window stays full (Kafka holds the backlog, not
// memory) and resumes it, and per partition wires the pipeline (window, processors, release in
// order), camera tracking and the sink (produce, commit), restoring tracker state on assignment.
import type { EachBatchPayload, GroupConsumer, KafkaClient, KafkaProducer } from '../common/kafka/types.js';
import type { Logger } from '../common/log.js';
import type { Topics } from '../common/kafka/topics.js';
import { CameraTracking } from './camera-tracking.js';
import { OutputBatcher } from './output-batcher.js';
import { PartitionPipeline, type FrameProcessor } from './partition-pipeline.js';
import { PartitionSink } from './partition-sink.js';
import { TrackerStateReader, snapshotKey } from './state-store.js';
import type { TrackerSpec } from './tracker/registry.js';
import { brokerMetrics } from './metrics.js';

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
  log: Logger;
  /** How long to wait for a partition's last tracker snapshot before starting fresh trackers. */
  restoreTimeoutMs?: number;
}

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
      state.pipeline.revoke();
      this.states.delete(partition);
      this.revoking.set(partition, state.sink.abandon());
    }
    // A pause outlives the rebalance in kafkajs, but the state that would resume it is gone.
    if (assigned.size > 0) this.consumer.resume([{ topic: this.o.topics.frames, partitions: [...assigned] }]);
  }

  private async drain(state: PartitionState): Promise<void> {
    await state.pipeline.drained();
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
    const { pipeline } = state;
    for (const message of batch.messages) {
      if (!isRunning() || isStale() || pipeline.revoked || this.stopping) break;
      if (BigInt(message.offset) < state.skipBelow) {
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
      resolveOffset(message.offset);
    }
    pipeline.dispatch();
    const last = batch.messages[batch.messages.length - 1];
    if (last) brokerMetrics.lag.set({ partition: String(partition) }, Math.max(0, Number(batch.highWatermark) - Number(last.offset) - 1));
    await heartbeat();
  }

  private async openPartition(partition: number): Promise<PartitionState> {
    await this.revoking.get(partition);
    this.revoking.delete(partition);
    const { topics } = this.o;
    const key = snapshotKey(this.o.group, topics.frames, partition);
    const producer = this.o.exactlyOnce ? await this.txnProducer(partition) : this.producer;
    const tracking = new CameraTracking(this.o.tracker, { topic: topics.frames, partition });
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
      snapshot: (nextOffset) => ({ version: 2, nextOffset, cameras: tracking.snapshot() }),
      commitOffset: (offset) => this.consumer.commitOffsets([{ topic: topics.frames, partition, offset }]),
      onFailure: (err) => this.onSinkFailure(state, err),
      log: this.o.log,
    });
    const pipeline = new PartitionPipeline({
      partition,
      topics,
      window: this.o.window,
      batch: this.o.batch,
      processor: this.o.pool,
      tracking,
      sink,
      onRoom: () => {
        if (state.paused) this.resume(state);
      },
      log: this.o.log,
    });
    const state: PartitionState = { partition, pipeline, tracking, sink, paused: false, skipBelow: -1n };
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
      state.tracking.restore(snap.cameras);
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
    const committed = state.sink.committed;
    this.consumer.seek({ topic: this.o.topics.frames, partition: state.partition, offset: committed ?? String(state.skipBelow >= 0n ? state.skipBelow : 0n) });
    this.resume(state);
  }

  private resume(state: PartitionState): void {
    state.paused = false;
    this.consumer.resume([{ topic: this.o.topics.frames, partitions: [state.partition] }]);
  }
}
