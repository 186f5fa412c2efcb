// The one module that knows kafkajs is our Kafka client (kafkajs is unmaintained; keeping it
// behind this seam lets another client replace it).
import { Kafka, logLevel, Partitioners, type LogEntry, type Producer, type ProducerConfig, type RetryOptions } from 'kafkajs';
import type { Logger } from '../log.js';
import './request-queue-fix.js';

const RETRIED = /Connection error|ECONNREFUSED|Failed to connect|coordinator is (not available|loading)|not the correct coordinator|leader/i;

export function createKafka(brokers: string, clientId: string, retry?: RetryOptions, log?: Logger): Kafka {
  return new Kafka({
    clientId,
    brokers: brokers.split(',').map((b) => b.trim()).filter(Boolean),
    connectionTimeout: 3000,
    requestTimeout: 30000,
    retry: { initialRetryTime: 100, retries: 5, ...retry },
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
}

/**
 * A producer with the settings every component wants: the Java client's murmur2 partitioner (so
 * a camera lands on the same partition whichever client produced it), no topic auto-creation,
 * and endless retries, which idempotence requires and which let a producer ride out a Kafka
 * outage instead of failing.
 */
export function createProducer(kafka: Kafka, config: ProducerConfig = {}): Producer {
  return kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
    ...config,
    retry: { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: 10_000, ...config.retry },
  });
}

/** The topics of one deployment, all under a common prefix. */
export interface Topics {
  frames: string;
  tracks: string;
  deadLetter: string;
  trackerState: string;
  events: string;
}

export function topicNames(prefix: string): Topics {
  return {
    frames: `${prefix}.frames`,
    tracks: `${prefix}.tracks`,
    deadLetter: `${prefix}.dead-letter`,
    trackerState: `${prefix}.tracker-state`,
    events: `${prefix}.events`,
  };
}

/** One line that says why Kafka could not be used, for CLI errors. */
export function describeKafkaError(err: unknown, brokers: string): string {
  const e = err as { name?: string; message?: string; originalError?: { message?: string }; cause?: { message?: string } };
  const detail = e.originalError?.message ?? e.cause?.message ?? e.message ?? String(err);
  if (e.name === 'KafkaJSNumberOfRetriesExceeded' || e.name === 'KafkaJSConnectionError' || /ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND/.test(detail)) {
    return `cannot reach Kafka at ${brokers}: ${detail}`;
  }
  return detail;
}
