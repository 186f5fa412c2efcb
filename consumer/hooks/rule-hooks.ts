// What `vsp consumer --rules` runs: every frame through the rule engine, each event to its rule's
// targets through their delivery queues; at the end, a flush of the engine and a bounded drain.
import type { TrackedFrame__Output } from '../../common/gen/vsp/v1/TrackedFrame.js';
import type { RulesConfig } from '../rules/config.js';
import { RuleEngine, type RuleEvent } from '../rules/engine.js';
import { DeliveryQueue } from './delivery-queue.js';
import { errorMessage, type HookContext } from './target.js';
import { createTarget } from './targets.js';

/** How long shutdown waits for queued events (and then for each target to close). */
const DRAIN_TIMEOUT_MS = 10_000;

export interface RuleHooks {
  onFrame(frame: TrackedFrame__Output): void;
  /** Flushes the engine, waits for deliveries (bounded), closes the targets. */
  close(): Promise<void>;
}

/** Creates the targets that some rule uses (throws a UsageError for a bad target). */
export function startRuleHooks(config: RulesConfig, ctx: HookContext): RuleHooks {
  const engine = new RuleEngine(config);
  const used = new Set(config.rules.flatMap((r) => r.targets));
  const queues = new Map<string, DeliveryQueue>();
  for (const [name, c] of Object.entries(config.targets)) {
    if (!used.has(name)) {
      ctx.log.warn({ target: name }, 'target not used by any rule');
      continue;
    }
    queues.set(name, new DeliveryQueue(createTarget(name, c, ctx), { size: c.queueSize, concurrency: c.concurrency, log: ctx.log }));
  }
  const targetsOf = new Map(config.rules.map((r) => [r.name, r.targets.map((t) => queues.get(t) as DeliveryQueue)]));
  const dispatch = (events: RuleEvent[]) => {
    for (const e of events) for (const q of targetsOf.get(e.rule) ?? []) q.push(e);
  };
  return {
    onFrame: (frame) => dispatch(engine.onFrame(frame)),
    async close() {
      dispatch(engine.flush());
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
    },
  };
}
