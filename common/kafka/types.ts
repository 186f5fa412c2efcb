// The project's own view of a Kafka client: the records, offsets and operations the components
// use, and nothing of a particular client library. The shapes follow the KafkaJS-style API that
// both kafkajs and Confluent's librdkafka-based kafka-javascript implement: kafkajs-client.ts and
// rdkafka/ adapt each to these types, client.ts picks one.

export type Headers = Record<string, Buffer | string | undefined>;

/** A record to produce. `timestamp` is ms since the epoch, as a string. */
export interface KafkaRecord {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  partition?: number;
  timestamp?: string;
  headers?: Headers;
}

/** A record as consumed. */
export interface ConsumedRecord {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  timestamp: string;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}

export interface TopicRecords {
  topic: string;
  messages: KafkaRecord[];
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface TopicPartitionOffset extends TopicPartition {
  offset: string;
}

/** acks: -1 = all in-sync replicas. */
export interface SendRequest extends TopicRecords {
  acks?: number;
}

export interface SendBatchRequest {
  topicMessages: TopicRecords[];
  acks?: number;
}

export interface ProducerConfig {
  idempotent?: boolean;
  maxInFlightRequests?: number;
  /** Makes the producer transactional; connecting fences older producers with the same id. */
  transactionalId?: string;
}

export interface KafkaTransaction {
  send(request: SendRequest): Promise<unknown>;
  sendBatch(request: SendBatchRequest): Promise<unknown>;
  /** Commits the consumer group's offsets atomically with the transaction. */
  sendOffsets(request: { consumerGroupId: string; topics: { topic: string; partitions: { partition: number; offset: string }[] }[] }): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export interface KafkaProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  /**
   * Sends records; rejects when Kafka is unreachable (isKafkaUnavailable). To retry, send the same
   * `messages` array again: rdkafka keeps the records queued and answers with their delivery.
   */
  send(request: SendRequest): Promise<unknown>;
  sendBatch(request: SendBatchRequest): Promise<unknown>;
  transaction(): Promise<KafkaTransaction>;
}

export interface ConsumerConfig {
  groupId: string;
  /** false: only committed transactional records (read_committed). */
  readUncommitted?: boolean;
  sessionTimeout?: number;
  heartbeatInterval?: number;
  maxBytesPerPartition?: number;
  /** How long a fetch waits for data when there is none. */
  maxWaitTimeInMs?: number;
}

/** One partition's records of a fetch, with the partition's end offset. */
export interface RecordBatch {
  topic: string;
  partition: number;
  highWatermark: string;
  messages: ConsumedRecord[];
}

export interface EachBatchPayload {
  batch: RecordBatch;
  /** Marks an offset as consumed (the next fetch starts after it). */
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  isRunning(): boolean;
  /** The partition was revoked or sought since this batch was fetched. */
  isStale(): boolean;
}

export interface EachMessagePayload {
  topic: string;
  partition: number;
  message: ConsumedRecord;
  heartbeat(): Promise<void>;
}

export interface RunConfig {
  autoCommit?: boolean;
  eachBatchAutoResolve?: boolean;
  partitionsConsumedConcurrently?: number;
  eachBatch?: (payload: EachBatchPayload) => Promise<void>;
  eachMessage?: (payload: EachMessagePayload) => Promise<void>;
}

/** Partitions per topic assigned to this member after a rebalance. */
export type Assignment = Record<string, number[]>;

/**
 * How this member's partitions changed in a rebalance. Eager (kafkajs): every partition was
 * revoked first, and fetching restarts from the committed offsets, also for partitions assigned
 * again. Cooperative (rdkafka, cooperative-sticky): only `revoked` were given up; the partitions
 * this member keeps go on fetching from where they were.
 */
export interface AssignmentChange {
  incremental: boolean;
  /** Partitions this member got in this rebalance (eager: all of them). */
  assigned: Assignment;
  /** Partitions this member gave up in this rebalance (eager: not listed, all of them). */
  revoked: Assignment;
}

export interface GroupConsumer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  subscribe(subscription: { topic: string; fromBeginning?: boolean }): Promise<void>;
  /** Starts handing out records; resolves once the group has given this member its first assignment (or on stop). */
  run(config: RunConfig): Promise<void>;
  stop(): Promise<void>;
  pause(topics: { topic: string; partitions?: number[] }[]): void;
  resume(topics: { topic: string; partitions?: number[] }[]): void;
  seek(target: TopicPartitionOffset): void;
  commitOffsets(offsets: TopicPartitionOffset[]): Promise<void>;
  /**
   * Called with this member's partitions each time they change: after every (re)join (eager), or
   * after each incremental revocation and assignment (cooperative); `change` says which.
   */
  onAssignment(listener: (assignment: Assignment, change: AssignmentChange) => void): void;
}

export interface PartitionOffsets {
  partition: number;
  offset: string;
  high: string;
  low: string;
}

export interface GroupMember {
  clientId: string;
  clientHost: string;
  /** Partitions per topic assigned to the member. */
  assignment: Assignment;
}

export interface GroupDescription {
  groupId: string;
  state: string;
  members: GroupMember[];
}

export interface TopicSpec {
  topic: string;
  numPartitions?: number;
  replicationFactor?: number;
  configEntries?: { name: string; value: string }[];
}

/** The kinds of resource an ACL can name (the cluster is named `kafka-cluster`). */
export type AclResource = 'topic' | 'group' | 'cluster' | 'transactional-id';
export type AclOperation = 'all' | 'read' | 'write' | 'create' | 'delete' | 'alter' | 'describe' | 'cluster-action' | 'describe-configs' | 'alter-configs' | 'idempotent-write';

/** One access-control entry: `principal` may do `operation` on the resource(s) named. */
export interface AclBinding {
  /** `User:<name>`, as the broker's authenticator names it (SASL: the user name). */
  principal: string;
  resource: AclResource;
  /** The resource's name or, with pattern `prefixed`, the start of the names it covers. */
  name: string;
  pattern: 'literal' | 'prefixed';
  operation: AclOperation;
  /** Default: allow. */
  permission?: 'allow' | 'deny';
  /** Default: any host (`*`). */
  host?: string;
}

export interface KafkaAdmin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  listTopics(): Promise<string[]>;
  createTopics(request: { topics: TopicSpec[]; waitForLeaders?: boolean }): Promise<boolean>;
  fetchTopicOffsets(topic: string): Promise<PartitionOffsets[]>;
  fetchTopicOffsetsByTimestamp(topic: string, timestamp?: number): Promise<{ partition: number; offset: string }[]>;
  /** Committed offsets of a group ('-1' where none). */
  fetchOffsets(request: { groupId: string; topics: string[] }): Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]>;
  setOffsets(request: { groupId: string; topic: string; partitions: { partition: number; offset: string }[] }): Promise<void>;
  listGroups(): Promise<string[]>;
  describeGroups(groupIds: string[]): Promise<GroupDescription[]>;
  describeCluster(): Promise<{ brokers: { nodeId: number; host: string; port: number }[]; controller: number | null; clusterId: string }>;
  /** Leader, replicas and in-sync replicas of every partition of the topics. */
  fetchTopicMetadata(topics: string[]): Promise<TopicMetadata[]>;
  /** Effective configuration of each topic (topic overrides and broker defaults), by name. */
  describeTopicConfigs(topics: string[]): Promise<Map<string, Record<string, string>>>;
  /** Creates the bindings (one that exists already is left as it is); needs Alter on the cluster. */
  createAcls(acls: AclBinding[]): Promise<void>;
}

export interface PartitionMetadata {
  partitionId: number;
  leader: number;
  replicas: number[];
  isr: number[];
}

export interface TopicMetadata {
  name: string;
  partitions: PartitionMetadata[];
}

/** The client libraries behind KafkaClient (client.ts picks one: createKafka). */
export type KafkaClientName = 'kafkajs' | 'rdkafka';
/** --kafka-client: a library, or auto (rdkafka when it is installed and loads, else kafkajs). */
export type KafkaClientChoice = KafkaClientName | 'auto';
export const KAFKA_CLIENT_CHOICES: readonly KafkaClientChoice[] = ['kafkajs', 'rdkafka', 'auto'];

export interface KafkaClient {
  /** The library this client runs on. */
  readonly library: KafkaClientName;
  consumer(config: ConsumerConfig): GroupConsumer;
  /**
   * A producer with the settings every component wants: the Java client's murmur2 partitioner
   * (a camera lands on the same partition whichever client produced it), no topic
   * auto-creation, and endless retries (idempotence requires them; they ride out an outage).
   */
  producer(config?: ProducerConfig): KafkaProducer;
  admin(): KafkaAdmin;
  /**
   * Calls into the client's native library, still running, that may never return: transactional
   * calls (librdkafka's send_offsets_to_transaction can block for good on a coordinator that
   * failed over) and producer disconnects (one made while such a call waits deadlocks). Each holds
   * a libuv thread, which a normal exit waits for: with any left, the process must be killed.
   */
  blockedCalls(): number;
}

/** How to reach Kafka (built by connection.ts from flags, environment and --kafka-config). */
export interface KafkaTls {
  /** PEM: the CA that signed the brokers' certificates (default: the system's). */
  ca?: string;
  /** PEM client certificate and key, for brokers that require one. */
  cert?: string;
  key?: string;
  passphrase?: string;
  /** Check that the broker's certificate names the host connected to (ssl.endpoint.identification.algorithm=https). */
  verifyHostname: boolean;
}

export type KafkaSasl =
  | { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string }
  /** OAUTHBEARER with tokens from an OIDC token endpoint (client credentials grant). */
  | { mechanism: 'oauthbearer'; tokenEndpoint: string; clientId: string; clientSecret: string; scope?: string };

export interface KafkaConnection {
  brokers: string[];
  clientId: string;
  /** Which client library (--kafka-client, env VSP_KAFKA_CLIENT, vsp.kafka.client); default auto. */
  client?: KafkaClientChoice;
  tls?: KafkaTls;
  sasl?: KafkaSasl;
}
