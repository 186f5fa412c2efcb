import assert from 'node:assert/strict';
import { CLIENT_ERRORS } from '../../common/kafka/client-errors.js';
import { KafkaError, TLS_EXPECTED_CODE, isKafkaUnavailable, isNewGroupGeneration, kafkaFailure } from '../../common/kafka/errors.js';
import { kafkaConnection, type KafkaConnection } from '../../common/kafka/connection.js';

const {
  KafkaJSConnectionClosedError,
  KafkaJSConnectionError,
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
  KafkaJSSASLAuthenticationError,
} = CLIENT_ERRORS;

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

  it("waits out a retriable broker error the rdkafka package's admin marks not retriable (a group coordinator loading)", () => {
    // The shape @confluentinc/kafka-javascript 1.10.1 gives what admin.fetchOffsets threw in the
    // failover test while a new group coordinator loaded (createKafkaJsErrorFromLibRdKafkaError).
    const rdError = (code: number, message: string) => Object.assign(new Error(message), { name: 'KafkaJSProtocolError', code, type: -1, retriable: false });
    assert.equal(isKafkaUnavailable(rdError(14, 'Broker: Coordinator load in progress')), true);
    assert.equal(isKafkaUnavailable(rdError(10, 'Broker: Message size too large')), false);
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

describe('isNewGroupGeneration', () => {
  it("tells a group's new generation (or a rebalance under way) from other refusals, on both clients", () => {
    const rdError = (code: number, message: string) => Object.assign(new Error(message), { name: 'KafkaJSProtocolError', code, type: -1, retriable: false });
    assert.equal(isNewGroupGeneration(rdError(22, 'Failed to commit offsets to transaction: (Broker: Specified group generation id is not valid)')), true);
    assert.equal(isNewGroupGeneration(Object.assign(new Error('Broker: Group rebalance in progress'), { code: 27, type: 'ERR_REBALANCE_IN_PROGRESS' })), true);
    assert.equal(isNewGroupGeneration(new KafkaJSProtocolError({ message: 'The provided generation id is not the current generation', type: 'ILLEGAL_GENERATION', code: 22, retriable: false })), true);
    assert.equal(isNewGroupGeneration(rdError(47, 'Broker: Producer attempted an operation with an old epoch')), false, 'fenced: retrying cannot fix it');
    assert.equal(isNewGroupGeneration(new KafkaJSProtocolError({ message: 'The coordinator is not aware of this member', type: 'UNKNOWN_MEMBER_ID', code: 25, retriable: false })), false);
    assert.equal(isNewGroupGeneration(Object.assign(new Error('code 22 but not from Kafka'), { code: 22 })), false);
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

// Security failures, as kafkajs raised them against `vsp kafka start --secure` (the messages are
// the ones seen there); none is worth a retry, and each gets one line saying what to fix.
describe('kafkaFailure: authentication, authorization and TLS', () => {
  const secure: KafkaConnection = {
    brokers: ['127.0.0.1:9094'],
    clientId: 'test',
    tls: { ca: 'PEM', verifyHostname: true },
    sasl: { mechanism: 'scram-sha-512', username: 'consumer', password: 'x' },
  };
  const exhausted = (e: Error) => new KafkaJSNumberOfRetriesExceeded(e, { retryCount: 5, retryTime: 1000 });
  const fails = (err: Error, connection: KafkaConnection, message: string) => {
    const failure = kafkaFailure(err, connection);
    assert.equal(failure.message, message);
    assert.equal(failure.retriable, false);
    assert.equal(isKafkaUnavailable(err), false);
    assert.equal(failure.cause, err);
  };

  it('a refused login names the user and the settings to check', () => {
    const refused = new KafkaJSSASLAuthenticationError(
      'SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512',
    );
    fails(refused, secure,
      "authentication failed: Kafka at 127.0.0.1:9094 refused user 'consumer' (SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512); check sasl.username and sasl.password in --kafka-config");
  });

  it('an operation the ACLs do not allow names the principal and the Kafka error', () => {
    const denied = new KafkaJSProtocolError({ message: 'Not authorized to access topics: [Topic authorization failed]', type: 'TOPIC_AUTHORIZATION_FAILED', code: 29, retriable: false });
    fails(new KafkaJSNonRetriableError(denied, { cause: denied }), secure,
      'not authorized: Kafka at 127.0.0.1:9094 refused User:consumer TOPIC_AUTHORIZATION_FAILED (Not authorized to access topics: [Topic authorization failed]); its ACLs do not allow this (docs/security.md)');
    const group = new KafkaJSProtocolError({ message: 'Not authorized to access group: Group authorization failed', type: 'GROUP_AUTHORIZATION_FAILED', code: 30, retriable: false });
    assert.match(kafkaFailure(group, secure).message, /^not authorized: .* User:consumer GROUP_AUTHORIZATION_FAILED /);
  });

  it('a certificate the client does not trust: set ssl.ca.location', () => {
    const untrusted = new KafkaJSConnectionError('Connection error: unable to verify the first certificate', { broker: '127.0.0.1:9094', code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    fails(exhausted(untrusted), { ...secure, tls: { verifyHostname: true } },
      'TLS: the certificate of Kafka at 127.0.0.1:9094 is refused (unable to verify the first certificate); set ssl.ca.location in --kafka-config to the CA that signed it');
    const otherHost = new KafkaJSConnectionError("Connection error: Hostname/IP does not match certificate's altnames: IP: 10.0.0.1 is not in the cert's list: 127.0.0.1", { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    assert.match(kafkaFailure(otherHost, secure).message, /is refused \(Hostname\/IP does not match .*\); bootstrap\.servers must name a host the certificate holds$/);
  });

  it('a plaintext client answered in TLS: set security.protocol', () => {
    const tls = new KafkaJSConnectionError('Connection error: the broker answered in TLS', { broker: '127.0.0.1:9094', code: TLS_EXPECTED_CODE });
    fails(exhausted(tls), kafkaConnection('127.0.0.1:9094', 'test'),
      'Kafka at 127.0.0.1:9094 answered in TLS: set security.protocol=SSL or SASL_SSL (and its ssl.*, sasl.*) in --kafka-config (docs/security.md)');
  });

  it('a connection closed on a client without SASL says a listener may require it', () => {
    const closed = exhausted(new KafkaJSConnectionClosedError('Closed connection', { host: '127.0.0.1', port: 9094 }));
    const { sasl: _, ...tlsOnly } = secure;
    assert.equal(kafkaFailure(closed, tlsOnly).message,
      'cannot reach Kafka at 127.0.0.1:9094: Closed connection; if the listener requires SASL or TLS, set security.protocol and sasl.* in --kafka-config (docs/security.md)');
    assert.equal(kafkaFailure(closed, secure).message, 'cannot reach Kafka at 127.0.0.1:9094: Closed connection', 'with SASL it is an outage');
    assert.equal(kafkaFailure(closed, secure).retriable, true);
  });
});
