// The partition sink against in-memory Kafka operations: offsets are committed only for outputs
// Kafka acknowledged, with the tracker snapshot matching them; exactly-once puts outputs, the
// snapshot and the offset in one transaction.
import assert from 'node:assert/strict';
import { PartitionSink, type SinkOptions } from '../../broker/partition-sink.js';
import type { PartitionSnapshot } from '../../broker/snapshot-codec.js';
import type { KafkaProducer, KafkaTransaction, TopicRecords } from '../../common/kafka/types.js';
import { quietLog, settle } from './broker-fakes.js';

interface Sent {
  batch: TopicRecords[];
  ack(): void;
  fail(err: Error): void;
}

function options(over: Partial<SinkOptions>, sent: Sent[], commits: string[], failures: Error[]): SinkOptions {
  return {
    exactlyOnce: false,
    producer: {} as KafkaProducer,
    send: (batch) => new Promise((ack, fail) => sent.push({ batch, ack: () => ack(), fail })),
    group: 'g',
    inputTopic: 'frames',
    partition: 2,
    stateTopic: 'state',
    stateKey: 'g/frames/2',
    commitEvery: 3,
    commitIntervalMs: 60_000,
    transactionDeadlineMs: 60_000,
    snapshot: (nextOffset): PartitionSnapshot => ({ version: 2, nextOffset, cameras: {} }),
    commitOffset: async (offset) => void commits.push(offset),
    onFailure: (err) => failures.push(err),
    backlogLimit: 1000,
    log: quietLog,
    ...over,
  };
}

const record = (offset: number) => ({ offset: String(offset), topic: 'tracks', message: { key: 'cam', value: Buffer.from(`o${offset}`) } });
const stateOf = (batch: TopicRecords[]) => JSON.parse(JSON.parse(String(batch.find((t) => t.topic === 'state')!.messages[0]!.value)).data) as PartitionSnapshot;

/** A transactional producer whose transactions log each step; `commit` decides how the commit ends. */
function loggingProducer(log: string[], commit: () => Promise<void>): KafkaProducer {
  const txn: KafkaTransaction = {
    send: async () => {},
    sendBatch: async () => void log.push('batch'),
    sendOffsets: async () => void log.push('offsets'),
    commit: () => {
      log.push('commit');
      return commit();
    },
    abort: async () => void log.push('abort'),
  };
  return { transaction: async () => txn } as unknown as KafkaProducer;
}

describe('PartitionSink', () => {
  it('at-least-once: commits the offset only after the outputs and then the snapshot were acknowledged', async () => {
    const sent: Sent[] = [];
    const commits: string[] = [];
    const failures: Error[] = [];
    const sink = new PartitionSink(options({}, sent, commits, failures));
    for (const o of [10, 11, 12]) sink.push(record(o));
    await settle();
    assert.equal(sent.length, 1);
    assert.deepEqual(sent[0]!.batch, [{ topic: 'tracks', messages: [10, 11, 12].map((o) => record(o).message) }]);
    assert.deepEqual(commits, [], 'nothing committed before Kafka acknowledged the outputs');
    sent[0]!.ack();
    await settle();
    assert.equal(sent.length, 2, 'then the snapshot');
    assert.equal(stateOf(sent[1]!.batch).nextOffset, '13');
    assert.deepEqual(sent[1]!.batch[0]!.messages[0]!.partition, 2);
    assert.deepEqual(commits, []);
    sent[1]!.ack();
    await settle();
    assert.deepEqual(commits, ['13']);
    assert.equal(sink.committed, '13');
    const closed = sink.close();
    await settle();
    await closed;
    assert.deepEqual(failures, []);
  });

  it('at-least-once: a failed send commits nothing and reports the failure once', async () => {
    const sent: Sent[] = [];
    const commits: string[] = [];
    const failures: Error[] = [];
    const sink = new PartitionSink(options({}, sent, commits, failures));
    for (const o of [0, 1, 2]) sink.push(record(o));
    await settle();
    sent[0]!.fail(new Error('MESSAGE_TOO_LARGE'));
    await settle();
    assert.deepEqual(commits, []);
    assert.deepEqual(failures.map((e) => e.message), ['MESSAGE_TOO_LARGE']);
    assert.equal(sink.committed, undefined);
  });

  it('at-least-once: backlogged while Kafka holds a send up, with room again once it takes the backlog', async () => {
    const sent: Sent[] = [];
    let rooms = 0;
    const sink = new PartitionSink(options({ commitEvery: 100, backlogLimit: 4, onRoom: () => rooms++ }, sent, [], []));
    sink.push(record(0));
    await settle();
    assert.equal(sent.length, 1, 'record 0 is being sent');
    for (const o of [1, 2, 3]) sink.push(record(o));
    assert.equal(sink.backlogged, false, 'three waiting, the limit is four');
    sink.push(record(4));
    assert.equal(sink.backlogged, true);
    await settle();
    assert.equal(sent.length, 1, 'one send at a time');
    assert.equal(rooms, 0);
    sent[0]!.ack();
    await settle();
    assert.equal(sink.backlogged, false);
    assert.equal(rooms, 1, 'told once');
    assert.deepEqual(sent[1]!.batch, [{ topic: 'tracks', messages: [1, 2, 3, 4].map((o) => record(o).message) }], 'the backlog, in order');
  });

  it('exactly-once: a backlog commits at once, before --commit-every or the interval is reached', async () => {
    const log: string[] = [];
    let rooms = 0;
    const sink = new PartitionSink(options({ exactlyOnce: true, commitEvery: 100, backlogLimit: 5, onRoom: () => rooms++, producer: loggingProducer(log, async () => {}) }, [], [], []));
    for (const o of [0, 1, 2, 3]) sink.push(record(o));
    await settle();
    assert.deepEqual(log, [], 'not due yet');
    sink.push(record(4));
    await settle();
    await settle();
    assert.deepEqual(log, ['batch', 'offsets', 'commit']);
    assert.equal(rooms, 1);
    assert.equal(sink.backlogged, false);
    await settle();
    assert.equal(sink.committed, '5');
  });

  it('close() sends and commits what was pushed; abandon() commits nothing more', async () => {
    const sent: Sent[] = [];
    const commits: string[] = [];
    const sink = new PartitionSink(options({ commitEvery: 100 }, sent, commits, []));
    sink.push(record(5));
    await settle();
    sent[0]!.ack();
    await settle();
    assert.deepEqual(commits, [], 'not yet due');
    const closing = sink.close();
    await settle();
    sent[1]!.ack();
    await closing;
    assert.deepEqual(commits, ['6']);

    const sent2: Sent[] = [];
    const commits2: string[] = [];
    const other = new PartitionSink(options({ commitEvery: 100 }, sent2, commits2, []));
    other.push(record(7));
    await settle();
    const abandoned = other.abandon();
    sent2[0]!.ack();
    await abandoned;
    assert.deepEqual(commits2, []);
    assert.equal(sent2.length, 1, 'no snapshot after abandoning');
  });

  it('exactly-once: outputs, snapshot and offset in one transaction; a failure aborts it', async () => {
    const log: string[] = [];
    let failNext = false;
    const txn: KafkaTransaction = {
      send: async () => {},
      sendBatch: async (r) => {
        log.push(`batch ${r.topicMessages.map((t) => `${t.topic}:${t.messages.length}`).join(' ')} next=${stateOf(r.topicMessages).nextOffset}`);
        if (failNext) throw new Error('fenced');
      },
      sendOffsets: async (r) => void log.push(`offsets ${r.consumerGroupId} ${r.topics[0]!.topic}[${r.topics[0]!.partitions[0]!.partition}]=${r.topics[0]!.partitions[0]!.offset}`),
      commit: async () => void log.push('commit'),
      abort: async () => void log.push('abort'),
    };
    const producer = { transaction: async () => txn } as unknown as KafkaProducer;
    const failures: Error[] = [];
    const commits: string[] = [];
    const sink = new PartitionSink(options({ exactlyOnce: true, producer, commitEvery: 2 }, [], commits, failures));
    sink.push(record(0));
    await settle();
    assert.deepEqual(log, [], 'waits for commitEvery records');
    sink.push(record(1));
    for (let i = 0; i < 5; i++) await settle();
    assert.deepEqual(log, ['batch tracks:2 state:1 next=2', 'offsets g frames[2]=2', 'commit']);
    assert.equal(sink.committed, '2');
    failNext = true;
    sink.push(record(2));
    sink.push(record(3));
    for (let i = 0; i < 5; i++) await settle();
    assert.deepEqual(log.slice(3), ['batch tracks:2 state:1 next=4', 'abort']);
    assert.deepEqual(failures.map((e) => e.message), ['fenced']);
    assert.equal(sink.committed, '2');
    assert.deepEqual(commits, [], 'exactly-once never commits outside the transaction');
  });

  it('exactly-once: a failed commit is not aborted (it may have reached the coordinator) and is reported once', async () => {
    const log: string[] = [];
    const producer = loggingProducer(log, async () => {
      throw new Error('The coordinator is not aware of this member');
    });
    const failures: Error[] = [];
    const sink = new PartitionSink(options({ exactlyOnce: true, producer, commitEvery: 1 }, [], [], failures));
    sink.push(record(0));
    for (let i = 0; i < 5; i++) await settle();
    assert.deepEqual(log, ['batch', 'offsets', 'commit']);
    assert.deepEqual(failures.map((e) => e.message), ['The coordinator is not aware of this member']);
    assert.equal(sink.committed, undefined, 'a commit of unknown outcome is not counted as committed');
  });

  it('exactly-once: a transaction that hangs past the deadline fails the partition once, and is neither aborted nor counted', async () => {
    const log: string[] = [];
    const producer = loggingProducer(log, () => new Promise(() => {}));
    const failures: Error[] = [];
    const sink = new PartitionSink(options({ exactlyOnce: true, producer, commitEvery: 1, transactionDeadlineMs: 50 }, [], [], failures));
    sink.push(record(0));
    for (let i = 0; i < 5; i++) await settle();
    assert.equal(failures.length, 0, 'still within the deadline');
    await new Promise((r) => setTimeout(r, 80));
    assert.deepEqual(log, ['batch', 'offsets', 'commit']);
    assert.deepEqual(failures.map((e) => e.message), ['the transaction for offsets below 1 did not finish in 0.05 s']);
    assert.equal(sink.committed, undefined);
  });

  // The shape @confluentinc/kafka-javascript gives a transaction's offsets refused by the group
  // coordinator (seen when a rebalance completed while the transaction was open).
  const newGeneration = () => Object.assign(new Error('Failed to commit offsets to transaction: (Broker: Specified group generation id is not valid)'), { name: 'KafkaJSProtocolError', code: 22 });

  it('exactly-once: a transaction refused for a new group generation is aborted and tried again whole, not failed', async () => {
    const log: string[] = [];
    let refusals = 2;
    const txn: KafkaTransaction = {
      send: async () => {},
      sendBatch: async (r) => void log.push(`batch ${r.topicMessages.map((t) => `${t.topic}:${t.messages.length}`).join(' ')} next=${stateOf(r.topicMessages).nextOffset}`),
      sendOffsets: async (r) => {
        log.push(`offsets ${r.topics[0]!.partitions[0]!.offset}`);
        if (refusals-- > 0) throw newGeneration();
      },
      commit: async () => void log.push('commit'),
      abort: async () => void log.push('abort'),
    };
    const producer = { transaction: async () => txn } as unknown as KafkaProducer;
    const failures: Error[] = [];
    const sink = new PartitionSink(options({ exactlyOnce: true, producer, commitEvery: 2 }, [], [], failures));
    sink.push(record(4));
    sink.push(record(5));
    await new Promise((r) => setTimeout(r, 600));
    const attempt = ['batch tracks:2 state:1 next=6', 'offsets 6'];
    assert.deepEqual(log, [...attempt, 'abort', ...attempt, 'abort', ...attempt, 'commit']);
    assert.deepEqual(failures, []);
    assert.equal(sink.committed, '6');
  });

  it('exactly-once: a new group generation is not waited out past the transaction deadline', async () => {
    const log: string[] = [];
    const txn: KafkaTransaction = {
      send: async () => {},
      sendBatch: async () => void log.push('batch'),
      sendOffsets: async () => {
        log.push('offsets');
        throw newGeneration();
      },
      commit: async () => void log.push('commit'),
      abort: async () => void log.push('abort'),
    };
    const producer = { transaction: async () => txn } as unknown as KafkaProducer;
    const failures: Error[] = [];
    const sink = new PartitionSink(options({ exactlyOnce: true, producer, commitEvery: 1, transactionDeadlineMs: 300 }, [], [], failures));
    sink.push(record(0));
    await new Promise((r) => setTimeout(r, 500));
    // Tried at 0 ms and, 200 ms later, once more: a third try would end past the 300 ms deadline.
    assert.deepEqual(log, ['batch', 'offsets', 'abort', 'batch', 'offsets', 'abort']);
    assert.equal(failures.length, 1);
    assert.match(failures[0]!.message, /generation id is not valid/);
    assert.equal(sink.committed, undefined);
  });
});
