// The web viewer of `vsp consumer --display web`, fed by a real pipeline (synthetic producer →
// Kafka → broker → synthetic processor → tracks) and looked at in real headless Chromium
// (Debian's chromium, driven by playwright-core). Set VSP_VIEWER_SCREENSHOT=FILE to save what
// the browser shows (docs/viewer.png is made so).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import WebSocket from 'ws';
import { startTestKafka, type TestKafka } from '../helpers/kafka.js';
import { startBroker } from '../helpers/pipeline.js';
import { waitForTrue } from '../helpers/browser.js';
import { stopAll, vsp, vspRun } from '../helpers/processes.js';
import { BACKGROUND, sceneAt, type Rgb } from '../../common/synthetic/scene.js';
import { trackColor } from '../../consumer/web/overlay-style.js';
import { iou, type Box } from '../../common/boxes.js';

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'viewer-test-token';
const CAMERA = 'cam-web';
const SIZE = { width: 320, height: 240 };
const SEED = 3;

/** What the page shows at one instant: the canvas and the track panel, read in one go. */
interface Snapshot {
  camera: string;
  seq: number;
  width: number;
  height: number;
  rgba: number[];
  tracks: Array<{ id: number; box: number[]; text: string }>;
  fps: string;
  latency: string;
  classes: string[][];
}

// Runs in the page (a string: this project's TypeScript has no DOM types).
const SNAPSHOT = `(() => {
  const canvas = document.getElementById('frame');
  return {
    camera: canvas.dataset.camera,
    seq: Number(canvas.dataset.seq),
    width: canvas.width,
    height: canvas.height,
    rgba: Array.from(canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data),
    tracks: [...document.querySelectorAll('#tracks li')].map((li) => ({ id: Number(li.dataset.trackId), box: li.dataset.box.split(',').map(Number), text: li.textContent })),
    fps: document.getElementById('fps').textContent,
    latency: document.getElementById('latency').textContent,
    classes: [...document.querySelectorAll('#classes tbody tr')].map((tr) => [...tr.cells].map((c) => c.textContent)),
  };
})()`;


function distance(a: Rgb, b: Rgb): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

function pixel(s: Snapshot, x: number, y: number): { rgb: Rgb; alpha: number } {
  const i = (y * s.width + x) * 4;
  return { rgb: [s.rgba[i]!, s.rgba[i + 1]!, s.rgba[i + 2]!], alpha: s.rgba[i + 3]! };
}

/** Refused WebSocket: resolves with the HTTP status of the refusal (Node's ws client sees it). */
function wsStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', reject);
  });
}

describe('web viewer in headless Chromium (real pipeline)', function () {
  let kafka: TestKafka;
  let browser: BrowserContext;
  let page: Page;
  let viewer: string;
  const work = mkdtempSync(path.join(os.tmpdir(), 'vsp-web-'));

  before(async () => {
    // Fail, never skip: the viewer is only tested here.
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install -y chromium (as .ci/run does)`);
    kafka = await startTestKafka();
    const prefix = await kafka.topics(1);
    const common = ['--brokers', kafka.bootstrap, '--prefix', prefix];
    const processor = vsp(['processor', '--impl', 'synthetic', '--port', '0']);
    const address = (await processor.waitForStdout(/^127\.0\.0\.1:\d+$/)).trim();
    await startBroker([...common, '--processor', address]);
    const consumer = vsp(['consumer', ...common, '--display', 'web:0', '--web-token', TOKEN]);
    viewer = (await consumer.waitForStdout(/^http:\/\/127\.0\.0\.1:\d+\/$/)).trim();
    // A live camera for as long as the tests run.
    vsp(['producer', ...common, '--camera', CAMERA, '--source', `synthetic:${SIZE.width}x${SIZE.height}`, '--seed', String(SEED), '--fps', '10', '--state-dir', path.join(work, 'state')]);
    browser = await chromium.launchPersistentContext(mkdtempSync(path.join(os.tmpdir(), 'vsp-chromium-')), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1100, height: 560 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage();
  });

  after(async () => {
    await browser?.close();
    await stopAll();
    await kafka?.stop();
  });

  it('refuses the page and the WebSocket without the token', async () => {
    const bare = await page.goto(viewer);
    assert.equal(bare?.status(), 401);
    assert.match(await page.textContent('body') ?? '', /401 Unauthorized[\s\S]*token/);
    assert.equal((await fetch(`${viewer}?token=wrong`)).status, 401);
    assert.equal((await fetch(viewer, { headers: { Authorization: `Bearer ${TOKEN}` } })).status, 200, 'a Bearer header is a token too');

    const ws = `${viewer.replace(/^http/, 'ws')}ws`;
    assert.equal(await wsStatus(ws), 401);
    assert.equal(await wsStatus(`${ws}?token=wrong`), 401);
    assert.equal(await wsStatus(`${ws}?token=${TOKEN}`, { Origin: 'http://evil.example' }), 403, 'another site cannot use the token-less path');
    assert.equal(await wsStatus(`${ws}?token=${TOKEN}`), 101);

    // The browser, on the page it may load, cannot open the WebSocket without the token either.
    await page.goto(`${viewer}?token=${TOKEN}`);
    const outcome = await page.evaluate(`new Promise((resolve) => {
      const ws = new WebSocket(new URL('ws', location.href).href.replace(/^http/, 'ws'));
      ws.onopen = () => resolve('open');
      ws.onclose = (e) => resolve('closed ' + e.code);
    })`);
    assert.equal(outcome, 'closed 1006');
  });

  it('survives a client that breaks the protocol', async () => {
    const ws = new WebSocket(`${viewer.replace(/^http/, 'ws')}ws?token=${TOKEN}`);
    await new Promise((resolve) => ws.on('open', resolve));
    ws.on('error', () => {});
    const closed = new Promise<number>((resolve) => ws.on('close', resolve));
    ws.send('x'.repeat(100_000));
    assert.equal(await closed, 1009, 'the server closes the connection: message too big');
    assert.equal((await fetch(`${viewer}?token=${TOKEN}`)).status, 200, 'and keeps serving');
  });

  it('opens on the camera without a click, shows its frames and draws each track where the object is', async () => {
    const response = await page.goto(`${viewer}?token=${TOKEN}`);
    assert.equal(response?.status(), 200);
    await waitForTrue(page, `(() => {
      const canvas = document.getElementById('frame');
      return canvas.dataset.camera === '${CAMERA}' && Number(canvas.dataset.seq) >= 5 && document.querySelectorAll('#tracks li').length === 3;
    })()`);
    assert.equal(new URL(page.url()).hash, `#${CAMERA}`, 'the URL names the camera shown');
    assert.equal(await page.isHidden('#hint'), true, 'no waiting line over a frame');
    const s = (await page.evaluate(SNAPSHOT)) as Snapshot;
    assert.deepEqual([s.width, s.height], [SIZE.width, SIZE.height]);

    const truth = sceneAt({ ...SIZE, seed: SEED }, s.seq);
    const sceneColor = (x: number, y: number): Rgb => truth.find((o) => x >= o.x1 && x < o.x2 && y >= o.y1 && y < o.y2)?.color ?? BACKGROUND;
    assert.equal(s.tracks.length, truth.length);
    const boxes = s.tracks.map((t) => ({ ...t, x1: t.box[0]!, y1: t.box[1]!, x2: t.box[2]!, y2: t.box[3]! }));
    for (const obj of truth) {
      const t = boxes.reduce((a, b) => (iou(a, obj) >= iou(b, obj) ? a : b));
      assert.ok(iou(t, obj) >= 0.8, `seq ${s.seq}: the track drawn follows object ${obj.id} of this very frame`);
      assert.match(t.text, new RegExp(`^#${t.id} ${obj.label}\\b`), 'the panel lists the track with its class');
      // The middle of the top edge: a 3-pixel line centred on y1 covers row floor(y1) entirely.
      const [x, y] = [Math.floor((t.x1 + t.x2) / 2), Math.floor(t.y1)];
      const color = trackColor(t.id);
      assert.ok(distance(color, sceneColor(x, y)) > 60, 'test premise: the image alone is far from the track colour there');
      const { rgb, alpha } = pixel(s, x, y);
      assert.ok(distance(rgb, color) <= 4 && alpha === 255, `track ${t.id}: top edge at (${x}, ${y}) is rgb(${rgb.join(', ')}), expected rgb(${color.join(', ')})`);
    }

    // The image itself is drawn: background where no box, tag (a band above or below a box) or
    // trail (within the box's rows, a few centres behind) can be.
    const covered = (x: number, y: number, b: Box) =>
      y >= b.y1 - 22 && y <= b.y2 + 22 && (y <= b.y1 + 2 || y >= b.y2 - 2 || (x >= b.x1 - 45 && x <= b.x2 + 45));
    const clear = (x: number, y: number) => boxes.every((b) => !covered(x, y, b)) && sceneColor(x, y) === BACKGROUND;
    let spot: [number, number] | undefined;
    for (let y = 0; y < s.height && !spot; y += 4) for (let x = 0; x < s.width && !spot; x += 4) if (clear(x, y)) spot = [x, y];
    assert.ok(spot, 'test premise: some background is far from every track');
    const bg = pixel(s, ...spot);
    assert.ok(distance(bg.rgb, BACKGROUND) <= 12 && bg.alpha === 255, `background at ${spot.join(',')} is rgb(${bg.rgb.join(', ')})`);

    assert.match(s.fps, /^[1-9]\d*$/, 'frames per second shown');
    assert.match(s.latency, /^\d+ ms$/, 'end-to-end latency shown');
    for (const obj of truth) assert.deepEqual(s.classes.find((r) => r[0] === obj.label)?.slice(0, 2), [obj.label, '1'], `one ${obj.label} now`);

    if (process.env.VSP_VIEWER_SCREENSHOT) await page.screenshot({ path: process.env.VSP_VIEWER_SCREENSHOT });
  });

  it('shows the camera a link names, saying what it waits for until its first frame', async () => {
    await page.goto('about:blank');
    await page.goto(`${viewer}?token=${TOKEN}#not-yet`);
    await page.waitForSelector(`button[data-camera="${CAMERA}"]`);
    await page.waitForTimeout(1500); // frames of the other camera keep coming meanwhile
    assert.equal(await page.textContent('#hint'), 'Waiting for the first frame of not-yet…');
    assert.equal(await page.isVisible('#hint'), true);
    assert.equal(await page.getAttribute('#frame', 'data-seq'), null, 'nothing drawn');
    assert.equal(await page.textContent('#camera-title'), 'not-yet');
    assert.equal(await page.getAttribute(`button[data-camera="${CAMERA}"]`, 'aria-pressed'), 'false');

    await page.click(`button[data-camera="${CAMERA}"]`);
    await waitForTrue(page, `document.getElementById('frame').dataset.camera === '${CAMERA}'`);
    assert.equal(new URL(page.url()).hash, `#${CAMERA}`);
    assert.equal(await page.isHidden('#hint'), true);
  });
});

describe('consumer --display flags', () => {
  it('rejects a display that is not web[:PORT], naming the flag', async () => {
    for (const spec of ['webb', 'web:', 'web:70000', 'x11']) {
      const r = await vspRun(['consumer', '--display', spec]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^vsp: --display: expected web or web:PORT/);
    }
  });

  it('says so when there is neither a report nor a display', async () => {
    const r = await vspRun(['consumer']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^vsp: nothing to do: .*--display web\[:PORT\]/);
  });
});
