import type { KafkaClient } from './types.js';

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


/**
 * Creates the deployment's topics (idempotent). Frames and tracks get `partitions` partitions
 * (the unit of parallelism: one camera lives in one partition); the tracker-state topic is
 * compacted and partitioned like the frames so each broker instance reads only its cameras.
 */
export async function createTopics(kafka: KafkaClient, prefix: string, partitions: number): Promise<string[]> {
  const t = topicNames(prefix);
  const big = [{ name: 'max.message.bytes', value: String(16 * 1024 * 1024) }];
  const wanted = [
    { topic: t.frames, numPartitions: partitions, configEntries: big },
    { topic: t.tracks, numPartitions: partitions, configEntries: big },
    { topic: t.deadLetter, numPartitions: 1, configEntries: big },
    { topic: t.trackerState, numPartitions: partitions, configEntries: [...big, { name: 'cleanup.policy', value: 'compact' }] },
    { topic: t.events, numPartitions: 1 },
  ];
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = wanted.filter((w) => !existing.has(w.topic));
    if (missing.length > 0) {
      await admin.createTopics({ topics: missing.map((m) => ({ ...m, replicationFactor: 1 })), waitForLeaders: true });
    }
    return missing.map((m) => m.topic);
  } finally {
    await admin.disconnect();
  }
}
