// mqtt target (mqtt.js): every event as JSON on `<prefix>/events`; the label counts of count
// events also as retained numbers on `<prefix>/<camera>/<label>` (or
// `<prefix>/<camera>/<zone or line>/<label>` for a rule counting in a zone or on a line), so a
// dashboard that subscribes later still gets the last counts. mqtt.js reconnects on its own and
// queues while offline; the delivery queue bounds what waits.
import { randomUUID } from 'node:crypto';
import mqtt from 'mqtt';
import { z } from 'zod';
import type { RuleEvent } from '../rules/event.js';
import { errorMessage, queueFields, untilAborted, type HookContext, type Target, type TargetType } from './target.js';

/** `type: mqtt` in the rules file's targets. */
export const mqttConfigSchema = z.strictObject({
  type: z.literal('mqtt'),
  url: z.url({ protocol: /^(mqtts?|wss?|tcp|ssl)$/, error: 'expected an mqtt://, mqtts://, ws:// or wss:// URL' }),
  prefix: z.string().min(1).default('vsp'),
  username: z.string().optional(),
  password: z.string().optional(),
  qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(1),
  ...queueFields,
});
export type MqttConfig = z.output<typeof mqttConfigSchema>;

/** The messages one event becomes: [topic, payload, retain]. */
function mqttMessages(prefix: string, event: RuleEvent): Array<[string, string, boolean]> {
  const out: Array<[string, string, boolean]> = [[`${prefix}/events`, JSON.stringify(event), false]];
  if (event.type === 'count' && event.counts) {
    const place = event.zone ?? event.line;
    const base = [prefix, topicLevel(event.camera), ...(place === undefined ? [] : [topicLevel(place)])].join('/');
    for (const [label, n] of Object.entries(event.counts)) out.push([`${base}/${topicLevel(label)}`, String(n), true]);
  }
  return out;
}

/** A name as one topic level: no separators or wildcards. */
function topicLevel(s: string): string {
  return s.replace(/[/+#\u0000]/g, '_');
}

export function mqttTarget(name: string, c: MqttConfig, ctx: HookContext): Target {
  const client = mqtt.connect(c.url, {
    clientId: `vsp-consumer-${randomUUID().slice(0, 8)}`,
    username: c.username,
    password: c.password,
    connectTimeout: 5000,
    reconnectPeriod: 1000,
  });
  let reported = false;
  client.on('error', (err) => {
    // mqtt.js retries forever; one warning per outage is enough.
    if (!reported) ctx.log.warn({ target: name, url: c.url, err: errorMessage(err) }, 'mqtt: cannot reach the broker; retrying');
    reported = true;
  });
  client.on('connect', () => (reported = false));
  return {
    name,
    async send(event, signal) {
      for (const [topic, payload, retain] of mqttMessages(c.prefix, event)) {
        await untilAborted(client.publishAsync(topic, payload, { qos: c.qos, retain }), signal);
      }
    },
    close: async () => {
      await client.endAsync(!client.connected);
    },
  };
}

export const mqttType: TargetType<typeof mqttConfigSchema> = { schema: mqttConfigSchema, create: mqttTarget };
