// Connecting an rdkafka producer or consumer as kafkajs does: a refused login, a refused
// certificate or a TLS listener answering a plaintext client fails at once; an unreachable Kafka
// fails after the client's retries (0: at once, for probes). The KafkaJS-style connect() of the
// package waits for its first metadata request, up to 30 s, whatever went wrong meanwhile. Until
// connected nothing polls the native client, so its error events wait too (and arrive without
// their error code); what librdkafka says at once is its log: each failed connection attempt is a
// FAIL line, which is turned here into the error it stands for (librdkafka's error code, and the
// line as message).
import { rdkafkaErrorKind } from '../errors.js';
import type { NativeClient, NativeError, NativeLog } from './load.js';

/** librdkafka's codes for the failures its FAIL log lines report. */
const FAILURES: [RegExp, number][] = [
  [/SASL authentication error|Authentication failed/i, -169], // ERR__AUTHENTICATION
  [/SSL handshake failed|SSL .*error/i, -181], // ERR__SSL
  [/brokers are down/i, -187], // ERR__ALL_BROKERS_DOWN
  [/Connect to .* failed|Disconnected|Failed to resolve|Connection refused|Receive failed|Send failed|timed out/i, -195], // ERR__TRANSPORT
];

/**
 * A TLS listener hangs up on a plaintext client's first request (ApiVersion); librdkafka then
 * logs (info) "Disconnected: connection closed by peer … in state APIVERSION_QUERY". A broker
 * going down can do that once; twice in a row means a TLS listener.
 */
const CLOSED_AT_HELLO = /Disconnected.*in state APIVERSION_QUERY/;
const TLS_EXPECTED_AFTER = 2;

/** The error a log line reports, if it reports one. `closedAtHello` counts the hang-ups above (plaintext clients only). */
export function failureOfLog(log: NativeLog, closedAtHello?: { count: number }): NativeError | undefined {
  const message = log.message.replace(/^\[thrd:[^\]]*\]: /, '');
  if (closedAtHello && CLOSED_AT_HELLO.test(message) && ++closedAtHello.count >= TLS_EXPECTED_AFTER) {
    // The words errors.ts (and older librdkafka) use for it.
    return { code: -195, message: `${message} (connecting to a SSL listener?)`, origin: 'local' };
  }
  if (log.severity > 3) return undefined;
  const code = FAILURES.find(([re]) => re.test(message))?.[1];
  return code === undefined ? undefined : { code, message, origin: 'local' };
}

/** How long an unreachable Kafka is retried before connect fails, by ClientOptions.retries. */
export function unreachableGraceMs(retries: number | undefined): number {
  // kafkajs's 5 retries back off 0.1 + 0.2 + … + 1.6 s; a connection attempt takes its own time.
  return retries === 0 ? 0 : Math.max(1, retries ?? 5) * 1000;
}

/** librdkafka's names of the codes failureOfLog gives. */
const CODE_NAMES: Record<number, [name: string, type: string]> = {
  [-169]: ['KafkaJSSASLAuthenticationError', 'ERR__AUTHENTICATION'],
  [-181]: ['KafkaJSError', 'ERR__SSL'],
  [-187]: ['KafkaJSNoBrokerAvailableError', 'ERR__ALL_BROKERS_DOWN'],
  [-195]: ['KafkaJSConnectionError', 'ERR__TRANSPORT'],
};

/** An error shaped as the package's KafkaJS-style ones (name, message, code, type), as errors.ts reads them. */
export function kafkaJsError(e: NativeError): Error {
  const [name, type] = CODE_NAMES[e.code] ?? ['KafkaJSError', 'ERR_UNKNOWN'];
  return Object.assign(new Error(e.message), { name, code: e.code, type, retriable: false, fatal: false });
}

/**
 * Runs `connect` (a KafkaJS-style connect()), watching the native client it creates: resolves
 * when connect does; rejects at once on a security failure, and after graceMs of Kafka being
 * unreachable (with the error that says why). A client that connects after that is abandoned.
 */
export interface ConnectWatch {
  /** How long an unreachable Kafka is retried (unreachableGraceMs). */
  graceMs: number;
  /** The client speaks plaintext: a TLS listener's hang-ups are recognised. */
  plaintext: boolean;
}

export function connectWatched(connect: () => Promise<void>, native: () => NativeClient | null, o: ConnectWatch, abandon: () => Promise<void>): Promise<void> {
  const { graceMs } = o;
  const closedAtHello = o.plaintext ? { count: 0 } : undefined;
  const started = connect();
  const client = native();
  if (!client) return started;
  let settled = false;
  askMetadataInSteps(client, () => settled);
  return new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let unreachable: NativeError | undefined;
    const settle = (err?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.removeListener('event.log', onLog);
      if (err === undefined) resolve();
      else reject(err);
    };
    const onLog = (log: NativeLog) => {
      const e = failureOfLog(log, closedAtHello);
      if (e) onError(e);
    };
    const onError = (e: NativeError) => {
      const kind = rdkafkaErrorKind(e);
      if (kind === 'security') settle(kafkaJsError(e));
      else if (kind === 'unavailable') {
        // Keep the most telling reason: a refused connection says more than "all brokers down".
        if (!unreachable || e.code !== ALL_BROKERS_DOWN) unreachable = e;
        timer ??= setTimeout(() => settle(kafkaJsError(unreachable!)), graceMs);
      }
    };
    client.on('event.log', onLog);
    started.then(
      () => {
        // Connected after all, but too late: the caller has its error; let the client go.
        if (settled) void abandon().catch(() => {});
        settle();
      },
      (err: unknown) => settle(err),
    );
  });
}

const ALL_BROKERS_DOWN = -187;

/** How long connect's metadata request may wait in all (the package's own default). */
const METADATA_TIMEOUT_MS = 30_000;
/** How long one native metadata call may block a thread of libuv's pool. */
const METADATA_STEP_MS = 1_000;

/**
 * The native connect ends with one metadata request that blocks a thread of libuv's pool until
 * Kafka answers or 30 s pass; a process that exits meanwhile (a CLI reporting the failure) waits
 * for it. This asks in 1 s steps instead, and stops asking once the caller has given up.
 * Replaces getMetadata on this one client, for its first call (the connect's) only.
 */
function askMetadataInSteps(client: NativeClient, givenUp: () => boolean): void {
  const original = client.getMetadata;
  if (typeof original !== 'function') return;
  client.getMetadata = (options, callback) => {
    delete (client as Partial<NativeClient>).getMetadata;
    const deadline = Date.now() + (typeof options?.timeout === 'number' ? options.timeout : METADATA_TIMEOUT_MS);
    const attempt = () => {
      const began = Date.now();
      original.call(client, { ...options, timeout: Math.max(1, Math.min(METADATA_STEP_MS, deadline - began)) }, (err, metadata) => {
        if (!err || givenUp() || Date.now() >= deadline) callback(err, metadata);
        else setTimeout(attempt, Math.max(0, 100 - (Date.now() - began)));
      });
    };
    attempt();
  };
}
