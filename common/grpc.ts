// The one place that makes gRPC channels and servers: credentials (plaintext by default; TLS, mTLS
// and headers such as a bearer token for clients; TLS, mTLS and a required bearer token for
// servers) and the options both sides share.
import * as grpc from '@grpc/grpc-js';
import type { Http2SecureServer, Http2Server, ServerHttp2Session } from 'node:http2';
import { sameSecret } from './secrets.js';

/** Frames can exceed gRPC's 4 MiB default. */
const GRPC_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

const MESSAGE_LIMITS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': GRPC_MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': GRPC_MAX_MESSAGE_BYTES,
};

/**
 * HTTP/2 receive window (per stream and per connection). Node's default of 64 KB makes a sender of
 * frames wait for a WINDOW_UPDATE, i.e. for the receiver's event loop, every 64 KB: with 64 frames
 * of 14 KB in flight a 50 ms processor answered in 73 ms; with 8 MiB, 59 ms (replay bench, window
 * 64, batch 8: 1,534 → 1,993 frames/s).
 */
export const RECEIVE_WINDOW_BYTES = 8 * 1024 * 1024;

/**
 * Client pings find a dead processor host (no RST: power loss, a cut cable) while calls wait.
 * Every 5 minutes at most, and only with calls in flight, which any gRPC server accepts
 * without counting it as abuse.
 */
const CLIENT_KEEPALIVE: grpc.ChannelOptions = {
  'grpc.keepalive_time_ms': 300_000,
  'grpc.keepalive_timeout_ms': 20_000,
  'grpc.keepalive_permit_without_calls': 0,
};

/** How a client channel is secured; all optional (none: plaintext, no headers). */
export interface ChannelSecurity {
  /** TLS to the server; `ca` (PEM) replaces the system roots, `cert` + `key` (PEM) add a client certificate (mTLS). */
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer; serverName?: string };
  /** Metadata sent with every call, e.g. { authorization: 'Bearer TOKEN' }. */
  headers?: Readonly<Record<string, string>>;
}

/**
 * A channel to a server at HOST:PORT (a processor, an inference server); `extra`: channel options
 * of this client (e.g. reconnect backoff) over the shared ones.
 */
export function createChannel(address: string, security: ChannelSecurity = {}, extra: grpc.ChannelOptions = {}): grpc.Client {
  const { tls, headers } = security;
  if (tls && Boolean(tls.cert) !== Boolean(tls.key)) throw new Error('a TLS client certificate needs both cert and key');
  const credentials = tls ? grpc.credentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null) : grpc.credentials.createInsecure();
  const options: grpc.ClientOptions = { ...MESSAGE_LIMITS, ...CLIENT_KEEPALIVE, 'grpc-node.flow_control_window': RECEIVE_WINDOW_BYTES, ...extra };
  if (tls?.serverName) options['grpc.ssl_target_name_override'] = tls.serverName;
  // An interceptor rather than call credentials: these work over plaintext too (a sidecar that
  // terminates TLS, a trusted network).
  if (headers && Object.keys(headers).length > 0) options.interceptors = [headerInterceptor(headers)];
  return new grpc.Client(address, credentials, options);
}

function headerInterceptor(headers: Readonly<Record<string, string>>): grpc.Interceptor {
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        for (const [name, value] of Object.entries(headers)) metadata.set(name, value);
        next(metadata, listener);
      },
    });
}

/** How a server is secured; all optional (none: plaintext, every call accepted). */
export interface ServerSecurity {
  /** TLS with this certificate chain and key (PEM); with `clientCa`, clients must present a certificate it signed (mTLS). */
  tls?: { cert: Buffer; key: Buffer; clientCa?: Buffer };
  /** Every call (health checks too) must carry `authorization: Bearer <token>`; others are answered UNAUTHENTICATED. */
  token?: string;
  /** Told of each call refused for its token (a metric). */
  onUnauthenticated?: () => void;
}

export function createServer(security: ServerSecurity = {}): grpc.Server {
  const { token, onUnauthenticated } = security;
  return new grpc.Server({ ...MESSAGE_LIMITS, interceptors: token === undefined ? [] : [bearerTokenInterceptor(token, onUnauthenticated)] });
}

/** Refuses, before any handler runs, a call without `authorization: Bearer <token>`. */
function bearerTokenInterceptor(token: string, onUnauthenticated?: () => void): grpc.ServerInterceptor {
  return (_method, call) =>
    new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, mdNext) {
            const given = /^Bearer\s+(.+)$/i.exec(String(metadata.get('authorization')[0] ?? ''))?.[1];
            if (given !== undefined && sameSecret(given, token)) return mdNext(metadata);
            onUnauthenticated?.();
            call.sendStatus({ code: grpc.status.UNAUTHENTICATED, details: given === undefined ? 'missing bearer token' : 'wrong bearer token' });
          },
        });
      },
    });
}

/** Binds a server to HOST:PORT (port 0: any free one) with `security.tls`; resolves to the port bound. */
export function bindServer(server: grpc.Server, host: string, port: number, security: ServerSecurity = {}): Promise<number> {
  const { tls } = security;
  const credentials = tls
    ? grpc.ServerCredentials.createSsl(tls.clientCa ?? null, [{ cert_chain: tls.cert, private_key: tls.key }], tls.clientCa !== undefined)
    : grpc.ServerCredentials.createInsecure();
  return new Promise<number>((resolve, reject) => server.bindAsync(`${host}:${port}`, credentials, (err, bound) => (err ? reject(err) : resolve(bound)))).then((bound) => {
    widenReceiveWindow(server);
    return bound;
  });
}

/**
 * grpc-js reads `grpc-node.flow_control_window` on clients only (grpc/grpc-node#3058, open), so a
 * server's receive window stays at 64 KB: set it on the HTTP/2 servers it listens with.
 */
const widened = new WeakSet<Http2Server | Http2SecureServer>();

function widenReceiveWindow(server: grpc.Server): void {
  const http2Servers = (server as unknown as { http2Servers?: Map<Http2Server | Http2SecureServer, unknown> }).http2Servers;
  if (!(http2Servers instanceof Map)) throw new Error('grpc-js no longer keeps its HTTP/2 servers in http2Servers: update widenReceiveWindow');
  for (const http2Server of http2Servers.keys()) {
    if (widened.has(http2Server)) continue; // bound before
    widened.add(http2Server);
    http2Server.updateSettings({ initialWindowSize: RECEIVE_WINDOW_BYTES });
    http2Server.on('session', (session: ServerHttp2Session) => session.setLocalWindowSize(RECEIVE_WINDOW_BYTES));
  }
}

/** `code name: details`, e.g. "UNAVAILABLE: No connection established". */
export function describeGrpcError(err: unknown): string {
  const e = err as Partial<grpc.ServiceError>;
  // grpc-js ends connection errors with an empty "Resolution note: ".
  if (typeof e.code === 'number') return `${grpc.status[e.code] ?? e.code}: ${(e.details || e.message || '').replace(/\.? Resolution note: ?$/, '')}`;
  return (err as Error).message ?? String(err);
}
