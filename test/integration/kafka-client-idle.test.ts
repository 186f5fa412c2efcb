// kafkajs 2.2.4 re-arms a 1 ms "check pending requests" timer forever on every connection that
// has answered a request (common/kafka/request-queue-fix.ts). Our client must not: an idle
// connected producer and consumer arm no request-queue timer at all.
import assert from 'node:assert/strict';
import { createKafka } from '../../common/kafka/client.js';
import { kafkaConnection } from '../../common/kafka/connection.js';
import { topicNames } from '../../common/kafka/topics.js';
import { startTestKafka, type TestKafka } from '../helpers/kafka.js';

/** setTimeout calls made from kafkajs's request queue while `ms` pass. */
async function requestQueueTimers(ms: number): Promise<number> {
  const original = globalThis.setTimeout;
  let count = 0;
  globalThis.setTimeout = ((fn: () => void, delay?: number) => {
    if (new Error().stack?.includes('requestQueue')) count += 1;
    return original(fn, delay);
  }) as typeof setTimeout;
  try {
    await new Promise((r) => original(r, ms));
  } finally {
    globalThis.setTimeout = original;
  }
  return count;
}

describe('Kafka client (kafkajs) when idle', function () {
  this.timeout(60_000);
  let kafka: TestKafka;

  before(async () => {
    kafka = await startTestKafka();
  });
  after(async () => {
    await kafka?.stop();
  });

  it('arms no request-queue timer on connections that have answered requests', async () => {
    const topics = topicNames(await kafka.topics(1));
    const client = createKafka(kafkaConnection(kafka.bootstrap, 'idle-test'));
    const producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
    const consumer = client.consumer({ groupId: `idle-${Date.now()}`, maxWaitTimeInMs: 5000 });
    await producer.connect();
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: topics.frames, fromBeginning: true });
      const got = new Promise<string>((resolve) => {
        void consumer.run({ eachMessage: async ({ message }) => resolve(String(message.value)) });
      });
      await producer.send({ topic: topics.frames, acks: -1, messages: [{ key: 'cam', value: 'hello' }] });
      assert.equal(await got, 'hello');
      // The producer is idle; the consumer sits in a long-polling fetch (5 s).
      assert.equal(await requestQueueTimers(500), 0);
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
    }
  });
});
