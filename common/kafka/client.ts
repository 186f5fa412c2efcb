// The one factory of Kafka clients: createKafka(connection) returns a KafkaClient (types.ts) on
// the library the connection asks for — kafkajs (kafkajs-client.ts) or Confluent's
// librdkafka-based @confluentinc/kafka-javascript (rdkafka/), an optional dependency loaded only
// when chosen. `auto` (the default) takes rdkafka when it is installed and loads, else kafkajs.
import { UsageError } from '../errors.js';
import type { ClientOptions } from './client-options.js';
import { createKafkaJsClient } from './kafkajs-client.js';
import { createRdKafkaClient } from './rdkafka/client.js';
import { loadRdKafka, RDKAFKA_INSTALL_HINT, type Loaded } from './rdkafka/load.js';
import { parseKafkaClientChoice } from './client-config.js';
import type { KafkaClient, KafkaClientChoice, KafkaClientName, KafkaConnection } from './types.js';

export type { ClientOptions } from './client-options.js';
export { partitionForKey } from './kafkajs-client.js';
export { parseKafkaClientChoice } from './client-config.js';

/** Environment variable naming the client library when no flag or --kafka-config says so. */
export const KAFKA_CLIENT_ENV = 'VSP_KAFKA_CLIENT';

export function createKafka(connection: KafkaConnection, options: ClientOptions = {}): KafkaClient {
  const library = resolveKafkaClient(connection.client);
  noteLibrary(library, options);
  return library === 'rdkafka' ? createRdKafkaClient(connection, options) : createKafkaJsClient(connection, options);
}

/**
 * The library a choice means here: the connection's choice, else VSP_KAFKA_CLIENT, else auto.
 * An explicit rdkafka that is not installed (or does not load) fails at once, saying how to fix it.
 */
export function resolveKafkaClient(choice?: KafkaClientChoice, env: NodeJS.ProcessEnv = process.env, load: () => Loaded = loadRdKafka): KafkaClientName {
  const wanted = choice ?? (env[KAFKA_CLIENT_ENV] ? parseKafkaClientChoice(env[KAFKA_CLIENT_ENV], KAFKA_CLIENT_ENV) : 'auto');
  if (wanted === 'kafkajs') return 'kafkajs';
  const loaded = load();
  if (loaded.ok) return 'rdkafka';
  if (wanted === 'auto') return 'kafkajs';
  throw new UsageError(`--kafka-client rdkafka: ${loaded.problem}; ${RDKAFKA_INSTALL_HINT}, or use --kafka-client kafkajs`);
}

let noted = false;
/** Says once per process which library the clients run on (info; debug after the first). */
function noteLibrary(library: KafkaClientName, options: ClientOptions): void {
  if (!options.log || noted) return;
  noted = true;
  const version = library === 'rdkafka' ? loadRdKafka() : undefined;
  options.log.info({ kafkaClient: library, ...(version?.ok && { librdkafka: version.librdkafkaVersion }) }, `Kafka client: ${library}`);
}
