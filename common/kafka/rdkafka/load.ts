// Loads the optional @confluentinc/kafka-javascript (librdkafka, a native addon) at run time, only
// when the rdkafka client is chosen, and says why when it cannot. The shapes below are the parts
// of its KafkaJS-style API the adapters use, written here so that the project compiles without
// the package (an optional dependency: `npm ci --omit=optional`, or a machine without compilers).
import { createRequire } from 'node:module';

export const RDKAFKA_PACKAGE = '@confluentinc/kafka-javascript';
export const RDKAFKA_DEBIAN_PACKAGES = 'build-essential python3 pkg-config libssl-dev zlib1g-dev libzstd-dev liblz4-dev libsasl2-dev libcurl4-openssl-dev';
export const RDKAFKA_INSTALL_HINT = `to build it, install the Debian packages ${RDKAFKA_DEBIAN_PACKAGES} and run npm ci (README.md, "The Kafka client")`;

export type Config = Record<string, unknown>;

/** A librdkafka error: its code (rdkafkacpp.h) and message. */
export interface NativeError {
  message: string;
  code: number;
  origin?: string;
}

/** One of librdkafka's log lines (severity: syslog's, 3 = error). */
export interface NativeLog {
  severity: number;
  fac: string;
  message: string;
}

/** The native client under a KafkaJS-style producer or consumer. */
export interface NativeClient {
  on(event: 'event.log', listener: (log: NativeLog) => void): unknown;
  on(event: 'event.error', listener: (err: NativeError) => void): unknown;
  removeListener(event: 'event.log', listener: (log: NativeLog) => void): unknown;
  getMetadata(options: { timeout?: number; [key: string]: unknown } | undefined, callback: (err: unknown, metadata?: unknown) => void): void;
}

/** The native consumer under a KafkaJS-style consumer. */
export interface NativeConsumerClient extends NativeClient {
  isConnected(): boolean;
  assignments(): { topic: string; partition: number }[];
  incrementalAssign(partitions: { topic: string; partition: number }[]): void;
  resume(partitions: { topic: string; partition: number }[]): void;
  committed(
    partitions: { topic: string; partition: number }[],
    timeout: number,
    callback: (err: Error | null, committed?: { topic: string; partition: number; offset?: number }[]) => void,
  ): void;
}

export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  offset?: string;
}

export interface RdMessage {
  topic?: string;
  key?: Buffer | string | null;
  value: Buffer | string | null;
  partition?: number;
  timestamp?: string;
  headers?: Record<string, Buffer | string | undefined>;
}

export interface RdProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  send(record: { topic: string; messages: RdMessage[] }): Promise<unknown>;
  transaction(): Promise<RdProducer>;
  commit(): Promise<void>;
  abort(): Promise<void>;
  sendOffsets(args: { consumer: RdConsumer; topics: { topic: string; partitions: { partition: number; offset: string }[] }[] }): Promise<void>;
  dependentAdmin(): RdAdmin;
  _getInternalClient(): NativeClient | null;
}

export interface RdBatchPayload {
  batch: { topic: string; partition: number; highWatermark: string; messages: RdConsumedMessage[] };
  resolveOffset(offset: string): void;
  isRunning(): boolean;
  isStale(): boolean;
}

export interface RdConsumedMessage {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  timestamp: string;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}

export interface RdMessagePayload {
  topic: string;
  partition: number;
  message: RdConsumedMessage;
}

export interface RdConsumer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  subscribe(subscription: { topics: string[] }): Promise<void>;
  run(config: {
    eachBatchAutoResolve?: boolean;
    partitionsConsumedConcurrently?: number;
    eachBatch?: (payload: RdBatchPayload) => Promise<void>;
    eachMessage?: (payload: RdMessagePayload) => Promise<void>;
  }): Promise<void>;
  pause(topics: { topic: string; partitions?: number[] }[]): void;
  resume(topics: { topic: string; partitions?: number[] }[]): void;
  seek(target: { topic: string; partition: number; offset: string }): void;
  commitOffsets(offsets?: TopicPartitionOffset[]): Promise<void>;
  assignment(): { topic: string; partition: number }[];
  rebalanceProtocol(): string;
  _getInternalClient(): NativeConsumerClient | null;
}

export interface RdNode {
  id: number;
  host: string;
  port: number;
}

export interface RdAdmin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  createTopics(options: { topics: { topic: string; numPartitions?: number; replicationFactor?: number; configEntries?: { name: string; value: string }[] }[]; timeout?: number }): Promise<boolean>;
  listTopics(options?: { timeout?: number }): Promise<string[]>;
  listGroups(options?: { timeout?: number }): Promise<{ groups: { groupId: string }[] }>;
  fetchTopicMetadata(options: { topics: string[]; timeout?: number }): Promise<{ name: string; partitions: { partitionId: number; leader: number; replicas: number[]; isr: number[] }[] }[]>;
  fetchTopicOffsets(topic: string, options: { timeout?: number; isolationLevel: number }): Promise<{ partition: number; offset: string; high: string; low: string }[]>;
  fetchTopicOffsetsByTimestamp(topic: string, timestamp: number | undefined, options: { timeout?: number; isolationLevel: number }): Promise<{ partition: number; offset: string }[]>;
}

export interface RdKafka {
  producer(config: Config): RdProducer;
  consumer(config: Config): RdConsumer;
}

/** The KafkaJS-style half of the package (`require(...).KafkaJS`). */
export interface KafkaJsApi {
  Kafka: new (config: Config) => RdKafka;
  KafkaJSError: new (e: Error | string, metadata?: { retriable?: boolean; fatal?: boolean; abortable?: boolean; code?: number }) => Error;
  ErrorCodes: Record<string, number>;
  IsolationLevel: { READ_UNCOMMITTED: number; READ_COMMITTED: number };
}

export interface RdKafkaModule {
  KafkaJS: KafkaJsApi;
  librdkafkaVersion: string;
  features: string[];
}

export type Loaded = { ok: true; module: RdKafkaModule; librdkafkaVersion: string } | { ok: false; problem: string };

const require = createRequire(import.meta.url);
let loaded: Loaded | undefined;

/** The package, loaded once; or why it cannot be (not installed, or its native addon missing or broken). */
export function loadRdKafka(): Loaded {
  loaded ??= tryLoad();
  return loaded;
}

function tryLoad(): Loaded {
  try {
    const module = require(RDKAFKA_PACKAGE) as RdKafkaModule;
    return { ok: true, module, librdkafkaVersion: module.librdkafkaVersion };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const firstLine = String(e.message).split('\n')[0]!.trim();
    if (e.code === 'MODULE_NOT_FOUND' && firstLine.includes(`'${RDKAFKA_PACKAGE}'`)) return { ok: false, problem: `${RDKAFKA_PACKAGE} is not installed` };
    if (firstLine.startsWith('Could not locate the bindings file')) return { ok: false, problem: `${RDKAFKA_PACKAGE} is installed but its native addon was not built` };
    return { ok: false, problem: `${RDKAFKA_PACKAGE} does not load (${firstLine})` };
  }
}

/** The loaded package; throws when it is absent (callers resolve the choice first: client.ts). */
export function rdkafka(): RdKafkaModule {
  const l = loadRdKafka();
  if (!l.ok) throw new Error(l.problem);
  return l.module;
}
