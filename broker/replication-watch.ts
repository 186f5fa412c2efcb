// Under-replicated partitions of the deployment's topics as a broker metric, so that Prometheus
// can alert on them (deploy/prometheus/alerts.yml, VspUnderReplicatedPartitions) without Kafka's
// JMX: every interval the broker asks Kafka for the topics' metadata (two small admin requests)
// and sets vsp_broker_under_replicated_partitions{topic} — the same count `vsp status` and
// `vsp topics check` show. A failed check leaves the last values and is logged.
import type { KafkaClient } from '../common/kafka/types.js';
import type { Logger } from '../common/log.js';
import { topicNames } from '../common/kafka/topics.js';
import { underReplicatedPartitions } from '../common/kafka/topic-check.js';
import { brokerMetrics } from './metrics.js';

export interface ReplicationWatch {
  /** Stops the checks (one under way is not waited for: a shutdown must not wait on Kafka). */
  stop(): void;
}

export function watchReplication(kafka: KafkaClient, prefix: string, intervalMs: number, log: Logger): ReplicationWatch {
  const names = Object.values(topicNames(prefix));
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let failing = false;
  const check = async () => {
    try {
      const under = await underReplicatedPartitions(kafka, prefix);
      for (const topic of names) brokerMetrics.underReplicated.set({ topic }, under.filter((u) => u.topic === topic).length);
      if (failing) log.info('under-replicated partition check works again');
      failing = false;
    } catch (err) {
      // Once per outage at warn (the broker's Kafka consumer reports the outage too).
      if (!failing) log.warn({ err: (err as Error).message }, 'cannot check under-replicated partitions (vsp_broker_under_replicated_partitions keeps its last values)');
      failing = true;
    }
  };
  const loop = () => {
    void check().finally(() => {
      if (!stopped) timer = setTimeout(loop, intervalMs).unref();
    });
  };
  loop();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
