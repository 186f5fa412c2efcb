// One produce request in flight for all the at-least-once partition sinks of a broker: what the
// sinks hand over while a request is on its way goes out together in the next one. kafkajs sends
// one request per call and its idempotent producer keeps one in flight anyway, so sinks sending
// separately only queued one small request each; coalesced, Kafka and the broker handle a
// fraction of the requests at the same latency. When Kafka refuses a coalesced request for
// what it holds (a record over the size limit, say), each send in it is retried alone, so only
// the sends at fault fail (their sinks reprocess from their last commit) and every other
// partition flows on. Kafka being away fails them all.
import { isKafkaUnavailable } from '../common/kafka/errors.js';
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
        if (group.length === 1 || isKafkaUnavailable(err)) for (const q of group) q.reject(err);
        else for (const q of group) await this.sendAlone(q);
      }
    }
    this.sending = false;
  }

  private async sendAlone(q: Queued): Promise<void> {
    try {
      await this.producer.sendBatch({ topicMessages: mergeByTopic(q.topicMessages), acks: -1 });
      q.resolve();
    } catch (err) {
      q.reject(err);
    }
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
