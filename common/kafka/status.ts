// What `vsp status` shows: for each consumer group reading the deployment's topics, its members
// (with their partitions) and its lag per partition (end offset − committed offset).
import type { KafkaClient } from './types.js';
import { topicNames } from './topics.js';

export interface PartitionLag {
  topic: string;
  partition: number;
  end: number;
  committed: number;
  lag: number;
}

export interface GroupStatus {
  group: string;
  state: string;
  members: Array<{ clientId: string; host: string; partitions: string[] }>;
  lag: PartitionLag[];
}

export async function deploymentStatus(kafka: KafkaClient, prefix: string): Promise<GroupStatus[]> {
  const topics = topicNames(prefix);
  const watched = [topics.frames, topics.tracks];
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const present = watched.filter((t) => existing.has(t));
    const ends = new Map<string, Map<number, number>>();
    for (const topic of present) ends.set(topic, new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)])));
    const described = await admin.describeGroups(await admin.listGroups());
    const result: GroupStatus[] = [];
    for (const g of described) {
      const lag: PartitionLag[] = [];
      for (const entry of await admin.fetchOffsets({ groupId: g.groupId, topics: present })) {
        for (const p of entry.partitions) {
          const committed = Number(p.offset);
          if (committed < 0) continue;
          const end = ends.get(entry.topic)?.get(p.partition) ?? 0;
          lag.push({ topic: entry.topic, partition: p.partition, end, committed, lag: Math.max(0, end - committed) });
        }
      }
      if (lag.length === 0) continue; // groups that never committed here (ad-hoc readers)
      const members = g.members.map((m) => ({
        clientId: m.clientId,
        host: m.clientHost,
        partitions: Object.entries(m.assignment).flatMap(([t, ps]) => [...ps].sort((a, b) => a - b).map((p) => `${t}[${p}]`)),
      }));
      result.push({ group: g.groupId, state: g.state, members, lag });
    }
    return result;
  } finally {
    await admin.disconnect();
  }
}

/** A plain-text rendering for terminals. */
export function formatStatus(groups: GroupStatus[]): string {
  if (groups.length === 0) return 'no consumer group has committed offsets on these topics\n';
  const lines: string[] = [];
  for (const g of groups) {
    const total = g.lag.reduce((a, l) => a + l.lag, 0);
    lines.push(`group ${g.group} (${g.state}), lag ${total}`);
    for (const m of g.members) lines.push(`  member ${m.clientId} @ ${m.host}: ${m.partitions.join(' ') || '-'}`);
    for (const l of g.lag) lines.push(`  ${l.topic}[${l.partition}] committed ${l.committed} / end ${l.end}, lag ${l.lag}`);
  }
  return `${lines.join('\n')}\n`;
}
