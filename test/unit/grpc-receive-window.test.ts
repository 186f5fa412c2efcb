// A gRPC server made by common/grpc.ts lets a client send 8 MiB before any WINDOW_UPDATE (per
// stream and per connection), not Node's 64 KB: a broker's frames do not wait on the
// processor's event loop every 64 KB. Checked on the wire with a plain HTTP/2 client.
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { once } from 'node:events';
import { bindServer, createServer, RECEIVE_WINDOW_BYTES } from '../../common/grpc.js';

describe('gRPC server receive window', () => {
  it('advertises RECEIVE_WINDOW_BYTES per stream and opens the connection window to it', async () => {
    const server = createServer();
    const port = await bindServer(server, '127.0.0.1', 0);
    const session = http2.connect(`http://127.0.0.1:${port}`);
    try {
      await once(session, 'remoteSettings');
      assert.equal(session.remoteSettings.initialWindowSize, RECEIVE_WINDOW_BYTES);
      // The connection window comes as a WINDOW_UPDATE right after the settings.
      const deadline = Date.now() + 2000;
      while (session.state.remoteWindowSize !== RECEIVE_WINDOW_BYTES && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.equal(session.state.remoteWindowSize, RECEIVE_WINDOW_BYTES);
    } finally {
      await new Promise<void>((resolve) => session.close(resolve));
      server.forceShutdown();
    }
  });

  it('widens every address of a server bound twice', async () => {
    const server = createServer();
    const ports = [await bindServer(server, '127.0.0.1', 0), await bindServer(server, '127.0.0.1', 0)];
    try {
      for (const port of ports) {
        const session = http2.connect(`http://127.0.0.1:${port}`);
        await once(session, 'remoteSettings');
        assert.equal(session.remoteSettings.initialWindowSize, RECEIVE_WINDOW_BYTES);
        await new Promise<void>((resolve) => session.close(resolve));
      }
    } finally {
      server.forceShutdown();
    }
  });
});
