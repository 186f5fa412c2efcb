// `vsp demo` as a newcomer runs it: a real video, NanoDet, the broker and the web viewer, seen
// in real headless Chromium, showing the camera without a click; Ctrl-C leaves no process
// behind. Before that, what a new user meets first: `npm ci` without warnings from the
// project's configuration, a missing program named with how to install it, and a component
// that fails failing the demo.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { chromium } from 'playwright-core';
import { freePortPair, stopKafka } from '../../common/kafka/local.js';
import { findOnPath } from '../../common/requirements.js';
import { REPO, stopAll, vsp, vspRun, type VspProcess } from '../helpers/processes.js';

const CHROMIUM = '/usr/bin/chromium';

function processesMentioning(text: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', text], { encoding: 'utf8' }).trim().split('\n').filter((l) => l && !l.includes('pgrep'));
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/** The environment of a shell outside npm: no npm_* settings or NODE_OPTIONS an outer npm run passed on. */
function plainEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== 'NODE_OPTIONS' && k !== 'ONNXRUNTIME_NODE_INSTALL'));
}

describe('npm ci on a fresh clone', () => {
  it("prints no npm warnings from the project's configuration, and skips onnxruntime's CUDA download", () => {
    // What npm reads of the project: the configuration is warned about as npm loads it, before
    // anything is installed, so a dry run (offline, from the lockfile) shows every such warning.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vsp-npm-ci-'));
    for (const file of ['package.json', 'package-lock.json', '.npmrc']) copyFileSync(path.join(REPO, file), path.join(dir, file));
    const npm = (...args: string[]) => spawnSync('npm', args, { cwd: dir, env: plainEnv(), encoding: 'utf8' });
    const ci = npm('ci', '--dry-run', '--ignore-scripts', '--offline');
    assert.equal(ci.status, 0, ci.stderr);
    assert.deepEqual(`${ci.stdout}\n${ci.stderr}`.split('\n').filter((l) => /^npm warn/i.test(l)), []);
    // onnxruntime-node's install script, run by npm, is told to skip its CUDA download (false).
    const utils = path.join(REPO, 'node_modules/onnxruntime-node/script/install-utils.js');
    const script = npm('exec', '-c', `node -p 'require(${JSON.stringify(utils)}).parseInstallFlag()'`);
    assert.equal(script.stdout.trim(), 'false', script.stderr);
  });
});

describe('vsp demo', function () {
  let demo: VspProcess | undefined;
  let kafkaData: string | undefined;
  after(async () => {
    // On failure, stop the demo as a user would (so it stops its components and Kafka), then
    // make sure nothing is left.
    if (demo && demo.child.exitCode === null) {
      const timer = setTimeout(() => demo?.child.kill('SIGKILL'), 30_000);
      await demo.stop('SIGINT');
      clearTimeout(timer);
    }
    await stopAll();
    if (kafkaData) await stopKafka(kafkaData);
  });

  it('without ffmpeg, says so in one line with how to install it, and starts nothing', async () => {
    // A machine with the JDK and Maven but no ffmpeg, and none from npm (npm ci --omit=optional).
    const bin = mkdtempSync(path.join(os.tmpdir(), 'vsp-path-'));
    for (const tool of ['java', 'mvn']) {
      const found = await findOnPath([tool]);
      if (found) symlinkSync(found, path.join(bin, tool));
    }
    const work = mkdtempSync(path.join(os.tmpdir(), 'vsp-demo-'));
    const r = await vspRun(['demo', '--kafka-port', String(await freePortPair()), '--data', path.join(work, 'data'), '--out', path.join(work, 'out')], { PATH: bin, VSP_NPM_FFMPEG: '0' });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr, 'vsp: missing ffmpeg (video files, cameras and streams); install: sudo apt-get install ffmpeg (macOS: brew install ffmpeg)\n');
    assert.equal(r.stdout, '', 'nothing was started');
    assert.ok(!existsSync(path.join(work, 'data')));
  });

  it('fails, naming the component, when one of them fails', async () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'vsp-demo-'));
    const kafkaPort = await freePortPair();
    kafkaData = path.join(work, 'data', 'kafka');
    const missing = path.join(work, 'nope.avi');
    const r = await vspRun(['demo', '--source', `file:${missing}`, '--no-loop', '--impl', 'synthetic', '--kafka-port', String(kafkaPort), '--web-port', '0',
      '--data', path.join(work, 'data'), '--out', path.join(work, 'out')]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /^vsp: demo: the producer exited with code 1: vsp: file:.*nope\.avi: ffmpeg could not read it: .*No such file or directory\n$/);
    assert.match(r.stdout, /all stopped\.\n$/);
    assert.deepEqual(processesMentioning(`127.0.0.1:${kafkaPort}`), [], 'no component left running');
  });

  it('shows people on the sample video boxed with stable track ids, and Ctrl-C stops everything', async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install -y chromium (as .ci/run does)`);
    const work = mkdtempSync(path.join(os.tmpdir(), 'vsp-demo-'));
    const kafkaPort = await freePortPair();
    kafkaData = path.join(work, 'data', 'kafka');
    const startedAt = Date.now();
    demo = vsp(['demo', '--kafka-port', String(kafkaPort), '--web-port', '0', '--data', path.join(work, 'data'), '--out', path.join(work, 'out')]);
    const url = (await demo.waitForStdout(/^watch it live: http/, 600_000)).replace('watch it live: ', '').trim();

    const browser = await chromium.launchPersistentContext(mkdtempSync(path.join(os.tmpdir(), 'vsp-chromium-')), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 720 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(url);
      // No click: the viewer opens on the only camera, and the URL names it.
      const people = async () => (await page.locator('#tracks li', { hasText: 'person' }).allTextContents()).map((t) => Number(/#(\d+)/.exec(t)?.[1]));
      await page.locator('#tracks li', { hasText: 'person' }).first().waitFor({ timeout: 120_000 });
      const boxesAfterS = (Date.now() - startedAt) / 1000;
      if (!/fetching Apache Kafka/.test(demo.stdout())) assert.ok(boxesAfterS <= 60, `boxes in the viewer ${boxesAfterS.toFixed(1)} s after the demo started`);
      // Wait until the tracker confirms several people.
      const deadline = Date.now() + 120_000;
      while ((await people()).length < 3) {
        assert.ok(Date.now() < deadline, 'three people tracked within two minutes');
        await page.waitForTimeout(250);
      }
      assert.equal(new URL(page.url()).hash, '#vtest');
      const first = new Set(await people());
      const seqBefore = Number(await page.textContent('#seq'));
      await page.waitForTimeout(2000);
      const later = await people();
      assert.ok(later.some((id) => first.has(id)), `a person keeps their track id for 2 s (${[...first]} → ${later})`);
      const seqAfter = Number(await page.textContent('#seq'));
      assert.ok(seqAfter > seqBefore, `frames are flowing (seq ${seqBefore} → ${seqAfter})`);
      if (process.env.VSP_DEMO_SCREENSHOT) await page.screenshot({ path: process.env.VSP_DEMO_SCREENSHOT });
    } finally {
      await browser.close();
    }

    const pidFile = path.join(work, 'data', 'kafka', 'kafka.pid');
    const kafkaPid = Number(readFileSync(pidFile, 'utf8'));
    assert.equal(await demo.stop('SIGINT'), 0, demo.stderr());
    assert.match(demo.stdout(), /all stopped\./);
    assert.deepEqual(processesMentioning(`127.0.0.1:${kafkaPort}`), [], 'no component left running');
    assert.throws(() => process.kill(kafkaPid, 0), 'the Kafka JVM is gone');
    assert.ok(!existsSync(pidFile));
  });
});
