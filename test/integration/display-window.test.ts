// `vsp consumer --display window` on a real pipeline (synthetic producer → Kafka → broker →
// synthetic processor → tracks), its OpenCV window on a virtual X display (Xvfb), read back from
// a screenshot of that display (ImageMagick's import) and quit with a real `q` key (xdotool).
// Fails, never skips, without them: .ci/run installs xvfb, imagemagick, xdotool, libopencv-dev.
// Set VSP_WINDOW_SCREENSHOT=FILE to keep the screenshot.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import type { TrackedFrame__Output } from '../../common/gen/vsp/v1/TrackedFrame.js';
import { trackColor, type Rgb } from '../../consumer/web/overlay-style.js';
import { startTestKafka, type TestKafka } from '../helpers/kafka.js';
import { startBroker } from '../helpers/pipeline.js';
import { stopAll, vsp, vspRun } from '../helpers/processes.js';

const run = promisify(execFile);
const CAMERA = 'cam-win';
const SIZE = { width: 480, height: 360 };
const FRAMES = 60;

interface Screen {
  width: number;
  data: Buffer;
}

function pixel(s: Screen, x: number, y: number): Rgb {
  const i = (Math.round(y) * s.width + Math.round(x)) * 3;
  return [s.data[i]!, s.data[i + 1]!, s.data[i + 2]!];
}

const distance = (a: Rgb, b: Rgb) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

/** Starts Xvfb on a display number it picks itself (-displayfd), so parallel runs never clash. */
async function startXvfb(): Promise<{ proc: ChildProcess; display: string }> {
  const proc = spawn('Xvfb', ['-displayfd', '1', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const display = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(`:${out.trim()}`);
    });
    proc.on('error', reject);
    proc.on('exit', (code) => reject(new Error(`Xvfb exited (${code})`)));
  });
  return { proc, display };
}

describe('consumer --display window (OpenCV highgui on Xvfb, real pipeline)', function () {
  this.timeout(240_000);
  let kafka: TestKafka;
  let xvfb: { proc: ChildProcess; display: string } | undefined;
  const work = mkdtempSync(path.join(os.tmpdir(), 'vsp-window-'));

  before(async () => {
    for (const tool of ['Xvfb', 'import', 'xdotool']) {
      const found = await run('sh', ['-c', `command -v ${tool}`]).then(() => true, () => false);
      if (!found) throw new Error(`${tool} not found: apt-get install -y xvfb imagemagick xdotool (as .ci/run does)`);
    }
    xvfb = await startXvfb();
    kafka = await startTestKafka();
  });

  after(async () => {
    await stopAll();
    await kafka?.stop();
    xvfb?.proc.kill();
  });

  it('refuses to start without a display, in one line', async () => {
    const r = await vspRun(['consumer', '--display', 'window'], { DISPLAY: '', WAYLAND_DISPLAY: '', QT_QPA_PLATFORM: '' });
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'vsp: --display window needs a desktop: DISPLAY is not set (use --display web, or run under Xvfb)\n');
  });

  it('shows the last frame with each track boxed in its colour, trails and the overlay; q quits', async () => {
    const display = xvfb!.display;
    const prefix = await kafka.topics(1);
    const common = ['--brokers', kafka.bootstrap, '--prefix', prefix];
    const processor = vsp(['processor', '--impl', 'synthetic', '--port', '0']);
    const address = (await processor.waitForStdout(/^127\.0\.0\.1:\d+$/)).trim();
    await startBroker([...common, '--processor', address]);
    const report = path.join(work, 'tracks.jsonl');
    const consumer = vsp(['consumer', ...common, '--display', 'window', '--from', 'earliest', '--report', `jsonl:${report}`], { DISPLAY: display, VSP_LOG_LEVEL: 'info' });
    const produced = await vspRun(['producer', ...common, '--camera', CAMERA, '--source', `synthetic:${SIZE.width}x${SIZE.height}`, '--seed', '5', '--frames', String(FRAMES), '--state-dir', path.join(work, 'state')]);
    assert.equal(produced.code, 0, produced.stderr);

    // The consumer has had every frame once the report holds the last one.
    const tracked = async (): Promise<TrackedFrame__Output[]> => {
      for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
        const lines = existsSync(report) ? readFileSync(report, 'utf8').trim().split('\n').filter(Boolean) : [];
        const frames = lines.map((l) => JSON.parse(l) as TrackedFrame__Output);
        if (frames.at(-1)?.seq === FRAMES) return frames;
      }
      throw new Error(`the consumer did not get frame ${FRAMES}: ${consumer.stderr().slice(-2000)}`);
    };
    const frames = await tracked();
    const last = frames.at(-1)!;
    assert.ok(last.tracks.length >= 2, `tracks on the last frame: ${JSON.stringify(last.tracks)}`);

    // The window holds the picture only (no toolbar). Without a window manager Qt may place it off
    // screen, so it is moved into view the way a desktop would show it, then captured by itself.
    const env = { ...process.env, DISPLAY: display };
    const { stdout: ids } = await run('xdotool', ['search', '--sync', '--name', `^vsp ${CAMERA}$`], { env });
    const id = ids.trim().split('\n')[0]!;
    await run('xdotool', ['windowmove', '--sync', id, '0', '0'], { env });
    const shot = path.join(work, 'window.png');
    const check = async (): Promise<void> => {
      await run('import', ['-display', display, '-window', id, `png:${shot}`]);
      const { data, info } = await sharp(shot).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const screen = { width: info.width, data };
      for (const t of last.tracks) {
        const color = trackColor(t.trackId);
        // The middle of each edge of the box.
        const edges = [[t.x1, (t.y1 + t.y2) / 2], [t.x2, (t.y1 + t.y2) / 2], [(t.x1 + t.x2) / 2, t.y2]] as const;
        for (const [x, y] of edges) assert.ok(distance(pixel(screen, x, y), color) < 10, `track ${t.trackId} box edge at ${x},${y}: ${pixel(screen, x, y)} is not ${color}`);
        // Its trail: where the object stood a few frames before, in the same colour.
        const before = frames.find((f) => f.seq === last.seq - 6)?.tracks.find((b) => b.trackId === t.trackId);
        if (before) {
          const [x, y] = [(before.x1 + before.x2) / 2, before.y2];
          assert.ok(distance(pixel(screen, x, y), color) < 60, `track ${t.trackId} trail at ${x},${y}: ${pixel(screen, x, y)} is not ${color}`);
        }
      }
      // The overlay (camera, fps, latency): white text on a near-black box in the top-left corner.
      const corner = Array.from({ length: 30 * 120 }, (_, i) => pixel(screen, 2 + (i % 120), 2 + Math.floor(i / 120)));
      assert.ok(corner.filter((p) => distance(p, [24, 24, 24]) < 4).length > corner.length / 2, 'overlay background');
      assert.ok(corner.some((p) => distance(p, [255, 255, 255]) < 30), 'overlay text');
    };
    // The last frame stays on screen: poll until it has been painted.
    let failure: unknown;
    for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 300))) {
      failure = await check().then(() => undefined, (err: unknown) => err);
      if (!failure) break;
    }
    if (process.env.VSP_WINDOW_SCREENSHOT) copyFileSync(shot, process.env.VSP_WINDOW_SCREENSHOT);
    if (failure) throw new Error(`${(failure as Error).message}\nconsumer log: ${consumer.stderr().slice(-3000)}`);

    // `q` typed into the window (XTEST: the pointer's window has the focus) ends the consumer.
    await run('xdotool', ['mousemove', '--window', id, '20', '20', 'key', 'q'], { env });
    const code = await Promise.race([consumer.exited, new Promise((r) => setTimeout(r, 15_000, 'still running'))]);
    assert.equal(code, 0, consumer.stderr().slice(-2000));
    assert.match(consumer.stderr(), /q pressed in the window: quitting/);
  });
});
