// Tracker state survives crashes and rebalances: after its outputs are acknowledged, each
// partition's trackers are snapshotted (JSON, exact doubles) to the compacted
// <prefix>.tracker-state topic together with the next input offset they correspond to. A new
// owner of the partition loads the newest snapshot and skips the frames it already covers.
import type { GroupConsumer, KafkaClient } from '../common/kafka/types.js';
import type { Logger } from '../common/log.js';
import { SnapshotAssembler, type PartitionSnapshot } from './snapshot-codec.js';
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

  constructor(private readonly kafka: KafkaClient, private readonly topic: string, private readonly group: string, private readonly log: Logger) {}

  async start(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: `${this.group}.state-reader.${process.pid}.${Date.now().toString(36)}`,
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
        const key = message.key?.toString();
        // Other groups' snapshots share the topic; only this group's are kept.
        if (!key?.startsWith(`${this.group}/`) || !message.value) return;
        try {
          const done = this.assembler.add(key, message.value);
          if (!done) return;
          const prev = this.latest.get(done.key);
          if (!prev || BigInt(done.snapshot.nextOffset) >= BigInt(prev.nextOffset)) this.latest.set(done.key, done.snapshot);
          this.waiters.splice(0).forEach((wake) => wake());
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
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const snap = this.latest.get(key);
      if (snap && BigInt(snap.nextOffset) >= minNextOffset) return snap;
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

  async stop(): Promise<void> {
    this.waiters.splice(0).forEach((wake) => wake());
    await this.consumer?.disconnect();
  }
}
