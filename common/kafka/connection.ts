// How to reach Kafka, built in one place from CLI flags and environment: the bootstrap servers,
// the client id, and (next) the security settings of a client properties file.

export interface KafkaConnection {
  brokers: string[];
  clientId: string;
}

/** From a comma-separated --brokers value (env VSP_BROKERS). */
export function kafkaConnection(brokers: string, clientId: string): KafkaConnection {
  return { brokers: brokers.split(',').map((b) => b.trim()).filter(Boolean), clientId };
}

/** For messages: the bootstrap servers as the user wrote them. */
export function describeConnection(c: KafkaConnection): string {
  return c.brokers.join(',');
}
