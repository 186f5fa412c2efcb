// The hook target types a rules file can name (`targets: { NAME: { type: ..., ... } }`). Each
// declares its fields and its factory next to its code; a new type is one file listed here.
import { z } from 'zod';
import { alternatives } from '../../common/lists.js';
import { missing } from '../rules/fields.js';
import { execType } from './exec.js';
import { kafkaType } from './kafka.js';
import { mqttType } from './mqtt.js';
import type { HookContext, Target, TargetSchema, TargetType } from './target.js';
import { webhookType } from './webhook.js';

/** In the order error messages list them. */
export const TARGET_TYPES = [webhookType, mqttType, kafkaType, execType] as const;

type Schemas<T extends readonly { schema: TargetSchema }[]> = { [K in keyof T]: T[K]['schema'] };
const names = TARGET_TYPES.map((t) => t.schema.shape.type.value);

/** A target's entry in the rules file: one of the types' schemas, chosen by `type`. */
export const targetSchema = z.discriminatedUnion('type', TARGET_TYPES.map((t) => t.schema) as unknown as Schemas<typeof TARGET_TYPES>, {
  error: (iss) => (missing(iss.input, 'type') ? 'required' : `expected type ${alternatives(names)}`),
});

export type TargetConfig = z.output<typeof targetSchema>;

/** The target a valid config describes (throws a UsageError for a bad one). */
export function createTarget(name: string, c: TargetConfig, ctx: HookContext): Target {
  const type = TARGET_TYPES.find((t) => t.schema.shape.type.value === c.type) as TargetType;
  return type.create(name, c, ctx);
}
