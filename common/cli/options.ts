import { Command, InvalidArgumentError, Option } from 'commander';
import { UsageError } from '../errors.js';
import { DEFAULT_FRAME_LIMITS, type FrameLimits } from '../frame-limits.js';
import { KAFKA_CLIENT_CHOICES, type KafkaClientChoice } from '../kafka/types.js';

/**
 * Adds the flags every Kafka-facing command shares: --brokers (env VSP_BROKERS), --kafka-config
 * (env VSP_KAFKA_CONFIG: TLS, SASL), --kafka-client (env VSP_KAFKA_CLIENT) and --prefix. Turn
 * them into a connection with connectionFromOptions (common/kafka/connection.ts).
 */
export function withKafkaOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--brokers <list>', 'Kafka bootstrap servers, comma-separated (default: bootstrap.servers of --kafka-config, else 127.0.0.1:9092)').env('VSP_BROKERS'))
    .addOption(
      new Option('--kafka-config <file>', 'Kafka client properties: bootstrap.servers, security.protocol, sasl.*, ssl.* (docs/security.md)').env('VSP_KAFKA_CONFIG'),
    )
    .addOption(kafkaClientOption())
    .addOption(new Option('--prefix <name>', 'topic prefix: <prefix>.frames, <prefix>.tracks, ...').default('vsp'));
}

/** --kafka-client kafkajs|rdkafka|auto (env VSP_KAFKA_CLIENT; else vsp.kafka.client of --kafka-config; else auto). */
export function kafkaClientOption(): Option {
  return new Option(
    '--kafka-client <name>',
    'Kafka client library: rdkafka (librdkafka, the optional @confluentinc/kafka-javascript), kafkajs, or auto = rdkafka when installed, else kafkajs (default: vsp.kafka.client of --kafka-config, else auto)',
  )
    .choices(KAFKA_CLIENT_CHOICES)
    .env('VSP_KAFKA_CLIENT');
}

export interface KafkaOptions {
  brokers?: string;
  kafkaConfig?: string;
  kafkaClient?: KafkaClientChoice;
  prefix: string;
}

/** Commander parser for a positive integer flag, e.g. `.option('--window <n>', '...', positiveInt)`. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

/** Commander parser for an integer ≥ 0. */
export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected an integer ≥ 0');
  return n;
}

/** Commander parser for a finite number ≥ 0. */
export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number ≥ 0');
  return n;
}

/** Commander parser for a number within [0, 1] (scores, IoU thresholds). */
export function unitNumber(value: string): number {
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError('expected a number from 0 to 1');
  return n;
}

/** --from: earliest | latest | an ISO-8601 time (returned as ms since the epoch). */
export function parseFrom(value: string): 'earliest' | 'latest' | number {
  if (value === 'earliest' || value === 'latest') return value;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new UsageError(`--from: expected earliest, latest or an ISO time, got '${value}'`);
  return t;
}

/** --max-image-bytes, --max-pixels, --max-attributes: the frame limits of every component that reads frames. */
export function withFrameLimitOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--max-image-bytes <n>', 'largest frame image accepted').argParser(positiveInt).default(DEFAULT_FRAME_LIMITS.maxImageBytes))
    .addOption(new Option('--max-pixels <n>', 'largest declared or decoded width × height accepted').argParser(positiveInt).default(DEFAULT_FRAME_LIMITS.maxPixels))
    .addOption(new Option('--max-attributes <n>', 'most attributes per frame').argParser(nonNegativeInt).default(DEFAULT_FRAME_LIMITS.maxAttributes));
}

export function frameLimitsFromOptions(o: { maxImageBytes: number; maxPixels: number; maxAttributes: number }): FrameLimits {
  return { maxImageBytes: o.maxImageBytes, maxPixels: o.maxPixels, maxAttributes: o.maxAttributes, maxAttributeBytes: DEFAULT_FRAME_LIMITS.maxAttributeBytes };
}
