// The one module that knows the Kafka client library (kafkajs today; it is unmaintained, and
// keeping it behind the interfaces of types.ts lets another client replace it here alone).
import { AssignerProtocol, Kafka, logLevel, Partitioners, type LogEntry, type RetryOptions, type SASLOptions } from 'kafkajs';
import type { Logger } from '../log.js';
import type { ConnectionOptions } from 'node:tls';
import type { KafkaConnection, KafkaSasl, KafkaTls } from './connection.js';
import { oidcTokenProvider } from './oauth.js';
import type { GroupConsumer, KafkaAdmin, KafkaClient, KafkaProducer } from './types.js';
import './request-queue-fix.js';

const RETRIED = /Connection error|ECONNREFUSED|Failed to connect|coordinator is (not available|loading)|not the correct coordinator|leader/i;

export interface ClientOptions {
  /** Retries of each operation (default 5); 0 fails at once, for probes. */
  retries?: number;
  /** Client warnings and errors go here; none are logged without it. */
  log?: Logger;
}

export function createKafka(connection: KafkaConnection, options: ClientOptions = {}): KafkaClient {
  const { log } = options;
  const retry: RetryOptions = { initialRetryTime: 100, retries: options.retries ?? 5 };
  const kafka = new Kafka({
    clientId: connection.clientId,
    brokers: connection.brokers,
    ...(connection.tls && { ssl: tlsOptions(connection.tls) }),
    ...(connection.sasl && { sasl: saslOptions(connection.sasl) }),
    connectionTimeout: 3000,
    requestTimeout: 30000,
    retry,
    logLevel: log ? logLevel.WARN : logLevel.NOTHING,
    logCreator: () => (entry: LogEntry) => {
      if (!log) return;
      const { message, ...extra } = entry.log;
      const fields = { kafka: entry.namespace, ...extra };
      // kafkajs logs every retried connection or coordinator hiccup as an error; the operation
      // itself reports a real failure, so these are only debug noise.
      if (RETRIED.test(`${message} ${String(extra.error ?? '')}`)) log.debug(fields, message);
      else if (entry.level === logLevel.ERROR) log.error(fields, message);
      else log.warn(fields, message);
    },
  });
  return {
    consumer: (config) => {
      const consumer = kafka.consumer(config);
      const group: GroupConsumer = {
        connect: () => consumer.connect(),
        disconnect: () => consumer.disconnect(),
        subscribe: (s) => consumer.subscribe(s),
        run: (c) => consumer.run(c),
        stop: () => consumer.stop(),
        pause: (t) => consumer.pause(t),
        resume: (t) => consumer.resume(t),
        seek: (t) => consumer.seek(t),
        commitOffsets: (o) => consumer.commitOffsets(o),
        onAssignment: (listener) => {
          consumer.on(consumer.events.GROUP_JOIN, (e) => listener(e.payload.memberAssignment));
        },
      };
      return group;
    },
    producer: (config = {}): KafkaProducer =>
      kafka.producer({
        createPartitioner: Partitioners.DefaultPartitioner,
        allowAutoTopicCreation: false,
        ...config,
        retry: { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: 10_000 },
      }),
    admin: () => adminOf(kafka),
  };
}

function tlsOptions(t: KafkaTls): ConnectionOptions {
  return {
    ...(t.ca && { ca: [t.ca] }),
    ...(t.cert && { cert: t.cert, key: t.key, passphrase: t.passphrase }),
    rejectUnauthorized: true,
    ...(!t.verifyHostname && { checkServerIdentity: () => undefined }),
  };
}

function saslOptions(s: KafkaSasl): SASLOptions {
  if (s.mechanism === 'oauthbearer') {
    const token = oidcTokenProvider(s);
    return { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: await token() }) };
  }
  return s;
}

function adminOf(kafka: Kafka): KafkaAdmin {
  const admin = kafka.admin();
  return {
    connect: () => admin.connect(),
    disconnect: () => admin.disconnect(),
    listTopics: () => admin.listTopics(),
    createTopics: (r) => admin.createTopics(r),
    fetchTopicOffsets: (t) => admin.fetchTopicOffsets(t),
    fetchTopicOffsetsByTimestamp: (t, ts) => admin.fetchTopicOffsetsByTimestamp(t, ts),
    fetchOffsets: (r) => admin.fetchOffsets(r),
    setOffsets: (r) => admin.setOffsets(r),
    listGroups: async () => (await admin.listGroups()).groups.map((g) => g.groupId),
    describeGroups: async (ids) =>
      (await admin.describeGroups(ids)).groups.map((g) => ({
        groupId: g.groupId,
        state: g.state,
        members: g.members.map((m) => ({
          clientId: m.clientId,
          clientHost: m.clientHost,
          assignment: m.memberAssignment.length ? AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment ?? {} : {},
        })),
      })),
    describeCluster: () => admin.describeCluster(),
  };
}

/** The partition the producers' partitioner (murmur2, as Kafka's Java client) picks for a key. */
export function partitionForKey(key: string, partitions: number): number {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: partitions }, (_, i) => ({ partitionErrorCode: 0, partitionId: i, leader: 0, replicas: [0], isr: [0] }));
  return partitioner({ topic: '', partitionMetadata, message: { key, value: null } });
}
