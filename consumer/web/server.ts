// `vsp consumer --display web[:PORT]`: a plain node:http server for the page and its three
// static files, and a WebSocket (ws) at /ws that streams the watched camera's frames and tracks.
import { readFile } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import { UsageError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { Frame__Output } from '../../common/gen/vsp/v1/Frame.js';
import type { TrackedFrame__Output } from '../../common/gen/vsp/v1/TrackedFrame.js';
import type { JoinCounters } from '../join.js';
import { readKeyFile } from '../../common/secrets.js';
import { defaultAllowedHosts, hasToken, hostAllowed, requestUrl, sameOrigin } from './auth.js';
import { ViewerHub } from './hub.js';

const DEFAULT_PORT = 8080;

/** Port from `web` or `web:PORT` (0: any free port). */
export function parseDisplay(spec: string): { port: number } {
  const m = /^web(?::(\d{1,5}))?$/.exec(spec);
  const port = m?.[1] === undefined ? DEFAULT_PORT : Number(m[1]);
  if (!m || port > 65535) throw new UsageError(`--display: expected web or web:PORT, got '${spec}'`);
  return { port };
}

export interface WebViewerOptions {
  host: string;
  port: number;
  token?: string;
  /** HTTPS with this certificate chain and key (PEM files). */
  tls?: { certFile: string; keyFile: string };
  /** Host header values served (`name` or `name:port`); default: defaultAllowedHosts. */
  allowedHosts?: string[];
  /** WebSocket clients at once; more are refused (503). */
  maxClients?: number;
  joinCounters: () => JoinCounters;
  log: Logger;
}

export interface WebViewer {
  /** http(s)://host:port/ (without the token). */
  url: string;
  show(frame: Frame__Output, tracked: TrackedFrame__Output): void;
  close(): Promise<void>;
}

// The sources of the page sit next to this module's source; the compiled one runs from dist/.
const STATIC_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../consumer/web/static');

interface Asset {
  type: string;
  body: Buffer;
  /** Only the page needs the token: the script and styles it loads hold no camera data. */
  needsToken: boolean;
}

async function loadAssets(): Promise<Map<string, Asset>> {
  const file = (name: string) => readFile(path.join(STATIC_DIR, name));
  // The page imports the drawing style as compiled from overlay-style.ts (the annotated JPEGs
  // use the same), minus the source map comment: the map is not served.
  const style = (await readFile(fileURLToPath(new URL('./overlay-style.js', import.meta.url)), 'utf8')).replace(/^\/\/# sourceMappingURL=.*$/m, '');
  const js = 'text/javascript; charset=utf-8';
  return new Map([
    ['/', { type: 'text/html; charset=utf-8', body: await file('index.html'), needsToken: true }],
    ['/viewer.js', { type: js, body: await file('viewer.js'), needsToken: false }],
    ['/overlay-style.js', { type: js, body: Buffer.from(style), needsToken: false }],
    ['/viewer.css', { type: 'text/css; charset=utf-8', body: await file('viewer.css'), needsToken: false }],
  ]);
}

const HEADERS = {
  'Content-Security-Policy': "default-src 'self'; connect-src 'self'; img-src 'self' data:",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

/** WebSocket clients at once by default. */
export const DEFAULT_MAX_CLIENTS = 16;

const UNAUTHORIZED_PAGE = `<!doctype html><meta charset="utf-8"><title>401 Unauthorized</title>
<h1>401 Unauthorized</h1><p>This viewer needs its token: open it as <code>/?token=TOKEN</code>
(the value of <code>--web-token</code>).</p>\n`;

export async function startWebViewer(o: WebViewerOptions): Promise<WebViewer> {
  if (o.token === '') throw new UsageError('--web-token: the token is empty');
  if (o.token === undefined && !isLoopback(o.host)) {
    throw new UsageError(`--web-host ${o.host} is not a loopback address: give --web-token (or VSP_WEB_TOKEN), or anyone who can reach it sees the cameras`);
  }
  const tls = o.tls && { cert: readKeyFile('--web-tls-cert', o.tls.certFile), key: readKeyFile('--web-tls-key', o.tls.keyFile) };
  const maxClients = o.maxClients ?? DEFAULT_MAX_CLIENTS;
  const assets = await loadAssets();
  const hub = new ViewerHub(o.joinCounters);
  // Known once the port is bound (port 0: any free one).
  let allowedHosts: string[] = o.allowedHosts ?? [];

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const pathname = requestUrl(req)?.pathname;
    const asset = assets.get(pathname === '/index.html' ? '/' : pathname ?? '');
    if (!hostAllowed(req, allowedHosts)) {
      res.writeHead(403, { ...HEADERS, 'Content-Type': 'text/plain' }).end('403 Forbidden: this Host is not served (--web-allowed-hosts)\n');
    } else if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...HEADERS, Allow: 'GET, HEAD' }).end();
    } else if (!asset) {
      res.writeHead(404, { ...HEADERS, 'Content-Type': 'text/plain' }).end('not found\n');
    } else if (asset.needsToken && !hasToken(req, o.token)) {
      res.writeHead(401, { ...HEADERS, 'Content-Type': 'text/html; charset=utf-8', 'WWW-Authenticate': 'Bearer' }).end(UNAUTHORIZED_PAGE);
    } else {
      res.writeHead(200, { ...HEADERS, 'Content-Type': asset.type, 'Content-Length': asset.body.length });
      res.end(req.method === 'HEAD' ? undefined : asset.body);
    }
  };
  const server = tls ? https.createServer(tls, handle) : http.createServer(handle);

  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  server.on('upgrade', (req, socket, head) => {
    // A peer resetting mid-handshake must not crash the process; ws handles errors once upgraded.
    const onError = () => socket.destroy();
    socket.on('error', onError);
    const refusal = !hostAllowed(req, allowedHosts) ? '403 Forbidden'
      : requestUrl(req)?.pathname !== '/ws' ? '404 Not Found'
      : !hasToken(req, o.token) ? '401 Unauthorized'
      : !sameOrigin(req) ? '403 Forbidden'
      : wss.clients.size >= maxClients ? '503 Service Unavailable'
      : undefined;
    if (refusal) {
      o.log.debug({ refusal, remote: req.socket.remoteAddress }, 'WebSocket refused');
      socket.end(`HTTP/1.1 ${refusal}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    socket.off('error', onError);
    // Synchronous (no async verifyClient): wss.clients counts this client before the next upgrade.
    wss.handleUpgrade(req, socket, head, (ws) => hub.attach(ws));
  });

  await new Promise<void>((resolve, reject) => {
    const failed = (err: Error) => reject(new Error(`web viewer: cannot listen on ${o.host}:${o.port}: ${err.message}`));
    server.once('error', failed);
    server.listen(o.port, o.host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  allowedHosts = o.allowedHosts ?? defaultAllowedHosts(o.host, port);
  const url = `${tls ? 'https' : 'http'}://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}/`;
  if (!tls && !isLoopback(o.host)) {
    o.log.warn({ host: o.host }, 'web viewer over plain HTTP on a non-loopback address: the token and the cameras cross the network in clear (--web-tls-cert)');
  }

  return {
    url,
    show: (frame, tracked) => hub.show(frame, tracked),
    async close() {
      hub.close();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
