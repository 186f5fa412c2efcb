// KafkaAdmin on the rdkafka client: connect() connects a producer (so that, as with kafkajs, an
// unreachable Kafka or refused credentials fail there) and takes its admin client. Confluent's
// client has no DescribeCluster, AlterConsumerGroupOffsets, DescribeConfigs or CreateAcls yet:
// describeCluster, setOffsets, describeTopicConfigs and createAcls go through a kafkajs admin of
// the same connection (kafkajs-client.ts), connected on first use.
import type { ClientOptions } from '../client-options.js';
import { kafkaJsAdmin } from '../kafkajs-client.js';
import type { GroupDescription, KafkaAdmin, KafkaConnection, TopicMetadata } from '../types.js';
import { connectWatched, type ConnectWatch } from './connect.js';
import type { KafkaJsApi, RdAdmin, RdKafka, RdProducer } from './load.js';

export interface AdminContext {
  kafka: RdKafka;
  api: KafkaJsApi;
  connection: KafkaConnection;
  options: ClientOptions;
  /** How connect() watches the native client (connect.ts). */
  watch: ConnectWatch;
}

/** Kafka's names of the group states (what kafkajs reports), by librdkafka's ConsumerGroupStates. */
const GROUP_STATES = ['Unknown', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead', 'Empty'];

export function rdkafkaAdmin(ctx: AdminContext): KafkaAdmin {
  // Each operation's own timeout: a probe (retries 0) gives up soon.
  const timeout = ctx.options.retries === 0 ? 5_000 : 30_000;
  const isolationLevel = ctx.api.IsolationLevel.READ_COMMITTED;
  let producer: RdProducer | undefined;
  let admin: RdAdmin | undefined;
  let fallback: { admin: KafkaAdmin; connected: Promise<void> } | undefined;

  const rd = (): RdAdmin => {
    if (!admin) throw new Error('rdkafka admin: not connected');
    return admin;
  };
  /** The kafkajs admin for what Confluent's client lacks. */
  const kafkajs = async (): Promise<KafkaAdmin> => {
    if (!fallback) {
      const a = kafkaJsAdmin(ctx.connection, ctx.options);
      fallback = { admin: a, connected: a.connect() };
    }
    await fallback.connected;
    return fallback.admin;
  };
  const metadata = async (topics: string[]): Promise<TopicMetadata[]> =>
    (await rd().fetchTopicMetadata({ topics, timeout })).map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionId: p.partitionId, leader: p.leader, replicas: p.replicas, isr: p.isr })),
    }));

  return {
    async connect() {
      const p = ctx.kafka.producer({ 'allow.auto.create.topics': false });
      try {
        await connectWatched(() => p.connect(), () => p._getInternalClient(), ctx.watch, () => p.disconnect());
        const a = p.dependentAdmin();
        await a.connect();
        producer = p;
        admin = a;
      } catch (err) {
        void p.disconnect().catch(() => {});
        throw err;
      }
    },
    async disconnect() {
      const [a, p, f] = [admin, producer, fallback];
      admin = producer = fallback = undefined;
      await a?.disconnect().catch(() => {});
      await p?.disconnect();
      if (f) await f.connected.then(() => f.admin.disconnect()).catch(() => {});
    },
    listTopics: () => rd().listTopics({ timeout }),
    async createTopics({ topics, waitForLeaders }) {
      const created = await rd().createTopics({ topics: topics.map((t) => ({ ...t })), timeout });
      if (waitForLeaders ?? true) await leadersOf(topics.map((t) => t.topic), metadata, timeout);
      return created;
    },
    async fetchTopicOffsets(topic) {
      return (await rd().fetchTopicOffsets(topic, { timeout, isolationLevel })).map(({ partition, offset, high, low }) => ({ partition, offset, high, low }));
    },
    async fetchTopicOffsetsByTimestamp(topic, timestamp) {
      return (await rd().fetchTopicOffsetsByTimestamp(topic, timestamp, { timeout, isolationLevel })).map(({ partition, offset }) => ({ partition, offset }));
    },
    async fetchOffsets({ groupId, topics }) {
      // kafkajs answers every partition of the topics, '-1' where the group committed nothing.
      const partitions = await metadata(topics);
      const wanted = partitions.map((t) => ({ topic: t.name, partitions: t.partitions.map((p) => p.partitionId).sort((a, b) => a - b) }));
      if (wanted.every((t) => t.partitions.length === 0)) return wanted.map((t) => ({ topic: t.topic, partitions: [] }));
      // Stable offsets: not while a transaction that commits offsets of the group is still open.
      const got = await rd().fetchOffsets({ groupId, topics: wanted.filter((t) => t.partitions.length > 0), timeout, requireStableOffsets: true });
      return wanted.map(({ topic, partitions: ids }) => {
        const committed = new Map((got.find((g) => g.topic === topic)?.partitions ?? []).map((p) => [p.partition, p.offset]));
        return { topic, partitions: ids.map((partition) => ({ partition, offset: BigInt(committed.get(partition) ?? '-1') < 0n ? '-1' : committed.get(partition)! })) };
      });
    },
    setOffsets: async (request) => (await kafkajs()).setOffsets(request),
    listGroups: async () => (await rd().listGroups({ timeout })).groups.map((g) => g.groupId),
    async describeGroups(ids): Promise<GroupDescription[]> {
      if (ids.length === 0) return [];
      return (await rd().describeGroups(ids, { timeout })).groups.map((g) => ({
        groupId: g.groupId,
        state: GROUP_STATES[g.state] ?? 'Unknown',
        members: g.members.map((m) => {
          const assignment: Record<string, number[]> = {};
          for (const { topic, partition } of m.assignment?.topicPartitions ?? []) (assignment[topic] ??= []).push(partition);
          return { clientId: m.clientId, clientHost: m.clientHost, assignment };
        }),
      }));
    },
    describeCluster: async () => (await kafkajs()).describeCluster(),
    fetchTopicMetadata: metadata,
    describeTopicConfigs: async (topics) => (topics.length === 0 ? new Map() : (await kafkajs()).describeTopicConfigs(topics)),
    createAcls: async (acls) => {
      if (acls.length > 0) await (await kafkajs()).createAcls(acls);
    },
  };
}

/** Waits until every partition of the topics has a leader (createTopics' waitForLeaders). */
async function leadersOf(topics: string[], metadata: (topics: string[]) => Promise<TopicMetadata[]>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const m = await metadata(topics);
      if (m.length === topics.length && m.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) throw new Error(`topics ${topics.join(', ')} have no leaders after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
