// mqtt target (mqtt.js): every event as JSON on `<prefix>/events`; the label counts of count
// events also as retained numbers on `<prefix>/<camera>/<label>` (or
// `<prefix>/<camera>/<zone or line>/<label>` for a rule counting in a zone or on a line), so a
// dashboard that subscribes later still gets the last counts. mqtt.js reconnects on its own and
// queues while offline; the delivery queue bounds what waits. TLS (mqtts://, wss://) verifies
// the broker (system roots or `ca`) and can present a client certificate (`cert`, `key`).
import { randomUUID } from 'node:crypto';
import mqtt from 'mqtt';
import { z } from 'zod';
import { UsageError } from '../../common/errors.js';
import { readKeyFile, readSecretFile } from '../../common/secrets.js';
import type { RuleEvent } from '../rules/event.js';
import { errorMessage, queueFields, untilAborted, type HookContext, type Target, type TargetType } from './target.js';

/** `type: mqtt` in the rules file's targets. */
export const mqttConfigSchema = z.strictObject({
  type: z.literal('mqtt'),
  url: z.url({ protocol: /^(mqtts?|wss?|tcp|ssl)$/, error: 'expected an mqtt://, mqtts://, ws:// or wss:// URL' }),
  prefix: z.string().min(1).default('vsp'),
  username: z.string().optional(),
  password: z.string().optional(),
  /** Name of an environment variable holding the password (keeps it out of the file). */
  passwordEnv: z.string().min(1).optional(),
  /** A file whose first line is the password (readable by the consumer only). */
  passwordFile: z.string().min(1).optional(),
  /** mqtts:// / wss://: CA certificates (PEM file) to verify the broker with (default: the system roots). */
  ca: z.string().min(1).optional(),
  /** Client certificate and its key (PEM files), for a broker that requires one. */
  cert: z.string().min(1).optional(),
  key: z.string().min(1).optional(),
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

/** The password from `password`, `passwordEnv` or `passwordFile` (at most one of them). */
function mqttPassword(name: string, c: MqttConfig): string | undefined {
  const given = (['password', 'passwordEnv', 'passwordFile'] as const).filter((k) => c[k] !== undefined);
  if (given.length > 1) throw new UsageError(`targets.${name}: give one of ${given.join(', ')}`);
  if (c.passwordEnv !== undefined) {
    const password = process.env[c.passwordEnv];
    if (!password) throw new UsageError(`targets.${name}.passwordEnv: environment variable ${c.passwordEnv} is not set`);
    return password;
  }
  return c.passwordFile === undefined ? c.password : readSecretFile(`targets.${name}.passwordFile`, c.passwordFile);
}

/** TLS material read from the files the config names. */
function mqttTls(name: string, c: MqttConfig): { ca?: Buffer; cert?: Buffer; key?: Buffer } {
  if (Boolean(c.cert) !== Boolean(c.key)) throw new UsageError(`targets.${name}: cert and key go together`);
  const read = (field: 'ca' | 'cert' | 'key') => (c[field] === undefined ? undefined : readKeyFile(`targets.${name}.${field}`, c[field]));
  return { ca: read('ca'), cert: read('cert'), key: read('key') };
}

export function mqttTarget(name: string, c: MqttConfig, ctx: HookContext): Target {
  const client = mqtt.connect(c.url, {
    clientId: `vsp-consumer-${randomUUID().slice(0, 8)}`,
    username: c.username,
    password: mqttPassword(name, c),
    ...mqttTls(name, c),
    rejectUnauthorized: true,
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
