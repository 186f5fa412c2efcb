// What every hook target is: something that delivers one rule event, or fails saying why; and
// what every target type declares: its fields in the rules file and how to create it.
import type { KafkaConnection } from '../../common/kafka/connection.js';
import type { z } from 'zod';
import type { Logger } from '../../common/log.js';
import type { RuleEvent } from '../rules/event.js';
import { int } from '../rules/fields.js';

export interface Target {
  readonly name: string;
  /**
   * Delivers one event (with the target's own retries); rejects when it could not. Settles soon
   * after `signal` aborts (at shutdown, once the drain time is up).
   */
  send(event: RuleEvent, signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** What targets may need from the consumer around them. */
export interface HookContext {
  /** The consumer's Kafka connection and --prefix (defaults for kafka targets). */
  connection: KafkaConnection;
  prefix: string;
  log: Logger;
}

/** Fields every target takes: its delivery queue's (see delivery-queue.ts). */
export const queueFields = {
  /** Events waiting for delivery; the oldest is dropped when full. */
  queueSize: int().positive().default(1000),
  concurrency: int().positive().default(1),
};

/** The config of a target in the rules file: a strict object tagged with its `type`. */
export type TargetSchema = z.ZodObject<{ type: z.ZodLiteral<string> } & typeof queueFields & z.ZodRawShape, z.core.$strict>;

/** One `type:` of target: its config schema and how to create a target from a valid config. */
export interface TargetType<S extends TargetSchema = TargetSchema> {
  schema: S;
  create(name: string, config: z.output<S>, ctx: HookContext): Target;
}

/** Settles like `p`, or rejects when `signal` aborts first (for clients that take no signal). */
export function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export function errorMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // fetch hides the socket error (ECONNREFUSED, ...) in its cause.
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
}
