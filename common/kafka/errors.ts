// One classification of the Kafka client's errors, whatever library raised them: retriable
// (Kafka is away or electing leaders: wait it out) or fatal (a record over the size limit, a
// fenced producer, bad configuration). The client wraps a refused connection in several layers
// of non-retriable errors once its own retries run out, so the whole cause chain is looked at.
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

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  retriable?: unknown;
  cause?: unknown;
  originalError?: unknown;
  /** Node's error code (kafkajs copies the socket's onto its connection errors). */
  code?: unknown;
  /** kafkajs protocol errors: Kafka's error name, e.g. TOPIC_AUTHORIZATION_FAILED. */
  type?: unknown;
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
  for (const { name, retriable } of causes(err)) {
    if (typeof name === 'string' && UNAVAILABLE.has(name)) return true;
    // Leader elections and the like while a broker comes back.
    if (name === 'KafkaJSProtocolError' && retriable === true) return true;
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
  const inner = (e.originalError ?? e.cause) as ErrorLike | undefined;
  const detail = String(inner?.message ?? e.message ?? err);
  const unreachable = e.name === 'KafkaJSNumberOfRetriesExceeded' || UNAVAILABLE.has(String(e.name)) || UNREACHABLE.test(detail);
  if (!unreachable) return new KafkaError(detail, err);
  // A listener that wants SASL (or TLS) closes a connection that does not speak it.
  const closed = [...causes(err)].some((c) => c.name === 'KafkaJSConnectionClosedError');
  const hint = closed && !connection.sasl ? '; if the listener requires SASL or TLS, set security.protocol and sasl.* in --kafka-config (docs/security.md)' : '';
  return new KafkaError(`cannot reach Kafka at ${at}: ${detail}${hint}`, err);
}

function securityMessage(kind: SecurityFailure, e: ErrorLike, at: string, c: KafkaConnection): string {
  const message = String(e.message).replace(/^Connection error: /, '');
  const user = c.sasl ? (c.sasl.mechanism === 'oauthbearer' ? c.sasl.clientId : c.sasl.username) : undefined;
  switch (kind) {
    case 'authentication':
      return `authentication failed: Kafka at ${at} refused user '${user ?? '?'}' (${message}); check sasl.username and sasl.password in --kafka-config`;
    case 'authorization':
      return `not authorized: Kafka at ${at} refused ${user === undefined ? 'this client' : `User:${user}`} ${String(e.type)} (${message}); its ACLs do not allow this (docs/security.md)`;
    case 'tls-expected':
      return `Kafka at ${at} answered in TLS: set security.protocol=SSL or SASL_SSL (and its ssl.*, sasl.*) in --kafka-config (docs/security.md)`;
    case 'certificate':
      return `TLS: the certificate of Kafka at ${at} is refused (${message}); ${CERTIFICATE_REFUSED[String(e.code)]}`;
  }
}
