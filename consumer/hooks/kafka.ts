// kafka target: each event as JSON on `<prefix>.events`, keyed by camera (one camera's events
// stay in order in one partition).
import { z } from 'zod';
import { createKafka } from '../../common/kafka/client.js';
import { topicNames } from '../../common/kafka/topics.js';
import { queueFields, untilAborted, type HookContext, type Target, type TargetType } from './target.js';

/** `type: kafka` in the rules file's targets. */
export const kafkaTargetConfigSchema = z.strictObject({
  type: z.literal('kafka'),
  /** Defaults to the consumer's --brokers (the consumer's TLS and SASL settings apply either way). */
  brokers: z.string().min(1).optional(),
  /** Topic `<prefix>.events`; defaults to the consumer's --prefix. */
  prefix: z.string().min(1).optional(),
  ...queueFields,
});
export type KafkaTargetConfig = z.output<typeof kafkaTargetConfigSchema>;

export function kafkaTarget(name: string, c: KafkaTargetConfig, ctx: HookContext): Target {
  const brokers = c.brokers ? c.brokers.split(',').map((b) => b.trim()) : ctx.connection.brokers;
  const producer = createKafka({ ...ctx.connection, brokers, clientId: 'vsp-consumer-events' }, { log: ctx.log }).producer();
  const topic = topicNames(c.prefix ?? ctx.prefix).events;
  let connected: Promise<void> | undefined;
  const connect = () =>
    (connected ??= producer.connect().catch((err: unknown) => {
      connected = undefined; // try again with the next event
      throw err;
    }));
  return {
    name,
    async send(event, signal) {
      await untilAborted(connect(), signal);
      await untilAborted(producer.send({ topic, messages: [{ key: event.camera, value: JSON.stringify(event) }] }), signal);
    },
    close: () => producer.disconnect(),
  };
}

export const kafkaType: TargetType<typeof kafkaTargetConfigSchema> = { schema: kafkaTargetConfigSchema, create: kafkaTarget };
