// The Kafka client libraries a test runs on (vsp's --kafka-client). Tests of the guarantees that
// depend on the client (order, exactly-once, dead letters, snapshots, security) run on each.
import { resolveKafkaClient } from '../../common/kafka/client.js';
import type { KafkaClientName } from '../../common/kafka/types.js';

const ALL: readonly KafkaClientName[] = ['kafkajs', 'rdkafka'];

/**
 * Both, unless VSP_TEST_KAFKA_CLIENTS names some (comma-separated): .ci/run runs the kafkajs tests
 * on an install without the optional native client that way.
 */
export const KAFKA_CLIENTS: readonly KafkaClientName[] = testedClients(process.env.VSP_TEST_KAFKA_CLIENTS);

function testedClients(env: string | undefined): readonly KafkaClientName[] {
  if (!env) return ALL;
  const names = env.split(',').map((n) => n.trim());
  const unknown = names.filter((n) => !(ALL as readonly string[]).includes(n));
  if (unknown.length > 0) throw new Error(`VSP_TEST_KAFKA_CLIENTS: unknown client ${unknown.join(', ')} (expected ${ALL.join(', ')})`);
  return names as KafkaClientName[];
}

/**
 * For a suite's before(): fails it, naming what to install, when the library cannot run here
 * (rdkafka: @confluentinc/kafka-javascript not installed or not built). Never a skip: CI builds it.
 */
export function requireKafkaClient(library: KafkaClientName): void {
  resolveKafkaClient(library);
}
