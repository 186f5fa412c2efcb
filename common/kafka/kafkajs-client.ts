// The kafkajs adapter: the only module that knows kafkajs (besides request-queue-fix.ts, its
// patch, and client-errors.ts, its error classes for tests). kafkajs is unmaintained; the
// librdkafka-based client beside it is rdkafka/. client.ts picks one (createKafka).
import { AssignerProtocol, Kafka, logLevel, Partitioners, type LogEntry, type RetryOptions, type SASLOptions } from 'kafkajs';
import type { AclEntry, AclOperationTypes, AclPermissionTypes, AclResourceTypes, ConfigResourceTypes, ISocketFactoryArgs, ResourcePatternTypes } from 'kafkajs';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { KafkaConnection, KafkaSasl, KafkaTls } from './types.js';
import { oidcTokenProvider } from './oauth.js';
import type { AclBinding, AclOperation, AclResource, GroupConsumer, KafkaAdmin, KafkaClient, KafkaProducer } from './types.js';
import type { ClientOptions } from './client-options.js';
import { isKafkaUnavailable, TLS_EXPECTED_CODE } from './errors.js';
import './request-queue-fix.js';

const RETRIED = /Connection error|ECONNREFUSED|Failed to connect|coordinator is (not available|loading)|not the correct coordinator|leader/i;

export function createKafkaJsClient(connection: KafkaConnection, options: ClientOptions = {}): KafkaClient {
  const { log } = options;
  const retry: RetryOptions = { initialRetryTime: 100, retries: options.retries ?? 5 };
  const kafka = new Kafka({
    clientId: connection.clientId,
    brokers: connection.brokers,
    ...(connection.tls && { ssl: tlsOptions(connection.tls) }),
    ...(connection.sasl && { sasl: saslOptions(connection.sasl) }),
    socketFactory,
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
    library: 'kafkajs',
    // Pure JavaScript: nothing can block a thread.
    blockedCalls: () => 0,
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
          // Eager rebalancing: each join revoked every partition first; fetching restarts from
          // the committed offsets.
          consumer.on(consumer.events.GROUP_JOIN, (e) => listener(e.payload.memberAssignment, { incremental: false, assigned: e.payload.memberAssignment, revoked: {} }));
        },
      };
      return group;
    },
    producer: (config = {}): KafkaProducer => {
      const producer = kafka.producer({
        createPartitioner: Partitioners.DefaultPartitioner,
        allowAutoTopicCreation: false,
        ...config,
        retry: { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: 10_000 },
      });
      return {
        connect: () => producer.connect(),
        disconnect: () => producer.disconnect(),
        send: (request) => producer.send(request),
        sendBatch: (request) => producer.sendBatch(request),
        async transaction() {
          const txn = await producer.transaction();
          return {
            send: (request) => txn.send(request),
            // One topic per produce call. kafkajs retries a batch that spans several brokers by
            // sending again what the partitions' current leaders have not answered: a partition
            // whose leader moved after its records were written gets them again, with new
            // sequence numbers — duplicates inside the transaction (the failover tests saw them).
            // (A broker's outputs for one input partition usually go to one partition per topic.)
            sendBatch: async ({ topicMessages, acks }) => {
              const results: unknown[] = [];
              for (const records of topicMessages) results.push(...(await txn.send({ ...records, acks })));
              return results;
            },
            sendOffsets: (request) => txn.sendOffsets(request),
            commit: () => txn.commit(),
            abort: () => txn.abort(),
          };
        },
      };
    },
    admin: () => adminOf(kafka),
  };
}

/**
 * The kafkajs admin of a connection, for the operations Confluent's client lacks (rdkafka/admin.ts
 * delegates describeCluster, setOffsets, describeTopicConfigs and createAcls here).
 */
export function kafkaJsAdmin(connection: KafkaConnection, options: ClientOptions = {}): KafkaAdmin {
  return createKafkaJsClient(connection, options).admin();
}

/**
 * kafkajs's own socket factory, plus one check: a plaintext connection answered with a TLS
 * record (a TLS listener's alert) fails at once with TLS_EXPECTED_CODE instead of as a bare
 * "Closed connection". No Kafka response starts with these bytes (it would be over 350 MB).
 */
function socketFactory({ host, port, ssl, onConnect }: ISocketFactoryArgs): Socket {
  const socket = ssl ? tlsConnect({ host, port, ...(!isIP(host) && { servername: host }), ...ssl }, onConnect) : netConnect({ host, port }, onConnect);
  socket.setKeepAlive(true, 60_000);
  if (!ssl) {
    socket.once('data', (data: Buffer) => {
      if ((data[0] === 0x15 || data[0] === 0x16) && data[1] === 0x03) {
        socket.destroy(Object.assign(new Error('the broker answered in TLS'), { code: TLS_EXPECTED_CODE }));
      }
    });
  }
  return socket;
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

const LEADER_RETRIES = 10;
/**
 * kafkajs's offset lookups give up at the first "not the leader" (they retry only an unknown
 * topic), which a topic just created, or a leader just elected, answers for a moment: ask again.
 */
async function whileLeadersSettle<T>(op: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      if (attempt >= LEADER_RETRIES || !isKafkaUnavailable(err)) throw err;
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}

/** ConfigResourceTypes.TOPIC (kafkajs's enum is not an ESM named export). */
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;

function adminOf(kafka: Kafka): KafkaAdmin {
  const admin = kafka.admin();
  return {
    connect: () => admin.connect(),
    disconnect: () => admin.disconnect(),
    listTopics: () => admin.listTopics(),
    createTopics: (r) => admin.createTopics(r),
    fetchTopicOffsets: (t) => whileLeadersSettle(() => admin.fetchTopicOffsets(t)),
    fetchTopicOffsetsByTimestamp: (t, ts) => whileLeadersSettle(() => admin.fetchTopicOffsetsByTimestamp(t, ts)),
    fetchOffsets: async (r) => (await admin.fetchOffsets(r)).map(({ topic, partitions }) => ({ topic, partitions: partitions.map(({ partition, offset }) => ({ partition, offset })) })),
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
    fetchTopicMetadata: async (topics) =>
      (await admin.fetchTopicMetadata({ topics })).topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionId: p.partitionId, leader: p.leader, replicas: p.replicas, isr: p.isr })),
      })),
    describeTopicConfigs: async (topics) => {
      if (topics.length === 0) return new Map();
      const { resources } = await admin.describeConfigs({ resources: topics.map((name) => ({ type: TOPIC_RESOURCE, name })), includeSynonyms: false });
      return new Map(resources.map((r) => [r.resourceName, Object.fromEntries(r.configEntries.map((e) => [e.configName, e.configValue]))]));
    },
    createAcls: async (acls) => {
      if (acls.length > 0) await admin.createAcls({ acl: acls.map(aclEntry) });
    },
  };
}

// The values of kafkajs's ACL enums (not ESM named exports either), as the Kafka protocol numbers them.
const RESOURCE: Record<AclResource, AclResourceTypes> = { topic: 2, group: 3, cluster: 4, 'transactional-id': 5 };
const OPERATION: Record<AclOperation, AclOperationTypes> = {
  all: 2, read: 3, write: 4, create: 5, delete: 6, alter: 7, describe: 8, 'cluster-action': 9, 'describe-configs': 10, 'alter-configs': 11, 'idempotent-write': 12,
};

function aclEntry(b: AclBinding): AclEntry {
  return {
    principal: b.principal,
    host: b.host ?? '*',
    resourceType: RESOURCE[b.resource],
    resourceName: b.name,
    resourcePatternType: (b.pattern === 'prefixed' ? 4 : 3) as ResourcePatternTypes,
    operation: OPERATION[b.operation],
    permissionType: (b.permission === 'deny' ? 2 : 3) as AclPermissionTypes,
  };
}

/** The partition the producers' partitioner (murmur2, as Kafka's Java client) picks for a key. */
export function partitionForKey(key: string, partitions: number): number {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: partitions }, (_, i) => ({ partitionErrorCode: 0, partitionId: i, leader: 0, replicas: [0], isr: [0] }));
  return partitioner({ topic: '', partitionMetadata, message: { key, value: null } });
}
