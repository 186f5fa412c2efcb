// webhook target: POSTs each event as JSON. Network errors, timeouts, 5xx, 408 and 429 are
// retried with exponential backoff (bounded); other answers are final, redirects included (never
// followed). With a secret, each attempt carries `X-Signature-Timestamp: <unix seconds>` and
// `X-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<exact body>">`: the receiver checks the
// sender, and refuses a replayed request by its old timestamp.
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

/** The X-Signature value for a body sent at `timestamp` (unix seconds, as in X-Signature-Timestamp). */
export function signature(secret: string, body: string, timestamp: number): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
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
      for (let attempt = 1; ; attempt++) {
        let problem: string;
        if (secret) {
          // Signed per attempt: a retry after a long backoff is not refused as a replay.
          const timestamp = Math.floor(Date.now() / 1000);
          headers['x-signature-timestamp'] = String(timestamp);
          headers['x-signature'] = signature(secret, body, timestamp);
        }
        try {
          // A redirect is not followed: the signed event would go where the receiver points.
          const res = await fetch(c.url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.any([signal, AbortSignal.timeout(c.timeoutS * 1000)]) });
          await res.arrayBuffer().catch(() => undefined); // frees the connection for reuse
          if (res.ok) return;
          problem = `HTTP ${res.status}`;
          if (res.status >= 300 && res.status < 400) throw new FinalAnswer(`${c.url}: ${problem} (redirects are not followed)`);
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
