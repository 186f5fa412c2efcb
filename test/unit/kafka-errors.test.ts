import assert from 'node:assert/strict';
import { CLIENT_ERRORS } from '../../common/kafka/client-errors.js';
import { KafkaError, isKafkaUnavailable, kafkaFailure } from '../../common/kafka/errors.js';
import { kafkaConnection } from '../../common/kafka/connection.js';

const { KafkaJSConnectionError, KafkaJSError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, KafkaJSRequestTimeoutError } = CLIENT_ERRORS;

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

describe('kafkaFailure', () => {
  const connection = kafkaConnection('127.0.0.1:1,127.0.0.1:2', 'test');

  it('says Kafka cannot be reached, keeps the original as cause and is retriable', () => {
    const refused = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:1');
    const err = kafkaFailure(refused, connection);
    assert.ok(err instanceof KafkaError);
    assert.equal(err.message, 'cannot reach Kafka at 127.0.0.1:1,127.0.0.1:2: Connection error: connect ECONNREFUSED 127.0.0.1:1');
    assert.equal(err.cause, refused);
    assert.equal(err.retriable, true);
    assert.equal(kafkaFailure(err, connection), err, 'not wrapped twice');
  });

  it('keeps a fatal error fatal, with its own message', () => {
    const tooLarge = new KafkaJSProtocolError({ message: 'The request included a message larger than the max message size the server will accept', type: 'MESSAGE_TOO_LARGE', code: 10, retriable: false });
    const err = kafkaFailure(tooLarge, connection);
    assert.equal(err.message, 'The request included a message larger than the max message size the server will accept');
    assert.equal(err.retriable, false);
    assert.equal(err.cause, tooLarge);
  });
});
