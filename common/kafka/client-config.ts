// A Kafka client properties file (`--kafka-config FILE`, env VSP_KAFKA_CONFIG), with the property
// names Kafka users already write for librdkafka-based clients. Values may be `${env:NAME}` or
// `${file:PATH}` so that secrets stay out of the file. Anything unknown is an error naming it.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { KAFKA_CLIENT_CHOICES, type KafkaClientChoice, type KafkaConnection, type KafkaSasl, type KafkaTls } from './types.js';

const KNOWN = new Set([
  'bootstrap.servers',
  'client.id',
  'security.protocol',
  'sasl.mechanism',
  'sasl.mechanisms',
  'sasl.username',
  'sasl.password',
  'sasl.oauthbearer.method',
  'sasl.oauthbearer.client.id',
  'sasl.oauthbearer.client.secret',
  'sasl.oauthbearer.token.endpoint.url',
  'sasl.oauthbearer.scope',
  'ssl.ca.location',
  'ssl.certificate.location',
  'ssl.key.location',
  'ssl.key.password',
  'ssl.endpoint.identification.algorithm',
  // Ours, not librdkafka's: the client library, as --kafka-client (which overrides it).
  'vsp.kafka.client',
]);
const PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];
const MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'];

/** A client library choice (--kafka-client's values), checked; `source` names where it came from. */
export function parseKafkaClientChoice(value: string, source: string): KafkaClientChoice {
  const choice = value.trim().toLowerCase();
  if (!(KAFKA_CLIENT_CHOICES as readonly string[]).includes(choice)) throw new UsageError(`${source}: expected ${KAFKA_CLIENT_CHOICES.join(', ')}, got '${value}'`);
  return choice as KafkaClientChoice;
}

/** Reads a Java-style properties file: `key=value` (or `key: value`) lines, `#`/`!` comments. */
export function parsePropertiesFile(file: string): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--kafka-config: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const props = new Map<string, string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('!')) return;
    const m = /^([^=:\s]+)\s*[=:]\s*(.*)$/.exec(line);
    if (!m) throw new UsageError(`--kafka-config: ${file}:${i + 1}: expected key=value`);
    const [, key, value] = m as unknown as [string, string, string];
    if (!KNOWN.has(key)) throw new UsageError(`--kafka-config: ${file}:${i + 1}: unknown or unsupported property '${key}'`);
    props.set(key, resolveValue(value, key, path.dirname(file)));
  });
  return props;
}

/** `${env:NAME}` and `${file:PATH}` (relative to the properties file) anywhere in a value. */
function resolveValue(value: string, key: string, dir: string): string {
  return value.replace(/\$\{(env|file):([^}]+)\}/g, (_, kind: string, ref: string) => {
    if (kind === 'env') {
      const v = process.env[ref];
      if (v === undefined) throw new UsageError(`--kafka-config: ${key}: environment variable ${ref} is not set`);
      return v;
    }
    try {
      return readFileSync(path.resolve(dir, ref), 'utf8').trim();
    } catch (err) {
      throw new UsageError(`--kafka-config: ${key}: cannot read ${ref}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  });
}

function readPem(props: Map<string, string>, key: string, dir: string): string | undefined {
  const location = props.get(key);
  if (location === undefined) return undefined;
  try {
    return readFileSync(path.resolve(dir, location), 'utf8');
  } catch (err) {
    throw new UsageError(`--kafka-config: ${key}: cannot read ${location}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/**
 * The connection a properties file describes. `brokers` (from --brokers or VSP_BROKERS), when
 * given, overrides bootstrap.servers; `clientId` is the default for client.id.
 */
export function connectionFromProperties(file: string, brokers: string | undefined, clientId: string): KafkaConnection {
  const props = parsePropertiesFile(file);
  const dir = path.dirname(file);
  const protocol = (props.get('security.protocol') ?? 'PLAINTEXT').toUpperCase();
  if (!PROTOCOLS.includes(protocol)) throw new UsageError(`--kafka-config: security.protocol: expected ${PROTOCOLS.join(', ')}, got '${protocol}'`);
  const servers = brokers ?? props.get('bootstrap.servers');
  if (!servers) throw new UsageError('--kafka-config: bootstrap.servers is not set (nor --brokers)');
  const connection: KafkaConnection = { brokers: servers.split(',').map((b) => b.trim()).filter(Boolean), clientId: props.get('client.id') ?? clientId };
  const client = props.get('vsp.kafka.client');
  if (client !== undefined) connection.client = parseKafkaClientChoice(client, '--kafka-config: vsp.kafka.client');
  if (protocol === 'SSL' || protocol === 'SASL_SSL') connection.tls = tlsOf(props, dir);
  else {
    for (const key of ['ssl.ca.location', 'ssl.certificate.location', 'ssl.key.location']) {
      if (props.has(key)) throw new UsageError(`--kafka-config: ${key} needs security.protocol SSL or SASL_SSL, not ${protocol}`);
    }
  }
  if (protocol.startsWith('SASL_')) connection.sasl = saslOf(props);
  return connection;
}

function tlsOf(props: Map<string, string>, dir: string): KafkaTls {
  const cert = readPem(props, 'ssl.certificate.location', dir);
  const key = readPem(props, 'ssl.key.location', dir);
  if ((cert === undefined) !== (key === undefined)) throw new UsageError('--kafka-config: ssl.certificate.location and ssl.key.location go together');
  const identification = (props.get('ssl.endpoint.identification.algorithm') ?? 'https').toLowerCase();
  if (identification !== 'https' && identification !== 'none' && identification !== '') {
    throw new UsageError(`--kafka-config: ssl.endpoint.identification.algorithm: expected https or none, got '${identification}'`);
  }
  return { ca: readPem(props, 'ssl.ca.location', dir), cert, key, passphrase: props.get('ssl.key.password'), verifyHostname: identification === 'https' };
}

function saslOf(props: Map<string, string>): KafkaSasl {
  const mechanism = (props.get('sasl.mechanism') ?? props.get('sasl.mechanisms') ?? '').toUpperCase();
  if (!MECHANISMS.includes(mechanism)) throw new UsageError(`--kafka-config: sasl.mechanism: expected ${MECHANISMS.join(', ')}, got '${mechanism}'`);
  if (mechanism === 'OAUTHBEARER') {
    const need = (key: string) => {
      const v = props.get(key);
      if (!v) throw new UsageError(`--kafka-config: ${key} is required with sasl.mechanism OAUTHBEARER`);
      return v;
    };
    if ((props.get('sasl.oauthbearer.method') ?? '').toLowerCase() !== 'oidc') throw new UsageError("--kafka-config: sasl.oauthbearer.method must be 'oidc' (client credentials)");
    return {
      mechanism: 'oauthbearer',
      tokenEndpoint: need('sasl.oauthbearer.token.endpoint.url'),
      clientId: need('sasl.oauthbearer.client.id'),
      clientSecret: need('sasl.oauthbearer.client.secret'),
      scope: props.get('sasl.oauthbearer.scope'),
    };
  }
  const username = props.get('sasl.username');
  const password = props.get('sasl.password');
  if (!username || password === undefined) throw new UsageError(`--kafka-config: sasl.username and sasl.password are required with sasl.mechanism ${mechanism}`);
  return { mechanism: mechanism.toLowerCase() as 'plain' | 'scram-sha-256' | 'scram-sha-512', username, password };
}
