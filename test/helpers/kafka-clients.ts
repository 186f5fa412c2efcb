// The Kafka client libraries a test runs on (vsp's --kafka-client). Tests of the guarantees that
// depend on the client (order, exactly-once, dead letters, snapshots, security) run on each.
import { resolveKafkaClient } from '../../common/kafka/client.js';
import type { KafkaClientName } from '../../common/kafka/types.js';

export const KAFKA_CLIENTS: readonly KafkaClientName[] = ['kafkajs', 'rdkafka'];

/**
 * For a suite's before(): fails it, naming what to install, when the library cannot run here
 * (rdkafka: @confluentinc/kafka-javascript not installed or not built). Never a skip: CI builds it.
 */
export function requireKafkaClient(library: KafkaClientName): void {
  resolveKafkaClient(library);
}
