// webhook target: POSTs each event as JSON. Network errors, timeouts, 5xx, 408 and 429 are
// retried with exponential backoff (bounded); other answers are final. With a secret, the header
// `X-Signature: sha256=<hex HMAC-SHA256 of the exact body>` lets the receiver check the sender.
import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { UsageError } from '../../common/errors.js';
import { int, seconds } from '../rules/fields.js';
import { errorMessage, queueFields, type HookContext, type Target, type TargetType } from './target.js';

/** `type: webhook` in the rules file's targets. */
export const webhookConfigSchema = z.strictObject({
  type: z.literal('webhook'),
  url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }),
  secret: z.string().min(1).optional(),
  /** Name of an environment variable holding the secret (keeps it out of the file). */
  secretEnv: z.string().min(1).optional(),
  headers: z.record(z.string(), z.string()).default({}),
  retries: int().min(0).default(3),
  backoffMs: int().min(0).default(500),
  maxBackoffMs: int().min(0).default(30_000),
  timeoutS: seconds.default(10),
  ...queueFields,
});
export type WebhookConfig = z.output<typeof webhookConfigSchema>;

export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

class FinalAnswer extends Error {}

export function webhookTarget(name: string, c: WebhookConfig, ctx: HookContext): Target {
  const secret = c.secret ?? (c.secretEnv === undefined ? undefined : process.env[c.secretEnv]);
  if (c.secretEnv !== undefined && !secret) throw new UsageError(`targets.${name}.secretEnv: environment variable ${c.secretEnv} is not set`);
  return {
    name,
    async send(event, signal) {
      const body = JSON.stringify(event);
      const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'vsp-consumer', 'x-vsp-event-id': event.id, ...c.headers };
      if (secret) headers['x-signature'] = signature(secret, body);
      for (let attempt = 1; ; attempt++) {
        let problem: string;
        try {
          const res = await fetch(c.url, { method: 'POST', headers, body, signal: AbortSignal.any([signal, AbortSignal.timeout(c.timeoutS * 1000)]) });
          await res.arrayBuffer().catch(() => undefined); // frees the connection for reuse
          if (res.ok) return;
          problem = `HTTP ${res.status}`;
          if (res.status < 500 && res.status !== 408 && res.status !== 429) throw new FinalAnswer(`${c.url}: ${problem}`);
        } catch (err) {
          if (err instanceof FinalAnswer) throw err;
          if (signal.aborted) throw signal.reason;
          problem = errorMessage(err);
        }
        if (attempt > c.retries) throw new Error(`${c.url}: ${problem} (${attempt} attempts)`);
        const delay = Math.min(c.maxBackoffMs, c.backoffMs * 2 ** (attempt - 1));
        ctx.log.debug({ target: name, event: event.id, problem, attempt, delay }, 'webhook retry');
        await sleep(delay, undefined, { signal }).catch(() => {
          throw signal.reason;
        });
      }
    },
    close: async () => {},
  };
}

export const webhookType: TargetType<typeof webhookConfigSchema> = { schema: webhookConfigSchema, create: webhookTarget };
