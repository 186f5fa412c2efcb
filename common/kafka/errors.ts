// One classification of the Kafka client's errors, whatever library raised them: retriable
// (Kafka is away or electing leaders: wait it out) or fatal (a record over the size limit, a
// fenced producer, bad configuration). The client wraps a refused connection in several layers
// of non-retriable errors once its own retries run out, so the whole cause chain is looked at.
import { describeConnection, type KafkaConnection } from './connection.js';

const UNAVAILABLE = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSMetadataNotLoaded',
]);
const UNREACHABLE = /ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|ECONNRESET/;

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  retriable?: unknown;
  cause?: unknown;
  originalError?: unknown;
}

/** A Kafka operation failed; `cause` is the client library's own error. */
export class KafkaError extends Error {
  override name = 'KafkaError';
  /** Worth retrying: Kafka was unreachable or electing leaders. */
  readonly retriable: boolean;

  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.retriable = isKafkaUnavailable(cause);
  }
}

/** True when the error means "Kafka is away for now" (worth waiting out) rather than a problem no retry fixes. */
export function isKafkaUnavailable(err: unknown): boolean {
  if (err instanceof KafkaError) return err.retriable;
  let e: unknown = err;
  for (let depth = 0; depth < 10 && typeof e === 'object' && e !== null; depth++) {
    const { name, retriable, cause, originalError } = e as ErrorLike;
    if (typeof name === 'string' && UNAVAILABLE.has(name)) return true;
    // Leader elections and the like while a broker comes back.
    if (name === 'KafkaJSProtocolError' && retriable === true) return true;
    e = cause ?? originalError;
  }
  return false;
}

/** The error of a failed Kafka operation, with one line saying why and the original as `cause`. */
export function kafkaFailure(err: unknown, connection: KafkaConnection): KafkaError {
  if (err instanceof KafkaError) return err;
  const e = (err ?? {}) as ErrorLike;
  const inner = (e.originalError ?? e.cause) as ErrorLike | undefined;
  const detail = String(inner?.message ?? e.message ?? err);
  const unreachable = e.name === 'KafkaJSNumberOfRetriesExceeded' || UNAVAILABLE.has(String(e.name)) || UNREACHABLE.test(detail);
  return new KafkaError(unreachable ? `cannot reach Kafka at ${describeConnection(connection)}: ${detail}` : detail, err);
}
