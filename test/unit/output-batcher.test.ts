// The broker's output coalescing, against a producer whose requests the test completes by hand.
import assert from 'node:assert/strict';
import type { KafkaProducer, SendBatchRequest } from '../../common/kafka/types.js';
import { mergeByTopic, OutputBatcher } from '../../broker/output-batcher.js';

/** Records each sendBatch and lets the test acknowledge or fail it. */
class ManualProducer {
  readonly requests: Array<{ batch: SendBatchRequest; ack: () => void; fail: (err: Error) => void }> = [];

  sendBatch: KafkaProducer['sendBatch'] = (batch) =>
    new Promise((resolve, reject) => {
      this.requests.push({ batch, ack: () => resolve([]), fail: reject });
    });
}

const msg = (v: string) => ({ key: v, value: v });
const settled = () => new Promise((r) => setImmediate(r));

describe('OutputBatcher', () => {
  it('sends at once when idle, then everything handed over meanwhile in one request, in order', async () => {
    const producer = new ManualProducer();
    const out = new OutputBatcher(producer);
    const done: string[] = [];
    const first = out.send([{ topic: 'tracks', messages: [msg('a1')] }]).then(() => done.push('a1'));
    await settled();
    assert.equal(producer.requests.length, 1, 'the first send goes out immediately');
    const b = out.send([{ topic: 'tracks', messages: [msg('b1'), msg('b2')] }]).then(() => done.push('b'));
    const c = out.send([{ topic: 'state', messages: [msg('s1')] }, { topic: 'tracks', messages: [msg('c1')] }]).then(() => done.push('c'));
    await settled();
    assert.equal(producer.requests.length, 1, 'one request in flight at a time');
    producer.requests[0]!.ack();
    await first;
    await settled();
    assert.equal(producer.requests.length, 2);
    assert.deepEqual(producer.requests[1]!.batch.topicMessages, [
      { topic: 'tracks', messages: [msg('b1'), msg('b2'), msg('c1')] },
      { topic: 'state', messages: [msg('s1')] },
    ]);
    assert.equal(producer.requests[1]!.batch.acks, -1);
    assert.deepEqual(done, ['a1'], 'nothing resolves before Kafka acknowledged it');
    producer.requests[1]!.ack();
    await Promise.all([b, c]);
    assert.deepEqual(done, ['a1', 'b', 'c']);
  });

  it('when Kafka refuses a coalesced request, retries each send alone: only the one at fault fails', async () => {
    const producer = new ManualProducer();
    const out = new OutputBatcher(producer);
    const first = out.send([{ topic: 't', messages: [msg('1')] }]);
    await settled();
    const second = out.send([{ topic: 't', messages: [msg('2')] }]);
    const third = out.send([{ topic: 'u', messages: [msg('3')] }]);
    producer.requests[0]!.ack();
    await first;
    await settled();
    producer.requests[1]!.fail(new Error('MESSAGE_TOO_LARGE'));
    await settled();
    assert.equal(producer.requests.length, 3, 'the first send of the failed request, alone');
    assert.deepEqual(producer.requests[2]!.batch.topicMessages, [{ topic: 't', messages: [msg('2')] }]);
    producer.requests[2]!.fail(new Error('MESSAGE_TOO_LARGE'));
    await assert.rejects(second, /MESSAGE_TOO_LARGE/);
    await settled();
    assert.deepEqual(producer.requests[3]!.batch.topicMessages, [{ topic: 'u', messages: [msg('3')] }]);
    producer.requests[3]!.ack();
    await third;
    const fourth = out.send([{ topic: 't', messages: [msg('4')] }]);
    await settled();
    assert.equal(producer.requests.length, 5);
    producer.requests[4]!.ack();
    await fourth;
  });

  it('fails every send of a request when Kafka is unreachable', async () => {
    const producer = new ManualProducer();
    const out = new OutputBatcher(producer);
    const first = out.send([{ topic: 't', messages: [msg('1')] }]);
    await settled();
    const second = out.send([{ topic: 't', messages: [msg('2')] }]);
    const third = out.send([{ topic: 't', messages: [msg('3')] }]);
    producer.requests[0]!.ack();
    await first;
    await settled();
    const refused = Object.assign(new Error('Connection error: connect ECONNREFUSED'), { name: 'KafkaJSConnectionError' });
    producer.requests[1]!.fail(refused);
    await assert.rejects(second, /ECONNREFUSED/);
    await assert.rejects(third, /ECONNREFUSED/);
    assert.equal(producer.requests.length, 2, 'no per-send retries against an unreachable Kafka');
  });

  it('merges entries of one topic keeping message order (kafkajs keeps only the last entry of a topic)', () => {
    assert.deepEqual(mergeByTopic([
      { topic: 'a', messages: [msg('1')] },
      { topic: 'b', messages: [msg('2')] },
      { topic: 'a', messages: [msg('3'), msg('4')] },
    ]), [
      { topic: 'a', messages: [msg('1'), msg('3'), msg('4')] },
      { topic: 'b', messages: [msg('2')] },
    ]);
  });
});
