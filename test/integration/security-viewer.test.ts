// The web viewer secured by configuration (docs/security.md): HTTPS with a token in real headless
// Chromium, the Host allow-list against DNS rebinding (Chromium resolving a foreign name to the
// viewer), the cap on WebSocket clients, no token in the logs, and no token-less start on a
// non-loopback address. The viewer is the real server, started in this process (no Kafka needed).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { chromium, type BrowserContext } from 'playwright-core';
import WebSocket from 'ws';
import { startWebViewer, type WebViewer } from '../../consumer/web/server.js';
import { waitForTrue } from '../helpers/browser.js';
import { createTestCa } from '../helpers/certs.js';
import { vspRun } from '../helpers/processes.js';

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'viewer-secret-7f3a';
const counters = () => ({ joined: 0, framesWithoutTracks: 0, tracksWithoutFrames: 0, duplicateFrames: 0, duplicateTracks: 0 });

/** Status of a plain HTTP GET with this Host header (what a rebound name sends). */
function getStatus(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

/** Opens a WebSocket; resolves with it once open, or with the HTTP status of the refusal. */
function openWs(url: string, options: WebSocket.ClientOptions = {}): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.on('open', () => resolve(ws));
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', reject);
  });
}

describe('web viewer security (HTTPS, Host allow-list, client cap; headless Chromium)', function () {
  const work = mkdtempSync(path.join(os.tmpdir(), 'vsp-security-viewer-'));
  let logged = '';
  const log = pino({ level: 'debug' }, new Writable({ write: (chunk, _enc, done) => ((logged += String(chunk)), done()) }));
  let browser: BrowserContext;
  const viewers: WebViewer[] = [];

  before(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install -y chromium (as .ci/run does)`);
    browser = await chromium.launchPersistentContext(mkdtempSync(path.join(work, 'chromium-')), {
      executablePath: CHROMIUM,
      headless: true,
      ignoreHTTPSErrors: true,
      // DNS rebinding, simulated: a foreign name that resolves to the viewer's address.
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--host-resolver-rules=MAP rebind.example 127.0.0.1'],
    });
  });
  after(async () => {
    await browser?.close();
    await Promise.all(viewers.map((v) => v.close()));
    rmSync(work, { recursive: true, force: true });
  });

  async function start(o: Partial<Parameters<typeof startWebViewer>[0]> = {}): Promise<WebViewer> {
    const viewer = await startWebViewer({ host: '127.0.0.1', port: 0, token: TOKEN, joinCounters: counters, log, ...o });
    viewers.push(viewer);
    return viewer;
  }

  it('serves the page over HTTPS with the token, the WebSocket over wss:, and refuses without the token', async () => {
    const ca = createTestCa(work);
    const cert = ca.issue('viewer', 'server');
    const viewer = await start({ tls: { certFile: cert.cert, keyFile: cert.key } });
    assert.match(viewer.url, /^https:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await browser.newPage();
    assert.equal((await page.goto(viewer.url))?.status(), 401);
    assert.equal((await page.goto(`${viewer.url}?token=${TOKEN}`))?.status(), 200);
    await waitForTrue(page, `document.getElementById('connection').textContent === 'live'`);
    assert.equal(await page.evaluate('location.protocol'), 'https:');
    await page.close();
  });

  it('refuses a foreign Host (DNS rebinding) with 403, for the page and the WebSocket', async () => {
    const viewer = await start();
    const port = new URL(viewer.url).port;
    assert.equal(await getStatus(`${viewer.url}?token=${TOKEN}`, `localhost:${port}`), 200, 'localhost is a default host');
    assert.equal(await getStatus(`${viewer.url}?token=${TOKEN}`, `evil.example:${port}`), 403);
    assert.equal(await openWs(`ws://127.0.0.1:${port}/ws?token=${TOKEN}`, { headers: { host: `evil.example:${port}` } }), 403);

    const page = await browser.newPage();
    const rebound = await page.goto(`http://rebind.example:${port}/?token=${TOKEN}`);
    assert.equal(rebound?.status(), 403);
    assert.match(await page.textContent('body') ?? '', /Host is not served/);
    await page.close();

    const allowing = await start({ allowedHosts: ['rebind.example'] });
    const allowed = await browser.newPage();
    assert.equal((await allowed.goto(`http://rebind.example:${new URL(allowing.url).port}/?token=${TOKEN}`))?.status(), 200, '--web-allowed-hosts names it');
    await allowed.close();
  });

  it('caps the WebSocket clients (503 beyond --web-max-clients)', async () => {
    const viewer = await start({ maxClients: 2 });
    const ws = `${viewer.url.replace(/^http/, 'ws')}ws?token=${TOKEN}`;
    const first = await openWs(ws);
    const second = await openWs(ws);
    assert.ok(first instanceof WebSocket && second instanceof WebSocket);
    assert.equal(await openWs(ws), 503);
    first.close();
    await new Promise((r) => first.on('close', r));
    await new Promise((r) => setTimeout(r, 100));
    const third = await openWs(ws);
    assert.ok(third instanceof WebSocket, 'a place freed is taken again');
    second.close();
    third.close();
  });

  it('never writes the token to its log', async () => {
    const viewer = await start();
    await openWs(`${viewer.url.replace(/^http/, 'ws')}ws?token=wrong-${TOKEN}`);
    await openWs(`${viewer.url.replace(/^http/, 'ws')}ws?token=${TOKEN}`, { origin: 'http://evil.example' });
    await fetch(`${viewer.url}?token=${TOKEN}`);
    await new Promise((r) => setTimeout(r, 100));
    assert.match(logged, /WebSocket refused/, 'the refusals were logged');
    assert.ok(!logged.includes(TOKEN), 'no token in the log');
    assert.ok(!viewer.url.includes(TOKEN), 'nor in the URL printed');
  });

  it('will not start on a non-loopback address without a token', async () => {
    const run = await vspRun(['consumer', '--brokers', '127.0.0.1:9', '--display', 'web:0', '--web-host', '0.0.0.0']);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /^vsp: --web-host 0\.0\.0\.0 is not a loopback address: give --web-token/m);
  });
});
