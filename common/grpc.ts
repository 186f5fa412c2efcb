// The one place that makes gRPC channels and servers: credentials (plaintext by default; TLS, mTLS
// and headers such as a bearer token for clients) and the options both sides share.
import * as grpc from '@grpc/grpc-js';

/** Frames can exceed gRPC's 4 MiB default. */
const GRPC_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

const MESSAGE_LIMITS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': GRPC_MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': GRPC_MAX_MESSAGE_BYTES,
};

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
  const options: grpc.ClientOptions = { ...MESSAGE_LIMITS, ...CLIENT_KEEPALIVE, ...extra };
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

export function createServer(): grpc.Server {
  return new grpc.Server(MESSAGE_LIMITS);
}

/** Binds a server to HOST:PORT (port 0: any free one); resolves to the port bound. */
export function bindServer(server: grpc.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
  );
}
