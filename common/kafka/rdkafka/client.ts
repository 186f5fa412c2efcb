// The rdkafka client: KafkaClient (types.ts) on Confluent's librdkafka-based
// @confluentinc/kafka-javascript, through its KafkaJS-style API, one adapter per role
// (producer.ts, consumer.ts, admin.ts). The package is loaded by load.ts, only when chosen
// (client.ts, one level up, decides).
import type { ClientOptions } from '../client-options.js';
import type { KafkaClient, KafkaConnection } from '../types.js';
import { rdkafkaAdmin } from './admin.js';
import { connectionConfig, loggerConfig } from './config.js';
import { unreachableGraceMs } from './connect.js';
import { RdGroupConsumer } from './consumer.js';
import { rdkafka, type RdConsumer } from './load.js';
import { rdkafkaProducer } from './producer.js';

export function createRdKafkaClient(connection: KafkaConnection, options: ClientOptions = {}): KafkaClient {
  const api = rdkafka().KafkaJS;
  const kafka = new api.Kafka({ ...loggerConfig(options), ...connectionConfig(connection) });
  const watch = { graceMs: unreachableGraceMs(options.retries), plaintext: !connection.tls };
  /** The running consumer of each group made by this client (transactions send offsets with it). */
  const groups = new Map<string, RdConsumer>();
  const blocked = new Set<Promise<unknown>>();
  return {
    library: 'rdkafka',
    blockedCalls: () => blocked.size,
    consumer: (config) =>
      new RdGroupConsumer(
        {
          kafka,
          watch,
          log: options.log,
          register: (groupId, consumer) => {
            if (consumer) groups.set(groupId, consumer);
            else groups.delete(groupId);
          },
        },
        config,
      ),
    producer: (config = {}) => rdkafkaProducer({ kafka, watch, consumerOfGroup: (groupId) => groups.get(groupId), blocked }, config),
    admin: () => rdkafkaAdmin({ kafka, api, connection, options, watch }),
  };
}
