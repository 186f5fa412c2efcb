// GroupConsumer on the rdkafka client. Cooperative-sticky assignment: a rebalance moves only the
// partitions that change owner; the others keep fetching from where they were, and the listeners
// of onAssignment hear of each revocation and assignment (incremental: true). Consumers read
// committed records only (read_committed) unless asked otherwise.
//
// librdkafka takes the start position (fromBeginning) and auto-commit when the consumer is made,
// which the KafkaJS-style calls give later (subscribe, run): the native consumer is made, and
// connects, in run(). connect() only marks the consumer as wanted. As kafkajs's, run() resolves once
// the group has given this member its first assignment (empty or not; librdkafka tells both), so
// that callers time their idleness from there, not from a join still waiting for a dead member.
import type { Logger } from '../../log.js';
import type { Assignment, AssignmentChange, ConsumerConfig, EachBatchPayload, GroupConsumer, RunConfig, TopicPartitionOffset } from '../types.js';
import { connectWatched, type ConnectWatch } from './connect.js';
import type { Config, RdConsumer, RdKafka } from './load.js';
import { partitionKey, reconcile } from './reconcile.js';

export interface ConsumerContext {
  kafka: RdKafka;
  /** How connect() watches the native client (connect.ts). */
  watch: ConnectWatch;
  /** Makes the running consumer of a group known to the client's transactional producers (sendOffsets). */
  register(groupId: string, consumer: RdConsumer | undefined): void;
  log?: Logger;
}

const ASSIGN_PARTITIONS = -175;
/** How often the group's assignment is checked against what librdkafka fetches (reconcile.ts). */
const RECONCILE_MS = 5_000;

type Listener = (assignment: Assignment, change: AssignmentChange) => void;

export class RdGroupConsumer implements GroupConsumer {
  private consumer?: RdConsumer;
  private subscription?: { topic: string; fromBeginning?: boolean };
  private readonly listeners: Listener[] = [];
  /** This member's partitions per topic, as the rebalances told. */
  private readonly owned = new Map<string, Set<number>>();
  /** The partitions this member paused and did not resume ("topic/partition"). */
  private readonly paused = new Set<string>();
  /** Owned partitions librdkafka did not hold at the last check. */
  private missing = new Set<string>();
  private reconciler?: NodeJS.Timeout;
  private stopped = false;
  /** Resolves run() on the first assignment (or a stop before it). */
  private joined?: () => void;
  /** Handler calls under way (stop() waits for them, as kafkajs's does). */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly ctx: ConsumerContext,
    private readonly config: ConsumerConfig,
  ) {}

  async connect(): Promise<void> {}

  async subscribe(subscription: { topic: string; fromBeginning?: boolean }): Promise<void> {
    if (this.subscription && this.subscription.topic !== subscription.topic) throw new Error('rdkafka consumer: one topic per consumer');
    this.subscription = subscription;
  }

  async run(run: RunConfig): Promise<void> {
    if (!this.subscription) throw new Error('rdkafka consumer: subscribe before run');
    if (this.consumer) throw new Error('rdkafka consumer: already running');
    const c = this.config;
    const fetchBytes = c.maxBytesPerPartition ?? 1_048_576;
    const settings: Config = {
      'group.id': c.groupId,
      'partition.assignment.strategy': 'cooperative-sticky',
      'session.timeout.ms': c.sessionTimeout ?? 30_000,
      'heartbeat.interval.ms': c.heartbeatInterval ?? 3_000,
      'max.partition.fetch.bytes': fetchBytes,
      // The package's compatibility default for this alias of the above would override it.
      'fetch.message.max.bytes': fetchBytes,
      'fetch.wait.max.ms': c.maxWaitTimeInMs ?? 5_000,
      'isolation.level': c.readUncommitted ? 'read_uncommitted' : 'read_committed',
      'auto.offset.reset': this.subscription.fromBeginning ? 'earliest' : 'latest',
      'enable.auto.commit': run.autoCommit !== false,
      'auto.commit.interval.ms': 1_000,
      rebalance_cb: (err: { code: number }, partitions: { topic: string; partition: number }[]) => this.onRebalance(err.code === ASSIGN_PARTITIONS, partitions),
    };
    const joined = new Promise<void>((resolve) => (this.joined = resolve));
    const consumer = this.ctx.kafka.consumer(settings);
    this.consumer = consumer;
    try {
      await connectWatched(() => consumer.connect(), () => consumer._getInternalClient(), this.ctx.watch, () => consumer.disconnect());
      await consumer.subscribe({ topics: [this.subscription.topic] });
    } catch (err) {
      this.consumer = undefined;
      void consumer.disconnect().catch(() => {});
      throw err;
    }
    this.ctx.register(c.groupId, consumer);
    this.reconciler = setInterval(() => this.reconcile(), RECONCILE_MS);
    const { eachBatch, eachMessage } = run;
    await consumer.run({
      partitionsConsumedConcurrently: run.partitionsConsumedConcurrently ?? 1,
      eachBatchAutoResolve: run.eachBatchAutoResolve ?? true,
      ...(eachBatch && {
        eachBatch: (p) => {
          // Stopped: leave the batch unresolved (the package seeks back to it); nobody reads on.
          if (this.stopped) return Promise.resolve();
          const payload: EachBatchPayload = {
            batch: { topic: p.batch.topic, partition: p.batch.partition, highWatermark: p.batch.highWatermark, messages: p.batch.messages },
            resolveOffset: (offset) => p.resolveOffset(offset),
            // librdkafka heartbeats from its own thread.
            heartbeat: async () => {},
            isRunning: () => !this.stopped && p.isRunning(),
            isStale: () => p.isStale(),
          };
          return this.track(eachBatch(payload));
        },
      }),
      ...(eachMessage && {
        eachMessage: (p) => {
          if (this.stopped) return Promise.resolve();
          return this.track(eachMessage({ topic: p.topic, partition: p.partition, message: p.message, heartbeat: async () => {} }));
        },
      }),
    });
    await joined;
  }

  /** Stops handing out records and waits for the handlers under way (disconnect leaves the group). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.reconciler);
    this.joined?.();
    await Promise.allSettled([...this.inFlight]);
  }

  async disconnect(): Promise<void> {
    this.stopped = true;
    clearInterval(this.reconciler);
    this.joined?.();
    const consumer = this.consumer;
    this.consumer = undefined;
    if (!consumer) return;
    this.ctx.register(this.config.groupId, undefined);
    await consumer.disconnect();
  }

  pause(topics: { topic: string; partitions?: number[] }[]): void {
    // Only partitions this member holds (the package pauses others, which librdkafka refuses).
    const held = this.held(topics);
    for (const { topic, partitions } of held) for (const partition of partitions) this.paused.add(partitionKey({ topic, partition }));
    if (held.length > 0) this.consumer?.pause(held);
  }

  resume(topics: { topic: string; partitions?: number[] }[]): void {
    const held = this.held(topics);
    for (const { topic, partitions } of held) for (const partition of partitions) this.paused.delete(partitionKey({ topic, partition }));
    if (held.length > 0) this.consumer?.resume(held);
  }

  seek(target: TopicPartitionOffset): void {
    this.consumer?.seek({ topic: target.topic, partition: target.partition, offset: target.offset });
  }

  async commitOffsets(offsets: TopicPartitionOffset[]): Promise<void> {
    if (!this.consumer) throw new Error('rdkafka consumer: not running');
    await this.consumer.commitOffsets(offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset })));
  }

  onAssignment(listener: Listener): void {
    this.listeners.push(listener);
  }

  private track(call: Promise<void>): Promise<void> {
    this.inFlight.add(call);
    const done = () => void this.inFlight.delete(call);
    call.then(done, done);
    return call;
  }

  private held(topics: { topic: string; partitions?: number[] }[]): { topic: string; partitions: number[] }[] {
    return topics
      .map(({ topic, partitions }) => {
        const owned = this.owned.get(topic) ?? new Set<number>();
        return { topic, partitions: partitions ? partitions.filter((p) => owned.has(p)) : [...owned] };
      })
      .filter((t) => t.partitions.length > 0);
  }

  /** Makes librdkafka fetch what the group gave this member (reconcile.ts says why it may not). */
  private reconcile(): void {
    const native = this.consumer?._getInternalClient();
    if (this.stopped || !native?.isConnected()) return;
    const owned = [...this.owned].flatMap(([topic, set]) => [...set].map((partition) => ({ topic, partition })));
    try {
      const { reassign, resume, missing } = reconcile(owned, native.assignments(), this.paused, this.missing);
      this.missing = missing;
      if (reassign.length > 0) {
        this.ctx.log?.warn({ partitions: reassign.map(partitionKey) }, 'rdkafka consumer: partitions the group gave this member were not fetched; assigning them again');
        native.incrementalAssign(reassign);
      }
      if (resume.length > 0) native.resume(resume);
    } catch (err) {
      this.ctx.log?.warn({ err: (err as Error).message }, 'rdkafka consumer: checking the assignment failed; trying again later');
    }
  }

  /** The package's rebalance callback (it applies the change itself once this returns). */
  private onRebalance(assign: boolean, partitions: { topic: string; partition: number }[]): void {
    const incremental = this.consumer?.rebalanceProtocol() !== 'EAGER';
    const change = toAssignment(partitions);
    if (!incremental) {
      // Eager: every partition is revoked, then the whole new assignment comes; tell once, as kafkajs does.
      this.owned.clear();
      this.paused.clear();
      if (!assign) return;
    }
    for (const { topic, partition } of partitions) {
      let set = this.owned.get(topic);
      if (!set) this.owned.set(topic, (set = new Set()));
      if (assign) set.add(partition);
      else {
        set.delete(partition);
        this.paused.delete(partitionKey({ topic, partition }));
      }
    }
    const assignment: Assignment = {};
    for (const [topic, set] of this.owned) if (set.size > 0) assignment[topic] = [...set].sort((a, b) => a - b);
    const event: AssignmentChange = { incremental, assigned: assign ? change : {}, revoked: assign ? {} : change };
    for (const listener of this.listeners) {
      try {
        listener(assignment, event);
      } catch (err) {
        this.ctx.log?.error({ err: (err as Error).message }, 'rdkafka consumer: assignment listener failed');
      }
    }
    if (assign) this.joined?.();
  }
}

function toAssignment(partitions: { topic: string; partition: number }[]): Assignment {
  const out: Assignment = {};
  for (const { topic, partition } of partitions) (out[topic] ??= []).push(partition);
  for (const list of Object.values(out)) list.sort((a, b) => a - b);
  return out;
}
