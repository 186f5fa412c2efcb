// The client library's own error classes (kafkajs is CommonJS: no named ESM exports), for tests
// that reproduce its failures exactly as it raises them; its typings do not describe how it
// builds them internally.
import kafkajs from 'kafkajs';

type ErrorClass = new (e: unknown, options?: object) => Error;
type Names =
  | 'KafkaJSConnectionClosedError'
  | 'KafkaJSConnectionError'
  | 'KafkaJSError'
  | 'KafkaJSNonRetriableError'
  | 'KafkaJSNumberOfRetriesExceeded'
  | 'KafkaJSProtocolError'
  | 'KafkaJSRequestTimeoutError'
  | 'KafkaJSSASLAuthenticationError';

export const CLIENT_ERRORS = kafkajs as unknown as Record<Names, ErrorClass>;
