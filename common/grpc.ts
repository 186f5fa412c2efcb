// The one place that makes gRPC channels and servers: credentials (plaintext today; TLS, mTLS and
// tokens plug in here) and the options both sides share.
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

/** A channel to a processor at HOST:PORT. */
export function createChannel(address: string): grpc.Client {
  return new grpc.Client(address, grpc.credentials.createInsecure(), { ...MESSAGE_LIMITS, ...CLIENT_KEEPALIVE });
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
