// librdkafka settings from a KafkaConnection (bootstrap servers, TLS, SASL incl. OAUTHBEARER),
// the settings every rdkafka client shares, and librdkafka's log lines routed to our logger.
import type { Logger } from '../../log.js';
import { oidcTokenSource } from '../oauth.js';
import type { ClientOptions } from '../client-options.js';
import type { KafkaConnection } from '../types.js';
import type { Config } from './load.js';

/** librdkafka's upper bound for message.max.bytes: like kafkajs, leave the size limit to the topic's max.message.bytes. */
export const MAX_MESSAGE_BYTES = 1_000_000_000;

/** Connection and security settings (librdkafka property names). */
export function connectionConfig(c: KafkaConnection): Config {
  const conf: Config = {
    'bootstrap.servers': c.brokers.join(','),
    'client.id': c.clientId,
    'security.protocol': c.tls ? (c.sasl ? 'sasl_ssl' : 'ssl') : c.sasl ? 'sasl_plaintext' : 'plaintext',
    'socket.keepalive.enable': true,
    'socket.connection.setup.timeout.ms': 10_000,
    'socket.timeout.ms': 30_000,
    // Back soon after an outage (the defaults wait up to 10 s between attempts).
    'reconnect.backoff.ms': 100,
    'reconnect.backoff.max.ms': 1000,
    'retry.backoff.ms': 100,
    'retry.backoff.max.ms': 1000,
  };
  if (c.tls) {
    Object.assign(conf, {
      'enable.ssl.certificate.verification': true,
      'ssl.endpoint.identification.algorithm': c.tls.verifyHostname ? 'https' : 'none',
      ...(c.tls.ca && { 'ssl.ca.pem': c.tls.ca }),
      ...(c.tls.cert && { 'ssl.certificate.pem': c.tls.cert, 'ssl.key.pem': c.tls.key }),
      ...(c.tls.passphrase && { 'ssl.key.password': c.tls.passphrase }),
    });
  }
  const s = c.sasl;
  if (s?.mechanism === 'oauthbearer') {
    // The same token source as kafkajs (oauth.ts), through librdkafka's refresh callback.
    const token = oidcTokenSource(s);
    Object.assign(conf, {
      'sasl.mechanisms': 'OAUTHBEARER',
      oauthbearer_token_refresh_cb: async () => {
        const t = await token();
        return { tokenValue: t.token, lifetime: t.expiresAt, principal: principalOf(t.token) ?? s.clientId };
      },
    });
  } else if (s) {
    Object.assign(conf, { 'sasl.mechanisms': s.mechanism.toUpperCase(), 'sasl.username': s.username, 'sasl.password': s.password });
  }
  return conf;
}

/** The subject of a JWT access token (librdkafka wants a principal name), if it is one. */
function principalOf(token: string): string | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const sub = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub?: unknown }).sub;
    return typeof sub === 'string' && sub ? sub : undefined;
  } catch {
    return undefined;
  }
}

// librdkafka logs every retried connection or coordinator hiccup; the operation itself reports a
// real failure, so these are only debug noise (as kafkajs-client.ts does for kafkajs).
const RETRIED = /Connection refused|Connect to|Disconnected|brokers are down|timed out|Timed out|coordinator|leader|Broker transport failure|Receive failed|Send failed/i;

/** The KafkaJS-style logger the package calls, writing to ours (nothing without one). */
export function loggerConfig(options: ClientOptions): Config {
  const log = options.log;
  // logLevel INFO (kafkajs's 3): librdkafka logs failed connections at error or (a connection
  // the broker closed) info level, and rdkafka/connect.ts reads them even when nothing is logged
  // here; info lines reach our logger at debug.
  // VSP_RDKAFKA_DEBUG (librdkafka's debug contexts, e.g. cgrp,fetch) traces the native client
  // at our debug level, for troubleshooting.
  const debug = process.env.VSP_RDKAFKA_DEBUG;
  return { ...(debug && { debug }), kafkaJS: { logLevel: debug ? 4 : 3, logger: log ? kafkaJsLogger(log) : silentLogger } };
}

interface KafkaJsStyleLogger {
  info(message: string, extra?: object): void;
  error(message: string, extra?: object): void;
  warn(message: string, extra?: object): void;
  debug(message: string, extra?: object): void;
  namespace(): KafkaJsStyleLogger;
  setLogLevel(level: number): void;
}

const silentLogger: KafkaJsStyleLogger = {
  info: () => {},
  error: () => {},
  warn: () => {},
  debug: () => {},
  namespace: () => silentLogger,
  setLogLevel: () => {},
};

function kafkaJsLogger(log: Logger): KafkaJsStyleLogger {
  const fields = (extra?: object) => {
    const { fac, name } = (extra ?? {}) as { fac?: string; name?: string };
    return { kafka: name || 'rdkafka', ...(fac && { fac }) };
  };
  const logger: KafkaJsStyleLogger = {
    error: (message, extra) => (RETRIED.test(message) ? log.debug(fields(extra), message) : log.error(fields(extra), message)),
    warn: (message, extra) => (RETRIED.test(message) ? log.debug(fields(extra), message) : log.warn(fields(extra), message)),
    info: (message, extra) => log.debug(fields(extra), message),
    debug: (message, extra) => log.debug(fields(extra), message),
    namespace: () => logger,
    setLogLevel: () => {},
  };
  return logger;
}
