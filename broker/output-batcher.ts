// One produce request in flight for all the at-least-once partition sinks of a broker: what the
// sinks hand over while a request is on its way goes out together in the next one. kafkajs sends
// one request per call and its idempotent producer keeps one in flight anyway, so sinks sending
// separately only queued one small request each; coalesced, Kafka and the broker handle a
// fraction of the requests at the same latency. A failed request fails every send it carried
// (each sink then reprocesses from its last commit: duplicates, never losses).
import type { KafkaProducer, KafkaRecord, TopicRecords } from '../common/kafka/types.js';

interface Queued {
  topicMessages: TopicRecords[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class OutputBatcher {
  private queued: Queued[] = [];
  private sending = false;

  constructor(private readonly producer: Pick<KafkaProducer, 'sendBatch'>) {}

  /** Resolves once Kafka acknowledged these messages (acks=all). */
  send(topicMessages: TopicRecords[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queued.push({ topicMessages, resolve, reject });
      if (!this.sending) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.sending = true;
    while (this.queued.length > 0) {
      const group = this.queued;
      this.queued = [];
      try {
        await this.producer.sendBatch({ topicMessages: mergeByTopic(group.flatMap((q) => q.topicMessages)), acks: -1 });
        for (const q of group) q.resolve();
      } catch (err) {
        for (const q of group) q.reject(err);
      }
    }
    this.sending = false;
  }
}

/** One entry per topic, messages in the order given (kafkajs keeps only the last entry of a topic). */
export function mergeByTopic(list: readonly TopicRecords[]): TopicRecords[] {
  const byTopic = new Map<string, KafkaRecord[]>();
  for (const { topic, messages } of list) {
    const merged = byTopic.get(topic);
    if (merged) merged.push(...messages);
    else byTopic.set(topic, [...messages]);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}
