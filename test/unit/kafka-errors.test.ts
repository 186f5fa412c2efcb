import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { isKafkaUnavailable } from '../../producer/kafka-outage.js';

// kafkajs's own error classes (CommonJS: no named ESM exports), built the way kafkajs builds them
// internally, which its typings do not describe.
type ErrorClass = new (e: unknown, options?: object) => Error;
type Names = 'KafkaJSConnectionError' | 'KafkaJSError' | 'KafkaJSNonRetriableError' | 'KafkaJSNumberOfRetriesExceeded' | 'KafkaJSProtocolError' | 'KafkaJSRequestTimeoutError';
const { KafkaJSConnectionError, KafkaJSError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, KafkaJSRequestTimeoutError } = kafkajs as unknown as Record<Names, ErrorClass>;

describe('isKafkaUnavailable', () => {
  const refused = () => new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092');

  it('sees a refused connection through the wrappers kafkajs puts around it', () => {
    // What producer.send throws while the broker is down (seen against a stopped broker).
    assert.equal(isKafkaUnavailable(new KafkaJSNonRetriableError(refused(), { cause: refused() })), true);
    const exhausted = new KafkaJSNumberOfRetriesExceeded(refused(), { retryCount: 5, retryTime: 1000 });
    assert.equal(isKafkaUnavailable(new KafkaJSNonRetriableError(exhausted, { cause: exhausted })), true);
    assert.equal(isKafkaUnavailable(refused()), true);
    assert.equal(isKafkaUnavailable(new KafkaJSRequestTimeoutError('Request Produce(key: 0, version: 7) timed out')), true);
  });

  it('waits out retriable broker errors such as a leader election', () => {
    assert.equal(isKafkaUnavailable(new KafkaJSProtocolError({ message: 'There is no leader for this topic-partition', type: 'LEADER_NOT_AVAILABLE', code: 5, retriable: true })), true);
  });

  it('does not retry what retrying cannot fix', () => {
    const tooLarge = new KafkaJSProtocolError({ message: 'The request included a message larger than the max message size the server will accept', type: 'MESSAGE_TOO_LARGE', code: 10, retriable: false });
    assert.equal(isKafkaUnavailable(new KafkaJSNonRetriableError(tooLarge, { cause: tooLarge })), false);
    assert.equal(isKafkaUnavailable(new KafkaJSError('The producer is disconnecting')), false);
    assert.equal(isKafkaUnavailable(new TypeError('x is undefined')), false);
    assert.equal(isKafkaUnavailable('ECONNREFUSED'), false);
  });
});
