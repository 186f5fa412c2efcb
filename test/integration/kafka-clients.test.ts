// The Kafka seam's contract (common/kafka/types.ts), checked the same way on both client
// libraries: kafkajs and librdkafka (@confluentinc/kafka-javascript). What the components rely on:
// the Java client's murmur2 partitioning, transactions that commit outputs and the group's offsets
// together (read_committed readers see nothing of an aborted one), per-partition pause/resume,
// seek, commitOffsets, the assignment listener, the admin operations, and errors classified alike.
// The rdkafka runs fail (not skip) when the package is not installed and built.
import assert from 'node:assert/strict';
import { createKafka, partitionForKey } from '../../common/kafka/client.js';
import { kafkaConnection } from '../../common/kafka/connection.js';
import { isKafkaUnavailable, kafkaFailure } from '../../common/kafka/errors.js';
import { createTopics, topicNames } from '../../common/kafka/topics.js';
import type { Assignment, AssignmentChange, ConsumedRecord, GroupConsumer, KafkaClient, KafkaClientName } from '../../common/kafka/types.js';
import { startTestKafka, type TestKafka } from '../helpers/kafka.js';
import { KAFKA_CLIENTS as CLIENTS } from '../helpers/kafka-clients.js';

describe('Kafka clients: the same contract on kafkajs and rdkafka', function () {
  let kafka: TestKafka;
  before(async () => {
    kafka = await startTestKafka();
  });
  after(async () => {
    await kafka?.stop();
  });

  for (const library of CLIENTS) {
    describe(library, () => {
      let prefix = '';
      const client = (id = 'vsp-test'): KafkaClient => createKafka({ ...kafkaConnection(kafka.bootstrap, id), client: library });
      const consumers: GroupConsumer[] = [];
      afterEach(async () => {
        await Promise.all(consumers.splice(0).map((c) => c.disconnect().catch(() => {})));
      });

      it('runs on the library asked for', () => {
        assert.equal(client().library, library);
      });

      it('admin: creates topics; lists, describes and measures them', async () => {
        prefix = `${library}-${process.pid}`;
        const created = await createTopics(client(), prefix, 4);
        const t = topicNames(prefix);
        assert.deepEqual(created.sort(), Object.values(t).sort());
        assert.deepEqual(await createTopics(client(), prefix, 4), [], 'idempotent');
        const admin = client().admin();
        await admin.connect();
        try {
          const topics = await admin.listTopics();
          for (const name of Object.values(t)) assert.ok(topics.includes(name), name);
          const cluster = await admin.describeCluster();
          assert.equal(cluster.brokers.length, 1);
          const [meta] = await admin.fetchTopicMetadata([t.frames]);
          assert.equal(meta!.name, t.frames);
          assert.deepEqual(meta!.partitions.map((p) => p.partitionId).sort(), [0, 1, 2, 3]);
          assert.ok(meta!.partitions.every((p) => p.leader >= 0 && p.isr.length === 1 && p.replicas.length === 1));
          const configs = await admin.describeTopicConfigs([t.trackerState, t.frames]);
          assert.equal(configs.get(t.trackerState)?.['cleanup.policy'], 'compact');
          assert.equal(configs.get(t.frames)?.['unclean.leader.election.enable'], 'false');
          const offsets = await admin.fetchTopicOffsets(t.frames);
          assert.deepEqual(offsets.map((o) => [o.partition, o.high, o.low]).sort(), [0, 1, 2, 3].map((p) => [p, '0', '0']));
          const none = await admin.fetchOffsets({ groupId: `nobody-${library}`, topics: [t.frames] });
          assert.deepEqual(none, [{ topic: t.frames, partitions: [0, 1, 2, 3].map((partition) => ({ partition, offset: '-1' })) }]);
          // Offset 0 is an offset (Confluent's own committed() reports it as null).
          await admin.setOffsets({ groupId: `set-${library}`, topic: t.frames, partitions: [{ partition: 0, offset: '0' }, { partition: 2, offset: '3' }] });
          const set = await admin.fetchOffsets({ groupId: `set-${library}`, topics: [t.frames] });
          assert.deepEqual(set, [{ topic: t.frames, partitions: ['0', '-1', '3', '-1'].map((offset, partition) => ({ partition, offset })) }]);
        } finally {
          await admin.disconnect();
        }
      });

      it("producer: keyed records land on the Java client's murmur2 partition", async () => {
        const t = topicNames(prefix);
        const keys = Array.from({ length: 24 }, (_, i) => `camera-${i}`);
        const producer = client().producer({ idempotent: true, maxInFlightRequests: 1 });
        await producer.connect();
        await producer.send({ topic: t.frames, acks: -1, messages: keys.map((key) => ({ key, value: Buffer.from(key), headers: { h: 'x' } })) });
        await producer.disconnect();
        const read = await readAll(client(), t.frames, keys.length, consumers);
        assert.equal(read.length, keys.length);
        for (const { partition, message } of read) {
          const key = message.key!.toString();
          assert.equal(partition, partitionForKey(key, 4), key);
          assert.equal(message.value!.toString(), key);
          assert.equal(message.headers?.h?.toString(), 'x');
        }
      });

      it('transactions: outputs and the group offsets commit together; an aborted one is never read (read_committed)', async () => {
        const t = topicNames(prefix);
        const group = `txn-${library}`;
        const c = client();
        // The group's consumer (the transactional producer of the same client sends its offsets).
        const consumer = c.consumer({ groupId: group, maxWaitTimeInMs: 100 });
        consumers.push(consumer);
        const seen: { partition: number; offset: string }[] = [];
        await consumer.connect();
        await consumer.subscribe({ topic: t.frames, fromBeginning: true });
        await consumer.run({ autoCommit: false, eachMessage: async ({ partition, message }) => void seen.push({ partition, offset: message.offset }) });
        await until(() => seen.length >= 24, 'the group reads the frames');
        const last = new Map<number, number>();
        for (const s of seen) last.set(s.partition, Math.max(last.get(s.partition) ?? -1, Number(s.offset)));
        const producer = c.producer({ transactionalId: `${group}-p`, idempotent: true, maxInFlightRequests: 1 });
        await producer.connect();
        const aborted = await producer.transaction();
        await aborted.send({ topic: t.tracks, acks: -1, messages: [{ key: 'k', value: 'aborted' }] });
        await aborted.abort();
        const txn = await producer.transaction();
        await txn.sendBatch({ topicMessages: [{ topic: t.tracks, messages: [{ key: 'k', value: 'committed' }] }], acks: -1 });
        await txn.sendOffsets({ consumerGroupId: group, topics: [{ topic: t.frames, partitions: [...last].map(([partition, offset]) => ({ partition, offset: String(offset + 1) })) }] });
        await txn.commit();
        await producer.disconnect();

        const read = await readAll(client(), t.tracks, 1, consumers);
        assert.deepEqual(read.map((r) => r.message.value!.toString()), ['committed']);
        await new Promise((r) => setTimeout(r, 1000));
        assert.equal((await readAll(client(), t.tracks, 1, consumers)).length, 1, 'the aborted record stays invisible');
        const admin = c.admin();
        await admin.connect();
        try {
          const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [t.frames] });
          for (const [partition, offset] of last) assert.equal(offsets!.partitions.find((p) => p.partition === partition)?.offset, String(offset + 1));
        } finally {
          await admin.disconnect();
        }
      });

      it('consumer: assignment listener, pause and resume one partition, seek, commitOffsets', async () => {
        const t = topicNames(prefix);
        const group = `ops-${library}`;
        const consumer = client().consumer({ groupId: group, maxWaitTimeInMs: 100 });
        consumers.push(consumer);
        const assignments: [Assignment, AssignmentChange][] = [];
        const got: { partition: number; offset: string; value: string }[] = [];
        await consumer.connect();
        consumer.onAssignment((a, change) => assignments.push([a, change]));
        await consumer.subscribe({ topic: t.frames, fromBeginning: true });
        await consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          partitionsConsumedConcurrently: 4,
          eachBatch: async ({ batch, resolveOffset, isStale }) => {
            for (const m of batch.messages) {
              if (isStale()) break;
              got.push({ partition: batch.partition, offset: m.offset, value: m.value!.toString() });
              resolveOffset(m.offset);
            }
          },
        });
        await until(() => got.length >= 24, 'all frames read');
        const [assignment, change] = assignments.at(-1)!;
        assert.deepEqual(assignment[t.frames], [0, 1, 2, 3]);
        assert.equal(change.incremental, library === 'rdkafka', 'rdkafka rebalances cooperatively');

        // Pause the partition of camera-0: what is produced to it waits; the others flow.
        const paused = partitionForKey('camera-0', 4);
        const other = [0, 1, 2, 3].find((p) => p !== paused)!;
        const otherKey = Array.from({ length: 100 }, (_, i) => `camera-${i}`).find((k) => partitionForKey(k, 4) === other)!;
        consumer.pause([{ topic: t.frames, partitions: [paused] }]);
        await new Promise((r) => setTimeout(r, 500));
        const producer = client().producer();
        await producer.connect();
        await producer.send({ topic: t.frames, acks: -1, messages: [{ key: 'camera-0', value: 'while-paused' }, { key: otherKey, value: 'flowing' }] });
        await until(() => got.some((g) => g.value === 'flowing'), 'the other partition flows');
        await new Promise((r) => setTimeout(r, 1000));
        assert.ok(!got.some((g) => g.value === 'while-paused'), 'nothing read from the paused partition');
        consumer.resume([{ topic: t.frames, partitions: [paused] }]);
        await until(() => got.some((g) => g.value === 'while-paused'), 'read after resume');

        // Seek back to the start of a partition: its records come again.
        const before = got.filter((g) => g.partition === other).length;
        consumer.seek({ topic: t.frames, partition: other, offset: '0' });
        await until(() => got.filter((g) => g.partition === other).length >= 2 * before, 'records again after seek');

        await consumer.commitOffsets([{ topic: t.frames, partition: other, offset: '1' }]);
        const admin = client().admin();
        await admin.connect();
        try {
          const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [t.frames] });
          assert.equal(offsets!.partitions.find((p) => p.partition === other)?.offset, '1');
        } finally {
          await admin.disconnect();
          await producer.disconnect();
        }
      });

      it('groups: listed and described with their members and partitions', async () => {
        const t = topicNames(prefix);
        const group = `described-${library}`;
        const consumer = client('described-member').consumer({ groupId: group, maxWaitTimeInMs: 100 });
        consumers.push(consumer);
        let assigned = false;
        await consumer.connect();
        consumer.onAssignment((a) => (assigned ||= (a[t.frames] ?? []).length === 4));
        await consumer.subscribe({ topic: t.frames, fromBeginning: true });
        await consumer.run({ autoCommit: false, eachMessage: async () => {} });
        await until(() => assigned, 'assigned');
        const admin = client().admin();
        await admin.connect();
        try {
          assert.ok((await admin.listGroups()).includes(group));
          const [described] = await admin.describeGroups([group]);
          assert.equal(described!.groupId, group);
          assert.equal(described!.state, 'Stable');
          assert.equal(described!.members.length, 1);
          assert.equal(described!.members[0]!.clientId, 'described-member');
          assert.deepEqual(described!.members[0]!.assignment[t.frames]?.slice().sort(), [0, 1, 2, 3]);
        } finally {
          await admin.disconnect();
        }
      });

      it('errors: an unreachable Kafka is reported as such, retriable', async () => {
        const connection = { ...kafkaConnection('127.0.0.1:9', 'vsp-test'), client: library };
        const producer = createKafka(connection).producer();
        const started = Date.now();
        const err = await producer.connect().then(
          () => assert.fail('connected to nothing'),
          (e: unknown) => e,
        );
        assert.ok(Date.now() - started < 15_000, 'gives up within the retries');
        assert.equal(isKafkaUnavailable(err), true);
        const failure = kafkaFailure(err, connection);
        assert.match(failure.message, /^cannot reach Kafka at 127\.0\.0\.1:9: .*ECONNREFUSED/);
        assert.equal(failure.retriable, true);
      });
    });
  }
});

/** Every committed record of a topic, read by a fresh group, once `count` have arrived. */
async function readAll(client: KafkaClient, topic: string, count: number, consumers: GroupConsumer[]): Promise<{ partition: number; message: ConsumedRecord }[]> {
  const consumer = client.consumer({ groupId: `read-${topic}-${Date.now()}-${Math.random()}`, maxWaitTimeInMs: 100 });
  consumers.push(consumer);
  const out: { partition: number; message: ConsumedRecord }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ autoCommit: false, eachMessage: async ({ partition, message }) => void out.push({ partition, message }) });
  await until(() => out.length >= count, `${count} records of ${topic}`);
  await new Promise((r) => setTimeout(r, 200));
  return out;
}

async function until(done: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
