// Real receivers for hook tests: an HTTP server on 127.0.0.1 that records what it is sent, and a
// Mosquitto broker (Debian's /usr/sbin/mosquitto) on a free port. Both are always stopped by
// their stop().
import { spawn } from 'node:child_process';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { canConnect, freePort } from '../../common/kafka/local.js';

export interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Whether X-Signature is the HMAC-SHA256 of the body under the receiver's secret. */
  signed: boolean;
}

export interface HttpReceiver {
  url: string;
  received: Received[];
  /** Status codes to answer, in order; 200 once used up. */
  statuses: number[];
  /** Resolves once `n` requests have arrived. */
  waitFor(n: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startHttpReceiver(secret?: string): Promise<HttpReceiver> {
  const received: Received[] = [];
  const waiters: Array<() => void> = [];
  const r: Partial<HttpReceiver> = { received, statuses: [] };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      received.push({ headers: req.headers, body: body.toString('utf8'), signed: secret !== undefined && verify(secret, body, req.headers['x-signature']) });
      res.statusCode = r.statuses!.shift() ?? 200;
      res.end();
      waiters.splice(0).forEach((w) => w());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(r, {
    url: `http://127.0.0.1:${port}/hook`,
    waitFor: async (n: number) => {
      while (received.length < n) await new Promise<void>((resolve) => waiters.push(resolve));
    },
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  }) as HttpReceiver;
}

/** How a receiver checks `X-Signature: sha256=<hex>`: constant-time, on the raw body bytes. */
function verify(secret: string, body: Buffer, header: string | string[] | undefined): boolean {
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  const got = Buffer.from(header.slice('sha256='.length), 'hex');
  return got.length === expected.length && timingSafeEqual(got, expected);
}

export interface Mosquitto {
  url: string;
  stop(): Promise<void>;
}

const MOSQUITTO = '/usr/sbin/mosquitto';

export async function startMosquitto(): Promise<Mosquitto> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vsp-mosquitto-'));
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  const child = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; !(await canConnect('127.0.0.1', port, 200)); i++) {
    if (child.exitCode !== null || i > 100) {
      await stop();
      throw new Error(`mosquitto did not start on port ${port}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `mqtt://127.0.0.1:${port}`, stop };
}
