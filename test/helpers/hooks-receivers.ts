// Real receivers for hook tests: an HTTP server on 127.0.0.1 that records what it is sent, and a
// Mosquitto broker (Debian's /usr/sbin/mosquitto) on a free port. Both are always stopped by
// their stop().
import { execFileSync, spawn } from 'node:child_process';
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
  /** Whether X-Signature is the HMAC-SHA256 of "<X-Signature-Timestamp>.<body>" under the receiver's secret, and the timestamp is recent. */
  signed: boolean;
}

export interface ReceiverOptions {
  /** Oldest X-Signature-Timestamp accepted, in seconds before now (default 300). */
  maxAgeS?: number;
  /** The receiver's clock, in ms (default Date.now). */
  now?: () => number;
  /** Answer 401 to a request that is not signed as above (default: record it and answer as usual). */
  rejectUnsigned?: boolean;
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

export async function startHttpReceiver(secret?: string, o: ReceiverOptions = {}): Promise<HttpReceiver> {
  const received: Received[] = [];
  const waiters: Array<() => void> = [];
  const r: Partial<HttpReceiver> = { received, statuses: [] };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const signed = secret !== undefined && verify(secret, body, req.headers, (o.now ?? Date.now)() / 1000, o.maxAgeS ?? 300);
      received.push({ headers: req.headers, body: body.toString('utf8'), signed });
      res.statusCode = o.rejectUnsigned && !signed ? 401 : r.statuses!.shift() ?? 200;
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

/**
 * How a receiver checks a delivery (docs/rules.md): `X-Signature: sha256=<hex>` is the HMAC of
 * `<X-Signature-Timestamp>.<raw body bytes>`, compared in constant time, and the timestamp is at
 * most `maxAgeS` old (nor from the future), so a captured request cannot be replayed later.
 */
function verify(secret: string, body: Buffer, headers: http.IncomingHttpHeaders, nowS: number, maxAgeS: number): boolean {
  const [header, stamp] = [headers['x-signature'], headers['x-signature-timestamp']];
  if (typeof header !== 'string' || !header.startsWith('sha256=') || typeof stamp !== 'string' || !/^\d+$/.test(stamp)) return false;
  if (Math.abs(nowS - Number(stamp)) > maxAgeS) return false;
  const expected = createHmac('sha256', secret).update(`${stamp}.`).update(body).digest();
  const got = Buffer.from(header.slice('sha256='.length), 'hex');
  return got.length === expected.length && timingSafeEqual(got, expected);
}

export interface Mosquitto {
  url: string;
  /** With `tls`: mqtts://127.0.0.1:PORT, a listener that requires a client certificate signed by `tls.ca` and a user of `tls.users`. */
  tlsUrl?: string;
  stop(): Promise<void>;
}

export interface MosquittoTls {
  /** CA (PEM file) that signs client certificates; the server's own certificate and key. */
  ca: string;
  cert: string;
  key: string;
  /** user name → password on the TLS listener (none: anonymous there too). */
  users?: Record<string, string>;
}

const MOSQUITTO = '/usr/sbin/mosquitto';

export async function startMosquitto(tls?: MosquittoTls): Promise<Mosquitto> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vsp-mosquitto-'));
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  // Run as root (a container), mosquitto would switch to the user `mosquitto`, who cannot read this
  // test's private files: it stays who it is.
  let text = `user ${os.userInfo().username}\nper_listener_settings true\npersistence false\nlistener ${port} 127.0.0.1\nallow_anonymous true\n`;
  const tlsPort = tls ? await freePort() : undefined;
  if (tls) {
    text += `listener ${tlsPort} 127.0.0.1\ncafile ${tls.ca}\ncertfile ${tls.cert}\nkeyfile ${tls.key}\nrequire_certificate true\n`;
    const users = Object.entries(tls.users ?? {});
    text += `allow_anonymous ${users.length === 0}\n`;
    if (users.length > 0) {
      const passwd = path.join(dir, 'passwd');
      writeFileSync(passwd, '', { mode: 0o600 });
      for (const [user, password] of users) execFileSync('mosquitto_passwd', ['-b', passwd, user, password]);
      text += `password_file ${passwd}\n`;
    }
  }
  writeFileSync(conf, text);
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
  for (let i = 0; tlsPort !== undefined && !(await canConnect('127.0.0.1', tlsPort, 200)); i++) {
    if (child.exitCode !== null || i > 100) {
      await stop();
      throw new Error(`mosquitto did not listen on TLS port ${tlsPort}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `mqtt://127.0.0.1:${port}`, tlsUrl: tlsPort === undefined ? undefined : `mqtts://127.0.0.1:${tlsPort}`, stop };
}
