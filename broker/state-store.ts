// Tracker state survives crashes and rebalances: after its outputs are acknowledged, each
// partition's trackers are snapshotted (JSON, exact doubles) to the compacted
// <prefix>.tracker-state topic together with the next input offset they correspond to. A new
// owner of the partition loads the newest snapshot and skips the frames it already covers.
import type { GroupConsumer, KafkaClient } from '../common/kafka/types.js';
import type { Logger } from '../common/log.js';
import type { TrackerSnapshot } from './tracker/tracker.js';

export interface CameraState {
  lastSeq: number;
  tracker: TrackerSnapshot;
}

export interface PartitionSnapshot {
  version: 2;
  /** The first input offset NOT reflected in this state. */
  nextOffset: string;
  cameras: Record<string, CameraState>;
}

export function snapshotKey(group: string, topic: string, partition: number): string {
  return `${group}/${topic}/${partition}`;
}

export function encodeSnapshot(s: PartitionSnapshot): Buffer {
  return Buffer.from(JSON.stringify(s));
}

function decodeSnapshot(value: Buffer): PartitionSnapshot {
  const s = JSON.parse(value.toString('utf8')) as PartitionSnapshot | VersionOne;
  if ((s.version !== 1 && s.version !== 2) || typeof s.nextOffset !== 'string' || typeof s.cameras !== 'object' || s.cameras === null) {
    throw new Error('not a version 1 or 2 tracker snapshot');
  }
  return s.version === 2 ? s : upgrade(s);
}

/** Version 1 (before trackers had kinds) held SORT states only, each with its own version field. */
interface VersionOne {
  version: 1;
  nextOffset: string;
  cameras: Record<string, { lastSeq: number; sort: { version?: number } & Record<string, unknown> }>;
}

function upgrade(s: VersionOne): PartitionSnapshot {
  const cameras: Record<string, CameraState> = {};
  for (const [id, { lastSeq, sort }] of Object.entries(s.cameras)) {
    const { version, ...state } = sort ?? {};
    cameras[id] = { lastSeq, tracker: { kind: 'sort', version: version ?? 1, state } };
  }
  return { version: 2, nextOffset: s.nextOffset, cameras };
}

/**
 * Follows the whole tracker-state topic (committed records only) and keeps the newest snapshot
 * per key. It uses a consumer group of its own, unique to this process, so it always sees every
 * partition from the beginning.
 */
export class TrackerStateReader {
  private readonly latest = new Map<string, PartitionSnapshot>();
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
        if (!key || !message.value) return;
        try {
          const snap = decodeSnapshot(message.value);
          const prev = this.latest.get(key);
          if (!prev || BigInt(snap.nextOffset) >= BigInt(prev.nextOffset)) this.latest.set(key, snap);
          this.waiters.splice(0).forEach((wake) => wake());
        } catch (err) {
          this.log.warn({ key, error: (err as Error).message }, 'ignoring an unreadable tracker snapshot');
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
