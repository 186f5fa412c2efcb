// Which failed sends mean "Kafka is away for now" (worth waiting out with the frames buffered)
// rather than a problem no retry can fix (a frame over the size limit, a fenced producer).
// kafkajs gives up on a broker that refuses connections after a few seconds even when the
// producer itself retries forever, wrapping the cause in non-retriable errors, so the whole
// cause chain is looked at.

const UNAVAILABLE = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSMetadataNotLoaded',
]);

interface ErrorLike {
  name?: unknown;
  retriable?: unknown;
  cause?: unknown;
  originalError?: unknown;
}

export function isKafkaUnavailable(err: unknown): boolean {
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
