import type { KafkaAdmin, KafkaClient } from './types.js';

/** The topics of one deployment, all under a common prefix. */
export interface Topics {
  frames: string;
  tracks: string;
  deadLetter: string;
  trackerState: string;
  events: string;
}

export function topicNames(prefix: string): Topics {
  return {
    frames: `${prefix}.frames`,
    tracks: `${prefix}.tracks`,
    deadLetter: `${prefix}.dead-letter`,
    trackerState: `${prefix}.tracker-state`,
    events: `${prefix}.events`,
  };
}


/** Replication and size settings of the deployment's topics (`vsp topics create`). */
export interface TopicSettings {
  /** Default: 3 on a cluster of ≥ 3 brokers, else 1. */
  replicationFactor?: number;
  /** Default: 2 with a replication factor of ≥ 3, else 1. */
  minInsyncReplicas?: number;
  /** Largest record a topic accepts (default 16 MiB). */
  maxMessageBytes?: number;
}

const DAY_MS = 24 * 3600 * 1000;
/** Retention per topic: frames are only needed until tracked, the outputs and dead letters longer. */
export const RETENTION_MS = { frames: DAY_MS, tracks: 7 * DAY_MS, deadLetter: 30 * DAY_MS, events: 7 * DAY_MS } as const;

/** The settings to use on a cluster of `brokers` brokers: RF 3 / min ISR 2 from 3 brokers up, else 1 / 1. */
export function defaultTopicSettings(brokers: number, given: TopicSettings = {}): Required<TopicSettings> {
  const replicationFactor = given.replicationFactor ?? (brokers >= 3 ? 3 : 1);
  return {
    replicationFactor,
    minInsyncReplicas: given.minInsyncReplicas ?? (replicationFactor >= 3 ? 2 : 1),
    maxMessageBytes: given.maxMessageBytes ?? 16 * 1024 * 1024,
  };
}

/**
 * Creates the deployment's topics (idempotent; existing topics are left as they are). Frames and
 * tracks get `partitions` partitions (the unit of parallelism: one camera lives in one partition);
 * the tracker-state topic is compacted and partitioned like the frames so each broker instance
 * reads only its cameras. Every topic: no unclean leader election, the given min ISR, and the
 * retention of RETENTION_MS.
 */
export async function createTopics(kafka: KafkaClient, prefix: string, partitions: number, settings: TopicSettings = {}): Promise<string[]> {
  const t = topicNames(prefix);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const s = defaultTopicSettings((await admin.describeCluster()).brokers.length, settings);
    const entries = (extra: Record<string, string>) =>
      Object.entries({
        'max.message.bytes': String(s.maxMessageBytes),
        'min.insync.replicas': String(s.minInsyncReplicas),
        'unclean.leader.election.enable': 'false',
        ...extra,
      }).map(([name, value]) => ({ name, value }));
    const retention = (ms: number) => ({ 'retention.ms': String(ms) });
    const wanted = [
      { topic: t.frames, numPartitions: partitions, configEntries: entries(retention(RETENTION_MS.frames)) },
      { topic: t.tracks, numPartitions: partitions, configEntries: entries(retention(RETENTION_MS.tracks)) },
      { topic: t.deadLetter, numPartitions: 1, configEntries: entries(retention(RETENTION_MS.deadLetter)) },
      { topic: t.trackerState, numPartitions: partitions, configEntries: entries({ 'cleanup.policy': 'compact' }) },
      { topic: t.events, numPartitions: 1, configEntries: entries(retention(RETENTION_MS.events)) },
    ];
    const existing = new Set(await admin.listTopics());
    const missing = wanted.filter((w) => !existing.has(w.topic));
    if (missing.length > 0) {
      await admin.createTopics({ topics: missing.map((m) => ({ ...m, replicationFactor: s.replicationFactor })), waitForLeaders: false });
      await waitForLeaders(admin, missing.map((m) => m.topic));
    }
    return missing.map((m) => m.topic);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Waits until every partition of the topics has a leader. (kafkajs's own waitForLeaders gives up
 * when a broker of a cluster has not heard of a new topic yet: "does not host this topic-partition".)
 */
async function waitForLeaders(admin: KafkaAdmin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let lastError: unknown;
    try {
      const metadata = await admin.fetchTopicMetadata(topics);
      if (metadata.length === topics.length && metadata.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw lastError ?? new Error(`topics ${topics.join(', ')} have no leaders after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
