// What the rdkafka consumer's periodic check (consumer.ts) does to keep librdkafka fetching what
// the group gave this member. librdkafka keeps its own assignment and pause state, which
// Confluent's KafkaJS-style consumer changes by deferred operations (run once its workers are
// idle, after the rebalance that asked for them), and a pause outlives an unassignment there. Seen
// once in the failover tests: after a lost assignment came back, one partition of this member was
// never fetched again, nothing logged. The check assigns again what the group gave and librdkafka
// does not hold, and resumes what this member did not pause.

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface Reconciliation {
  /** Owned partitions librdkafka did not hold at two checks in a row: assign them again. */
  reassign: TopicPartition[];
  /** Owned, held and not paused by this member: resume them (a no-op unless a stale pause remains). */
  resume: TopicPartition[];
  /** Owned partitions librdkafka does not hold now (the next check's `missingBefore`). */
  missing: Set<string>;
}

export const partitionKey = ({ topic, partition }: TopicPartition): string => `${topic}/${partition}`;

/**
 * `owned`: what the rebalances gave this member; `held`: librdkafka's assignment now; `paused`:
 * the partitions this member paused; `missingBefore`: the last check's `missing`. A partition
 * missing only once may be a change the package is still applying.
 */
export function reconcile(owned: TopicPartition[], held: TopicPartition[], paused: ReadonlySet<string>, missingBefore: ReadonlySet<string>): Reconciliation {
  const holds = new Set(held.map(partitionKey));
  const missing = owned.filter((tp) => !holds.has(partitionKey(tp)));
  return {
    reassign: missing.filter((tp) => missingBefore.has(partitionKey(tp))),
    resume: owned.filter((tp) => holds.has(partitionKey(tp)) && !paused.has(partitionKey(tp))),
    missing: new Set(missing.map(partitionKey)),
  };
}
