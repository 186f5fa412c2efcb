// What `vsp topics check` and `vsp status` say about the deployment's topics: settings that would
// lose acknowledged data, and partitions whose in-sync replicas are fewer than their replicas.
import type { KafkaAdmin, KafkaClient, TopicMetadata } from './types.js';
import { topicNames } from './topics.js';

export interface TopicProblem {
  topic: string;
  problem: string;
}

export interface UnderReplicated {
  topic: string;
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
}

export interface TopicsReport {
  brokers: number;
  problems: TopicProblem[];
  underReplicated: UnderReplicated[];
}

/** Pure: the data-loss risks of one topic's settings on a cluster of `brokers` brokers. */
export function topicRisks(topic: string, replicationFactor: number, config: Record<string, string>, brokers: number): TopicProblem[] {
  const problems: string[] = [];
  const minIsr = Number(config['min.insync.replicas'] ?? '1');
  if (replicationFactor < 2 && brokers > 1) problems.push(`replication factor ${replicationFactor} on a ${brokers}-broker cluster: losing one broker loses its partitions`);
  if (config['unclean.leader.election.enable'] === 'true') problems.push('unclean.leader.election.enable=true: an out-of-sync replica may become leader and drop acknowledged records');
  if (replicationFactor > 1 && minIsr < 2) problems.push(`min.insync.replicas ${minIsr} with acks=all: an acknowledged record may exist on one replica only`);
  if (minIsr > replicationFactor) problems.push(`min.insync.replicas ${minIsr} > replication factor ${replicationFactor}: acks=all writes always fail`);
  return problems.map((problem) => ({ topic, problem }));
}

/** Partitions with fewer in-sync replicas than replicas (or no leader). */
export function underReplicatedOf(metadata: TopicMetadata[]): UnderReplicated[] {
  return metadata.flatMap((t) =>
    t.partitions
      .filter((p) => p.isr.length < p.replicas.length || p.leader < 0)
      .map((p) => ({ topic: t.name, partition: p.partitionId, leader: p.leader, replicas: p.replicas, isr: p.isr })),
  );
}

async function withAdmin<T>(kafka: KafkaClient, use: (admin: KafkaAdmin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Checks every topic of the deployment (a missing one is a problem too). */
export function checkTopics(kafka: KafkaClient, prefix: string): Promise<TopicsReport> {
  return withAdmin(kafka, async (admin) => {
    const brokers = (await admin.describeCluster()).brokers.length;
    const existing = new Set(await admin.listTopics());
    const names = Object.values(topicNames(prefix));
    const present = names.filter((n) => existing.has(n));
    const problems: TopicProblem[] = names.filter((n) => !existing.has(n)).map((topic) => ({ topic, problem: 'missing (run vsp topics create)' }));
    const metadata = present.length ? await admin.fetchTopicMetadata(present) : [];
    const configs = await admin.describeTopicConfigs(present);
    for (const t of metadata) {
      const rf = Math.min(...t.partitions.map((p) => p.replicas.length));
      problems.push(...topicRisks(t.name, rf, configs.get(t.name) ?? {}, brokers));
    }
    return { brokers, problems, underReplicated: underReplicatedOf(metadata) };
  });
}

/** The deployment's partitions that are under-replicated right now. */
export function underReplicatedPartitions(kafka: KafkaClient, prefix: string): Promise<UnderReplicated[]> {
  return withAdmin(kafka, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const present = Object.values(topicNames(prefix)).filter((n) => existing.has(n));
    return underReplicatedOf(present.length ? await admin.fetchTopicMetadata(present) : []);
  });
}

export function formatUnderReplicated(list: UnderReplicated[]): string {
  if (list.length === 0) return 'under-replicated partitions: none\n';
  return `under-replicated partitions: ${list.length}\n${list
    .map((u) => `  ${u.topic}[${u.partition}] leader ${u.leader}, replicas ${u.replicas.join(',')}, in sync ${u.isr.join(',') || '-'}`)
    .join('\n')}\n`;
}

export function formatTopicsReport(r: TopicsReport): string {
  const lines = [`${r.brokers} broker(s); ${r.problems.length ? `${r.problems.length} problem(s)` : 'no settings that lose data'}`];
  for (const p of r.problems) lines.push(`  ${p.topic}: ${p.problem}`);
  return `${lines.join('\n')}\n${formatUnderReplicated(r.underReplicated)}`;
}
