// KafkaAdmin on the rdkafka client: connect() connects a producer (so that, as with kafkajs, an
// unreachable Kafka or refused credentials fail there) and takes its admin client. Confluent's
// client has no DescribeCluster, AlterConsumerGroupOffsets, DescribeConfigs or CreateAcls yet, and
// its DescribeGroups can crash the process: describeCluster, setOffsets, describeTopicConfigs,
// createAcls and describeGroups go through a kafkajs admin of the same connection
// (kafkajs-client.ts), connected on first use. A group's offsets are read by a consumer of it.
import { promisify } from 'node:util';
import type { ClientOptions } from '../client-options.js';
import { kafkaJsAdmin } from '../kafkajs-client.js';
import type { KafkaAdmin, KafkaConnection, TopicMetadata } from '../types.js';
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
      const got = await committedOffsets(ctx, groupId, wanted, timeout);
      return wanted.map(({ topic, partitions: ids }) => {
        const committed = new Map(got.filter((g) => g.topic === topic).map((p) => [p.partition, p.offset]));
        return { topic, partitions: ids.map((partition) => ({ partition, offset: committed.get(partition) ?? '-1' })) };
      });
    },
    setOffsets: async (request) => (await kafkajs()).setOffsets(request),
    listGroups: async () => (await rd().listGroups({ timeout })).groups.map((g) => g.groupId),
    // Not the native DescribeGroups: it segfaults on a group whose coordinator cannot answer (its
    // binding reads the result's absent strings; confluent-kafka-javascript#531).
    describeGroups: async (ids) => (ids.length === 0 ? [] : (await kafkajs()).describeGroups(ids)),
    describeCluster: async () => (await kafkajs()).describeCluster(),
    fetchTopicMetadata: metadata,
    describeTopicConfigs: async (topics) => (topics.length === 0 ? new Map() : (await kafkajs()).describeTopicConfigs(topics)),
    createAcls: async (acls) => {
      if (acls.length > 0) await (await kafkajs()).createAcls(acls);
    },
  };
}

/**
 * A group's committed offsets, read by a consumer of that group which joins nothing. Not the admin
 * client's OffsetFetch: when the group's coordinator moves (its node fails), librdkafka answers
 * NOT_COORDINATOR there by asking the handle's consumer group, which an admin client has none of,
 * and the process segfaults (rd_kafka_handle_OffsetFetch; confluent-kafka-javascript#374). A
 * consumer's committed() waits for the new coordinator instead and, read_committed, asks for
 * stable offsets: none while a transaction that commits offsets of the group is still open.
 */
async function committedOffsets(ctx: AdminContext, groupId: string, wanted: { topic: string; partitions: number[] }[], timeout: number) {
  const consumer = ctx.kafka.consumer({ 'group.id': groupId, 'enable.auto.commit': false, 'isolation.level': 'read_committed' });
  await connectWatched(() => consumer.connect(), () => consumer._getInternalClient(), ctx.watch, () => consumer.disconnect());
  try {
    const partitions = wanted.flatMap(({ topic, partitions }) => partitions.map((partition) => ({ topic, partition })));
    // The native consumer's: the package's own committed() turns offset 0 into null.
    const native = consumer._getInternalClient();
    if (!native) throw new Error('rdkafka admin: the consumer reading committed offsets is not connected');
    const committed = await promisify(native.committed.bind(native))(partitions, timeout);
    // No offset (or librdkafka's -1001, invalid): the group committed none there.
    return (committed ?? []).map(({ topic, partition, offset }) => ({ topic, partition, offset: offset === undefined || offset < 0 ? '-1' : String(offset) }));
  } finally {
    await consumer.disconnect().catch(() => {});
  }
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
