// Output side of one input partition: released records (tracked frames, dead letters) are
// produced in release order, then — periodically — the tracker snapshot and the input offset are
// committed. Offsets are only ever committed for records whose output Kafka acknowledged.
//   at-least-once: outputs are sent as soon as they are released; every N records or T ms the
//     snapshot is written after those outputs were acked, then the offset is committed.
//   exactly-once: every N records or T ms, one transaction holds the outputs, the snapshot and
//     the consumed offset (a transactional producer per input partition fences zombies).
import type { KafkaProducer, KafkaRecord, TopicRecords } from '../common/kafka/types.js';
import type { Logger } from '../common/log.js';
import { mergeByTopic } from './output-batcher.js';
import { snapshotRecords, type PartitionSnapshot } from './snapshot-codec.js';
import { beforeDeadline } from '../common/time.js';
import { isNewGroupGeneration } from '../common/kafka/errors.js';

/** How long a transaction refused for a new group generation waits before it is tried again. */
const GENERATION_RETRY_MS = 200;

export interface SinkRecord {
  /** Input offset this record came from. */
  offset: string;
  topic: string;
  message: KafkaRecord;
}

export interface SinkOptions {
  exactlyOnce: boolean;
  /** exactly-once: this partition's transactional producer. */
  producer: KafkaProducer;
  /** at-least-once: sends and resolves once Kafka acknowledged (acks=all), e.g. OutputBatcher.send. */
  send: (topicMessages: TopicRecords[]) => Promise<void>;
  group: string;
  inputTopic: string;
  partition: number;
  stateTopic: string;
  stateKey: string;
  commitEvery: number;
  commitIntervalMs: number;
  /** The trackers' state right now (after the last pushed record). */
  snapshot: (nextOffset: string) => PartitionSnapshot;
  /** at-least-once: commits the consumer offset. */
  commitOffset: (offset: string) => Promise<void>;
  /** exactly-once: how long one transaction may take before it counts as failed. */
  transactionDeadlineMs: number;
  /** A send or transaction failed: the partition must be reprocessed from its last commit. */
  onFailure: (err: Error) => void;
  /**
   * Released records waiting to be sent at which the sink counts as backlogged: while Kafka cannot
   * take a partition's outputs, its pipeline stops admitting frames (they wait in Kafka, not here).
   */
  backlogLimit: number;
  /** The backlog fell below backlogLimit (a pipeline held up by it may admit again). */
  onRoom?: () => void;
  log: Logger;
}

export class PartitionSink {
  private pending: SinkRecord[] = [];
  private sinceCommit = 0;
  /** at-least-once: input offset (exclusive) of the last acknowledged send. */
  private lastSent?: string;
  private lastCommitAt = Date.now();
  private wake?: () => void;
  private stopped = false;
  private abandoned = false;
  private readonly loop: Promise<void>;
  /** Input offset (exclusive) up to which outputs and state are committed. */
  committed?: string;

  constructor(private readonly o: SinkOptions) {
    this.loop = this.run();
  }

  push(record: SinkRecord): void {
    this.pending.push(record);
    this.wake?.();
  }

  /** Too many released records wait to be sent (SinkOptions.backlogLimit). */
  get backlogged(): boolean {
    return this.pending.length >= this.o.backlogLimit;
  }

  /** Sends and commits everything pushed so far, then stops. */
  async close(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  /**
   * Stops at once: what was not sent is discarded (the next owner re-reads it), and nothing more
   * is committed — the trackers have moved past the last send, so a snapshot now would claim
   * frames whose outputs were never written.
   */
  async abandon(): Promise<void> {
    this.abandoned = true;
    this.pending = [];
    await this.close();
  }

  private async run(): Promise<void> {
    try {
      for (;;) {
        await this.waitForWork();
        if (this.abandoned) return;
        if (this.pending.length === 0 && this.sinceCommit === 0 && this.stopped) return;
        if (this.o.exactlyOnce) await this.transact();
        else await this.sendThenMaybeCommit();
      }
    } catch (err) {
      this.pending = [];
      this.o.onFailure(err as Error);
    }
  }

  private intervalElapsed(): boolean {
    return Date.now() - this.lastCommitAt >= this.o.commitIntervalMs;
  }

  private commitDue(extra = 0): boolean {
    return this.stopped || this.sinceCommit + extra >= this.o.commitEvery || this.intervalElapsed();
  }

  private ready(): boolean {
    if (this.stopped || this.backlogged) return true;
    if (this.o.exactlyOnce) return this.pending.length > 0 && this.commitDue(this.pending.length);
    return this.pending.length > 0 || (this.sinceCommit > 0 && this.intervalElapsed());
  }

  private async waitForWork(): Promise<void> {
    while (!this.ready()) {
      const waitMs = Math.max(1, this.o.commitIntervalMs - (Date.now() - this.lastCommitAt));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  private take(): { batch: TopicRecords[]; nextOffset: string; count: number } {
    const wasBacklogged = this.backlogged;
    const records = this.pending;
    this.pending = [];
    if (wasBacklogged) this.o.onRoom?.();
    const last = records[records.length - 1]!;
    return {
      batch: mergeByTopic(records.map((r) => ({ topic: r.topic, messages: [r.message] }))),
      nextOffset: (BigInt(last.offset) + 1n).toString(),
      count: records.length,
    };
  }

  private stateMessage(nextOffset: string): TopicRecords {
    return {
      topic: this.o.stateTopic,
      messages: snapshotRecords(this.o.stateKey, this.o.snapshot(nextOffset), this.o.partition),
    };
  }

  private async sendThenMaybeCommit(): Promise<void> {
    if (this.pending.length > 0) {
      const { batch, nextOffset, count } = this.take();
      // A snapshot must match exactly the records taken, so it is captured now, before the send.
      const state = this.commitDue(count) ? this.stateMessage(nextOffset) : undefined;
      await this.o.send(batch);
      this.sinceCommit += count;
      this.lastSent = nextOffset;
      if (state) await this.commit(state, nextOffset);
    } else if (this.lastSent !== undefined) {
      // Idle: nothing was released since the last send, so the trackers are exactly at lastSent.
      await this.commit(this.stateMessage(this.lastSent), this.lastSent);
    }
  }

  private async commit(state: TopicRecords, nextOffset: string): Promise<void> {
    await this.o.send([state]);
    try {
      await this.o.commitOffset(nextOffset);
    } catch (err) {
      // A rebalance is under way: the snapshot already covers these records, so the next owner
      // skips them; nothing is lost or fed twice to a tracker.
      this.o.log.warn({ partition: this.o.partition, error: (err as Error).message }, 'offset commit failed');
    }
    this.markCommitted(nextOffset);
  }

  private markCommitted(nextOffset: string): void {
    this.committed = nextOffset;
    this.sinceCommit = 0;
    this.lastCommitAt = Date.now();
  }

  private async transact(): Promise<void> {
    const { batch, nextOffset } = this.take();
    const state = this.stateMessage(nextOffset);
    const deadline = Date.now() + this.o.transactionDeadlineMs;
    const transaction = (async () => {
      for (;;) {
        const txn = await this.o.producer.transaction();
        try {
          await txn.sendBatch({ topicMessages: [...batch, state], acks: -1 });
          await txn.sendOffsets({
            consumerGroupId: this.o.group,
            topics: [{ topic: this.o.inputTopic, partitions: [{ partition: this.o.partition, offset: nextOffset }] }],
          });
        } catch (err) {
          await txn.abort().catch(() => {});
          // A rebalance gave the group a new generation while this transaction was open (with
          // cooperative rebalancing, one that leaves this partition here too): the aborted
          // transaction is tried again once the consumer has rejoined, the trackers untouched.
          if (isNewGroupGeneration(err) && !this.abandoned && Date.now() + GENERATION_RETRY_MS < deadline) {
            this.o.log.info({ partition: this.o.partition, error: (err as Error).message }, 'transaction aborted by a rebalance; trying it again');
            await new Promise((r) => setTimeout(r, GENERATION_RETRY_MS));
            continue;
          }
          throw err;
        }
        // Not aborted when the commit fails: it may have reached the coordinator, and only a new
        // producer with this transactional id can learn how it ended (see Broker.txnProducer).
        await txn.commit();
        return;
      }
    })();
    // A client can wait forever on a coordinator that failed over (librdkafka did, in the failover
    // tests): past the deadline the partition is reprocessed, and the new producer fences this one.
    if (!(await beforeDeadline(transaction, deadline))) {
      transaction.catch(() => {});
      throw new Error(`the transaction for offsets below ${nextOffset} did not finish in ${this.o.transactionDeadlineMs / 1000} s`);
    }
    this.markCommitted(nextOffset);
  }
}
