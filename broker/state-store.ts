// Tracker state survives crashes and rebalances: after its outputs are acknowledged, each
// partition's trackers are snapshotted (JSON, exact doubles) to the compacted
// <prefix>.tracker-state topic together with the next input offset they correspond to. A new
// owner of the partition loads the newest snapshot and skips the frames it already covers.
import type { GroupConsumer, KafkaClient } from '../common/kafka/types.js';
import type { Logger } from '../common/log.js';
import { BARRIER_HEADER, SnapshotAssembler, type PartitionSnapshot } from './snapshot-codec.js';
import { brokerMetrics } from './metrics.js';

export function snapshotKey(group: string, topic: string, partition: number): string {
  return `${group}/${topic}/${partition}`;
}

/**
 * Follows the whole tracker-state topic (committed records only) and keeps the newest snapshot
 * per key. It uses a consumer group of its own, unique to this process, so it always sees every
 * partition from the beginning.
 */
export class TrackerStateReader {
  private readonly latest = new Map<string, PartitionSnapshot>();
  private readonly assembler = new SnapshotAssembler();
  private consumer?: GroupConsumer;
  private waiters: Array<() => void> = [];
  /** This reader's own barriers (see barrierId) that it has read and nobody has waited for yet. */
  private readonly barriersSeen = new Set<string>();
  private barriers = 0;
  private readonly instance = `${process.pid}.${Date.now().toString(36)}`;

  constructor(private readonly kafka: KafkaClient, private readonly topic: string, private readonly group: string, private readonly log: Logger) {}

  async start(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: `${this.group}.state-reader.${this.instance}`,
      readUncommitted: false,
      maxWaitTimeInMs: 100,
      sessionTimeout: 30000,
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        const barrier = message.headers?.[BARRIER_HEADER]?.toString();
        if (barrier !== undefined) {
          if (barrier.startsWith(`${this.instance}/`)) {
            this.barriersSeen.add(barrier);
            this.wakeAll();
          }
          return;
        }
        const key = message.key?.toString();
        // Other groups' snapshots share the topic; only this group's are kept.
        if (!key?.startsWith(`${this.group}/`) || !message.value) return;
        try {
          const done = this.assembler.add(key, message.value);
          if (!done) return;
          const prev = this.latest.get(done.key);
          if (!prev || BigInt(done.snapshot.nextOffset) >= BigInt(prev.nextOffset)) this.latest.set(done.key, done.snapshot);
          this.wakeAll();
        } catch (err) {
          brokerMetrics.snapshotsRejected.inc();
          this.log.warn({ key: key.slice(0, 200), error: (err as Error).message.slice(0, 500) }, 'ignoring an unreadable tracker snapshot');
        }
      },
    });
  }

  /**
   * The newest snapshot for key once one at or past `minNextOffset` has been read, or undefined
   * after timeoutMs (the state was lost; the caller starts fresh trackers and says so).
   */
  async waitFor(key: string, minNextOffset: bigint, timeoutMs: number): Promise<PartitionSnapshot | undefined> {
    return this.until(() => {
      const snap = this.latest.get(key);
      return snap && BigInt(snap.nextOffset) >= minNextOffset ? snap : undefined;
    }, timeoutMs);
  }

  /** A new id for a barrier record (see barrierRecord) that this reader will recognise. */
  barrierId(): string {
    return `${this.instance}/${++this.barriers}`;
  }

  /**
   * Whether the barrier was read within timeoutMs. The topic is read in order, committed records
   * only: once a barrier written after a transaction ended is read, so is what that transaction
   * committed.
   */
  async waitForBarrier(id: string, timeoutMs: number): Promise<boolean> {
    const seen = await this.until(() => this.barriersSeen.delete(id) || undefined, timeoutMs);
    return seen === true;
  }

  /** Polls `found` each time something is read (and every 500 ms) until it returns a value or time is up. */
  private async until<T>(found: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = found();
      if (value !== undefined) return value;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 500));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private wakeAll(): void {
    this.waiters.splice(0).forEach((wake) => wake());
  }

  async stop(): Promise<void> {
    this.wakeAll();
    await this.consumer?.disconnect();
  }
}
