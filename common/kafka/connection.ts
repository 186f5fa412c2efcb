// How to reach Kafka, built in one place from CLI flags, environment and a client properties
// file: the bootstrap servers, the client id, TLS and SASL.
import { connectionFromProperties } from './client-config.js';
import type { KafkaClientChoice, KafkaConnection } from './types.js';

export type { KafkaConnection, KafkaSasl, KafkaTls } from './types.js';

export const DEFAULT_BROKERS = '127.0.0.1:9092';

/** From a comma-separated bootstrap list, no security (tests, benches, the local demo Kafka). */
export function kafkaConnection(brokers: string, clientId: string): KafkaConnection {
  return { brokers: brokers.split(',').map((b) => b.trim()).filter(Boolean), clientId };
}

/**
 * What a command's --brokers (env VSP_BROKERS), --kafka-config (env VSP_KAFKA_CONFIG) and
 * --kafka-client (env VSP_KAFKA_CLIENT, over the file's vsp.kafka.client) say.
 */
export function connectionFromOptions(o: { brokers?: string; kafkaConfig?: string; kafkaClient?: KafkaClientChoice }, clientId: string): KafkaConnection {
  const connection = o.kafkaConfig ? connectionFromProperties(o.kafkaConfig, o.brokers, clientId) : kafkaConnection(o.brokers ?? DEFAULT_BROKERS, clientId);
  if (o.kafkaClient) connection.client = o.kafkaClient;
  return connection;
}

/** For messages: the bootstrap servers as the user wrote them. */
export function describeConnection(c: KafkaConnection): string {
  return c.brokers.join(',');
}
