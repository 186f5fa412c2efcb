// One classification of the Kafka client's errors, whatever library raised them (kafkajs, or
// librdkafka through @confluentinc/kafka-javascript): retriable (Kafka is away or electing
// leaders: wait it out) or fatal (a record over the size limit, a fenced producer, bad
// configuration). kafkajs wraps a refused connection in several layers of non-retriable errors
// once its own retries run out, so the whole cause chain is looked at. librdkafka's errors carry
// its error code (negative: local, e.g. -195 transport; positive: Kafka's protocol error codes)
// and, from the KafkaJS-style API, its name as `type` (ERR__TRANSPORT, ERR_TOPIC_AUTHORIZATION_FAILED).
import { describeConnection, type KafkaConnection } from './connection.js';

const UNAVAILABLE = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSMetadataNotLoaded',
]);
const UNREACHABLE = /ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|ECONNRESET/;

/** The socket error code client.ts gives a plaintext connection that a TLS listener answered. */
export const TLS_EXPECTED_CODE = 'VSP_TLS_EXPECTED';
const TRUST_CA = 'set ssl.ca.location in --kafka-config to the CA that signed it';
/** Node's codes for a broker certificate it refuses, with what to do about each. */
const CERTIFICATE_REFUSED: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: TRUST_CA,
  UNABLE_TO_GET_ISSUER_CERT: TRUST_CA,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: TRUST_CA,
  SELF_SIGNED_CERT_IN_CHAIN: TRUST_CA,
  DEPTH_ZERO_SELF_SIGNED_CERT: TRUST_CA,
  CERT_UNTRUSTED: TRUST_CA,
  CERT_SIGNATURE_FAILURE: TRUST_CA,
  ERR_TLS_CERT_ALTNAME_INVALID: 'bootstrap.servers must name a host the certificate holds',
  CERT_HAS_EXPIRED: 'the broker needs a new certificate',
  CERT_NOT_YET_VALID: 'check the clocks of this machine and the broker',
};
const AUTHORIZATION_FAILED = /^(TOPIC|GROUP|CLUSTER|TRANSACTIONAL_ID|DELEGATION_TOKEN)_AUTHORIZATION_FAILED$/;

/** librdkafka's local error codes this module tells apart (rdkafkacpp.h). */
const RD = {
  TRANSPORT: -195,
  RESOLVE: -193,
  MSG_TIMED_OUT: -192,
  ALL_BROKERS_DOWN: -187,
  TIMED_OUT: -185,
  SSL: -181,
  WAIT_COORD: -180,
  AUTHENTICATION: -169,
  TIMED_OUT_QUEUE: -166,
  DESTROY_BROKER: -137,
} as const;
/**
 * librdkafka: Kafka unreachable, an operation that timed out waiting for it, or a request cut off
 * because its node left the cluster's metadata (a node failing over).
 */
const RD_UNAVAILABLE = new Set<number>([RD.TRANSPORT, RD.RESOLVE, RD.MSG_TIMED_OUT, RD.ALL_BROKERS_DOWN, RD.TIMED_OUT, RD.WAIT_COORD, RD.TIMED_OUT_QUEUE, RD.DESTROY_BROKER]);
/**
 * Kafka protocol errors that are retriable (Kafka's RetriableException family, as kafkajs marks
 * them): unknown topic or partition, no leader, not the leader, request timed out, network error,
 * coordinator loading / not available / not the coordinator, not enough replicas (before and after
 * append), storage error, fenced or unknown leader epoch, offset not available, preferred leader
 * not available, unstable offset commit.
 */
const RETRIABLE_PROTOCOL = new Set<number>([3, 5, 6, 7, 13, 14, 15, 16, 19, 20, 56, 74, 75, 78, 80, 88]);
/** librdkafka's reason when a TLS listener hung up on a plaintext client. */
const RD_TLS_EXPECTED = /connecting to a SSL listener\?/;
/** The socket errors librdkafka names in words, with Node's codes for them (messages stay comparable across clients). */
const RD_ERRNO: [RegExp, string][] = [
  [/Connection refused/, 'ECONNREFUSED'],
  [/Connection timed out/, 'ETIMEDOUT'],
  [/No route to host/, 'EHOSTUNREACH'],
  [/Connection reset by peer/, 'ECONNRESET'],
  [/Failed to resolve|Name or service not known|Temporary failure in name resolution/, 'ENOTFOUND'],
];

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  retriable?: unknown;
  cause?: unknown;
  originalError?: unknown;
  /** Node's error code (kafkajs copies the socket's onto its connection errors); librdkafka's error code (a number). */
  code?: unknown;
  /** kafkajs protocol errors: Kafka's error name, e.g. TOPIC_AUTHORIZATION_FAILED; librdkafka's: ERR_TOPIC_AUTHORIZATION_FAILED. */
  type?: unknown;
  /** librdkafka's native errors: 'local' or 'kafka'. */
  origin?: unknown;
}

/** librdkafka's error code when the error is one of librdkafka's. */
function rdkafkaCode(e: ErrorLike): number | undefined {
  if (typeof e.code !== 'number') return undefined;
  if (typeof e.type === 'string' && e.type.startsWith('ERR_')) return e.code;
  return e.origin === 'local' || e.origin === 'kafka' ? e.code : undefined;
}

/** Kafka's name of a protocol error, whichever client raised it (e.g. TOPIC_AUTHORIZATION_FAILED). */
function protocolErrorName(e: ErrorLike): string | undefined {
  return typeof e.type === 'string' ? e.type.replace(/^ERR_/, '') : undefined;
}

/**
 * What one of librdkafka's errors means here: a security failure (no retry fixes it), Kafka
 * unavailable (wait it out), or neither. rdkafka/connect.ts watches the native client with it.
 */
export function rdkafkaErrorKind(err: { code?: unknown; message?: unknown; origin?: unknown; type?: unknown }): 'security' | 'unavailable' | undefined {
  if (rdSecurity(err)) return 'security';
  const code = rdkafkaCode(err);
  if (code === undefined) return undefined;
  // A TLS failure other than a refused certificate (e.g. a TLS client on a plaintext listener)
  // is retried like an unreachable Kafka, then reported as it is.
  return RD_UNAVAILABLE.has(code) || RETRIABLE_PROTOCOL.has(code) || code === RD.SSL ? 'unavailable' : undefined;
}

function rdSecurity(e: ErrorLike): SecurityFailure | undefined {
  const code = rdkafkaCode(e);
  if (code === undefined) return undefined;
  const name = protocolErrorName(e);
  if (code === RD.AUTHENTICATION || name === 'SASL_AUTHENTICATION_FAILED') return 'authentication';
  if (name !== undefined && AUTHORIZATION_FAILED.test(name)) return 'authorization';
  if ([29, 30, 31, 53, 65].includes(code) && name === undefined) return 'authorization';
  if (code === RD.TRANSPORT && RD_TLS_EXPECTED.test(String(e.message))) return 'tls-expected';
  if (code === RD.SSL && /certificate verify failed|certificate/i.test(String(e.message))) return 'certificate';
  return undefined;
}

/** A librdkafka message without the broker it names and the state it was in (the message says where). */
function rdMessage(message: string): string {
  const text = message
    .replace(/^(?:[a-z_]+:\/\/)?[^\s/]+\/(?:bootstrap|\d+): /i, '')
    .replace(/ \(after \d+ms in state [A-Z_]+(?:, \d+ identical error\(s\) suppressed)?\)/, '')
    .replace(/ \(\d+ identical error\(s\) suppressed\)/, '')
    .trim();
  const errno = RD_ERRNO.find(([re]) => re.test(text))?.[1];
  return errno && !text.includes(errno) ? `${text} (${errno})` : text;
}

/** The error and the errors it wraps, outermost first. */
function* causes(err: unknown): Generator<ErrorLike> {
  let e: unknown = err;
  for (let depth = 0; depth < 10 && typeof e === 'object' && e !== null; depth++) {
    yield e as ErrorLike;
    e = (e as ErrorLike).cause ?? (e as ErrorLike).originalError;
  }
}

type SecurityFailure = 'authentication' | 'authorization' | 'tls-expected' | 'certificate';

/** A failure of security settings or rights, which no retry fixes, and the error saying so. */
function securityFailure(err: unknown): { kind: SecurityFailure; e: ErrorLike } | undefined {
  for (const e of causes(err)) {
    const rd = rdSecurity(e);
    if (rd) return { kind: rd, e };
    if (e.name === 'KafkaJSSASLAuthenticationError') return { kind: 'authentication', e };
    if (typeof e.type === 'string' && AUTHORIZATION_FAILED.test(e.type)) return { kind: 'authorization', e };
    if (e.code === TLS_EXPECTED_CODE) return { kind: 'tls-expected', e };
    if (typeof e.code === 'string' && Object.hasOwn(CERTIFICATE_REFUSED, e.code)) return { kind: 'certificate', e };
  }
  return undefined;
}

/** A Kafka operation failed; `cause` is the client library's own error. */
export class KafkaError extends Error {
  override name = 'KafkaError';
  /** Worth retrying: Kafka was unreachable or electing leaders. */
  readonly retriable: boolean;

  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.retriable = isKafkaUnavailable(cause);
  }
}

/** True when the error means "Kafka is away for now" (worth waiting out) rather than a problem no retry fixes. */
export function isKafkaUnavailable(err: unknown): boolean {
  if (err instanceof KafkaError) return err.retriable;
  // A refused login or certificate arrives as a connection error, yet waiting never fixes it.
  if (securityFailure(err)) return false;
  for (const e of causes(err)) {
    const { name, retriable } = e;
    const rd = rdkafkaCode(e);
    if (rd !== undefined) {
      // librdkafka retries on its own; what reaches us is Kafka being away (or an operation
      // timing out waiting for it), or a retriable broker error such as a leader election.
      if (RD_UNAVAILABLE.has(rd) || RETRIABLE_PROTOCOL.has(rd)) return true;
      continue;
    }
    if (typeof name === 'string' && UNAVAILABLE.has(name)) return true;
    // Leader elections and the like while a broker comes back. The rdkafka package's admin
    // raises these with Kafka's code but retriable false (its flag is for transactions only).
    if (name === 'KafkaJSProtocolError' && (retriable === true || RETRIABLE_PROTOCOL.has(Number(e.code)))) return true;
  }
  return false;
}

/** Kafka's codes for a group that moved on to a new generation: ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS. */
const NEW_GROUP_GENERATION = new Set<number>([22, 27]);

/**
 * True when a group request (e.g. a transaction's offsets) was refused because the group moved to
 * a new generation: a rebalance began or ended while it was on its way. Asking again with the
 * consumer's new generation succeeds once it has rejoined.
 */
export function isNewGroupGeneration(err: unknown): boolean {
  for (const e of causes(err)) {
    const rd = rdkafkaCode(e);
    if (rd !== undefined ? NEW_GROUP_GENERATION.has(rd) : e.name === 'KafkaJSProtocolError' && NEW_GROUP_GENERATION.has(Number(e.code))) return true;
  }
  return false;
}

/** The error of a failed Kafka operation, with one line saying why and the original as `cause`. */
export function kafkaFailure(err: unknown, connection: KafkaConnection): KafkaError {
  if (err instanceof KafkaError) return err;
  const at = describeConnection(connection);
  const security = securityFailure(err);
  if (security) return new KafkaError(securityMessage(security.kind, security.e, at, connection), err);
  const e = (err ?? {}) as ErrorLike;
  const rd = rdkafkaCode(e);
  if (rd !== undefined) return rdkafkaFailure(e, rd, err, at, connection);
  const inner = (e.originalError ?? e.cause) as ErrorLike | undefined;
  const detail = String(inner?.message ?? e.message ?? err);
  const unreachable = e.name === 'KafkaJSNumberOfRetriesExceeded' || UNAVAILABLE.has(String(e.name)) || UNREACHABLE.test(detail);
  if (!unreachable) return new KafkaError(detail, err);
  // A listener that wants SASL (or TLS) closes a connection that does not speak it.
  const closed = [...causes(err)].some((c) => c.name === 'KafkaJSConnectionClosedError');
  const hint = closed && !connection.sasl ? '; if the listener requires SASL or TLS, set security.protocol and sasl.* in --kafka-config (docs/security.md)' : '';
  return new KafkaError(`cannot reach Kafka at ${at}: ${detail}${hint}`, err);
}

/** kafkaFailure for one of librdkafka's errors. */
function rdkafkaFailure(e: ErrorLike, code: number, err: unknown, at: string, connection: KafkaConnection): KafkaError {
  const detail = rdMessage(String(e.message));
  if (!RD_UNAVAILABLE.has(code)) return new KafkaError(detail, err);
  // A listener that wants SASL closes a connection that does not speak it.
  const closed = code === RD.TRANSPORT && /Disconnected/.test(detail);
  const hint = closed && !connection.sasl ? '; if the listener requires SASL or TLS, set security.protocol and sasl.* in --kafka-config (docs/security.md)' : '';
  const what = code === RD.TIMED_OUT || code === RD.TIMED_OUT_QUEUE || code === RD.MSG_TIMED_OUT ? `no answer from Kafka at ${at}` : `cannot reach Kafka at ${at}`;
  return new KafkaError(`${what}: ${detail}${hint}`, err);
}

function securityMessage(kind: SecurityFailure, e: ErrorLike, at: string, c: KafkaConnection): string {
  const rd = rdkafkaCode(e) !== undefined;
  const message = rd ? rdMessage(String(e.message)) : String(e.message).replace(/^Connection error: /, '');
  const user = c.sasl ? (c.sasl.mechanism === 'oauthbearer' ? c.sasl.clientId : c.sasl.username) : undefined;
  switch (kind) {
    case 'authentication':
      return `authentication failed: Kafka at ${at} refused user '${user ?? '?'}' (${message}); check sasl.username and sasl.password in --kafka-config`;
    case 'authorization':
      return `not authorized: Kafka at ${at} refused ${user === undefined ? 'this client' : `User:${user}`} ${protocolErrorName(e) ?? 'AUTHORIZATION_FAILED'} (${message}); its ACLs do not allow this (docs/security.md)`;
    case 'tls-expected':
      return `Kafka at ${at} answered in TLS: set security.protocol=SSL or SASL_SSL (and its ssl.*, sasl.*) in --kafka-config (docs/security.md)`;
    case 'certificate':
      if (rd) return `TLS: the certificate of Kafka at ${at} is refused (${rdCertificateReason(message)}); ${TRUST_CA}`;
      return `TLS: the certificate of Kafka at ${at} is refused (${message}); ${CERTIFICATE_REFUSED[String(e.code)]}`;
  }
}

/** The gist of librdkafka's handshake failure ("SSL handshake failed: error:…:certificate verify failed: broker certificate could not be verified, …"). */
function rdCertificateReason(message: string): string {
  return /certificate verify failed/i.exec(message)?.[0] ?? message;
}
