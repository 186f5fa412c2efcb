// `vsp demo` as a newcomer runs it: a real video, NanoDet, the broker and the web viewer, seen
// in real headless Chromium; Ctrl-C leaves no process behind.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';
import { freePort, stopKafka } from '../../common/kafka/local.js';
import { stopAll, vsp, type VspProcess } from '../helpers/processes.js';

const CHROMIUM = '/usr/bin/chromium';

/** A port p with p + 1 free too (the demo's Kafka controller). */
async function freePortPair(): Promise<number> {
  for (;;) {
    const p = await freePort();
    const server = await import('node:net').then((net) => net.createServer());
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(p + 1, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (ok) return p;
  }
}

function processesMentioning(text: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', text], { encoding: 'utf8' }).trim().split('\n').filter((l) => l && !l.includes('pgrep'));
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

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

  it('shows people on the sample video boxed with stable track ids, and Ctrl-C stops everything', async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install -y chromium (as .ci/run does)`);
    const work = mkdtempSync(path.join(os.tmpdir(), 'vsp-demo-'));
    const kafkaPort = await freePortPair();
    kafkaData = path.join(work, 'data', 'kafka');
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
      await page.locator('#cameras li', { hasText: 'vtest' }).click({ timeout: 120_000 });
      const people = async () => (await page.locator('#tracks li', { hasText: 'person' }).allTextContents()).map((t) => Number(/#(\d+)/.exec(t)?.[1]));
      // Wait until the tracker confirms several people.
      const deadline = Date.now() + 120_000;
      while ((await people()).length < 3) {
        assert.ok(Date.now() < deadline, 'three people tracked within two minutes');
        await page.waitForTimeout(250);
      }
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
