// What `vsp consumer --rules` runs: every frame through the rule engine, each event to its rule's
// targets through their delivery queues; at the end, a flush of the engine and a bounded drain.
// An event that cannot be delivered (retries spent, queue full, shutdown) goes to the dead-letter
// topic with the reason; onFrame settles once every event the frame fired is delivered or there,
// so a consumer group that commits a frame only after that never loses a notification.
import type { TrackedFrame__Output } from '../../common/gen/vsp/v1/TrackedFrame.js';
import type { RulesConfig } from '../rules/config.js';
import { RuleEngine, type RuleEvent } from '../rules/engine.js';
import { DeliveryQueue } from './delivery-queue.js';
import { errorMessage, type HookContext } from './target.js';
import { createTarget } from './targets.js';
import { createKafka } from '../../common/kafka/client.js';
import { topicNames } from '../../common/kafka/topics.js';
import type { KafkaProducer } from '../../common/kafka/types.js';
import { deadLetterRecord } from '../../common/dead-letter.js';

/** How long shutdown waits for queued events (and then for each target to close). */
const DRAIN_TIMEOUT_MS = 10_000;

export interface RuleHooks {
  /** Resolves when every event this frame fired was delivered or dead-lettered. */
  onFrame(frame: TrackedFrame__Output): Promise<void>;
  /** Flushes the engine, waits for deliveries (bounded), closes the targets. */
  close(): Promise<void>;
}

/** Creates the targets that some rule uses (throws a UsageError for a bad target). */
export function startRuleHooks(config: RulesConfig, ctx: HookContext): RuleHooks {
  const engine = new RuleEngine(config);
  const deadLetters = deadLetterWriter(ctx);
  const used = new Set(config.rules.flatMap((r) => r.targets));
  const queues = new Map<string, DeliveryQueue>();
  for (const [name, c] of Object.entries(config.targets)) {
    if (!used.has(name)) {
      ctx.log.warn({ target: name }, 'target not used by any rule');
      continue;
    }
    queues.set(name, new DeliveryQueue(createTarget(name, c, ctx), { size: c.queueSize, concurrency: c.concurrency, log: ctx.log, undelivered: deadLetters.write }));
  }
  const targetsOf = new Map(config.rules.map((r) => [r.name, r.targets.map((t) => queues.get(t) as DeliveryQueue)]));
  const dispatch = async (events: RuleEvent[]): Promise<void> => {
    await Promise.all(events.flatMap((e) => (targetsOf.get(e.rule) ?? []).map((q) => q.push(e))));
  };
  return {
    onFrame: (frame) => dispatch(engine.onFrame(frame)),
    async close() {
      const flushed = dispatch(engine.flush());
      ctx.log.info(engine.stats, 'rules finished');
      await Promise.all(
        [...queues.values()].map(async (q) => {
          const abandoned = await q.drain(DRAIN_TIMEOUT_MS);
          if (abandoned > 0) ctx.log.warn({ target: q.target.name, abandoned }, 'gave up on undelivered events at shutdown');
          const closed = await Promise.race([
            q.target.close().then(
              () => true,
              (err: unknown) => (ctx.log.warn({ target: q.target.name, err: errorMessage(err) }, 'target close failed'), true),
            ),
            new Promise<boolean>((resolve) => setTimeout(resolve, DRAIN_TIMEOUT_MS, false).unref()),
          ]);
          if (!closed) ctx.log.warn({ target: q.target.name }, 'target did not close in time');
          ctx.log.info({ target: q.target.name, ...q.stats }, 'hook deliveries');
        }),
      );
      await flushed;
      await deadLetters.close();
    },
  };
}

/** Undeliverable events to `<prefix>.dead-letter` (component consumer-hooks, the event as JSON). */
function deadLetterWriter(ctx: HookContext): { write: (event: RuleEvent, reason: string) => Promise<void>; close: () => Promise<void> } {
  const topics = topicNames(ctx.prefix);
  let producer: KafkaProducer | undefined;
  let connected: Promise<void> | undefined;
  return {
    async write(event, reason) {
      producer ??= createKafka({ ...ctx.connection, clientId: 'vsp-consumer-hooks' }, { log: ctx.log }).producer();
      await (connected ??= producer.connect());
      const source = { topic: topics.events, partition: 0, offset: '0', key: Buffer.from(event.camera), value: Buffer.from(JSON.stringify(event)) };
      await producer.send({ topic: topics.deadLetter, acks: -1, messages: [deadLetterRecord(source, reason, 'consumer-hooks')] });
      ctx.log.warn({ event: event.id, reason }, 'event sent to the dead-letter topic');
    },
    async close() {
      if (connected) await producer?.disconnect();
    },
  };
}
