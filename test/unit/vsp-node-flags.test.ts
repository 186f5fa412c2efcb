// The node flags and environment of vsp processes (VSP_NODE_FLAGS, VSP_NODE_ENV): the processes the
// demo and the tests start, and `vsp` run through bin/vsp.js's #! line (the PATH link, the systemd
// units), carry them.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../../common/kafka/local.js';
import { REPO, spawnVsp, VSP_NODE_ENV, VSP_NODE_FLAGS } from '../../common/vsp-process.js';

const BIN = path.join(REPO, 'bin/vsp.js');
const DETS = path.join(REPO, 'test/fixtures/mot15/det');

const processorArgs = async () => ['processor', '--impl', 'replay', '--mot-dets', DETS, '--port', String(await freePort())];

/** A processor's command line and environment as the kernel has them, once it serves; then stops it. */
async function startedWith(child: ChildProcess): Promise<{ cmdline: string[]; environ: string[] }> {
  try {
    let out = '';
    for await (const chunk of child.stdout!) {
      out += String(chunk);
      if (/^127\.0\.0\.1:\d+$/m.test(out)) break;
    }
    assert.equal(child.exitCode, null, `the processor exited: ${out}`);
    const read = (what: string) => readFileSync(`/proc/${child.pid}/${what}`, 'utf8').split('\0').filter(Boolean);
    return { cmdline: read('cmdline'), environ: read('environ') };
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  }
}

describe('vsp node flags', () => {
  it('are on the #! line of bin/vsp.js, which runs', async () => {
    const env = Object.entries(VSP_NODE_ENV).map(([k, v]) => `${k}=${v}`);
    assert.equal(readFileSync(BIN, 'utf8').split('\n')[0], `#!/usr/bin/env -S ${env.join(' ')} node ${VSP_NODE_FLAGS.join(' ')}`);
    const version = spawn(BIN, ['--version'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    version.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const [code] = await once(version, 'exit');
    assert.equal(code, 0);
    assert.match(out.trim(), /^\d+\.\d+\.\d+$/);
  });

  it('reach node, before bin/vsp.js, from spawnVsp and from the #! line', async () => {
    // Started from an environment without them (spawnVsp lets a caller's own value win).
    const [first, second] = [await processorArgs(), await processorArgs()];
    const saved = { ...process.env };
    for (const k of Object.keys(VSP_NODE_ENV)) delete process.env[k];
    let started: ChildProcess[];
    try {
      started = [spawnVsp(first).child, spawn(BIN, second, { stdio: ['ignore', 'pipe', 'ignore'] })];
    } finally {
      Object.assign(process.env, saved);
    }
    for (const child of started) {
      const { cmdline, environ } = await startedWith(child);
      const script = cmdline.indexOf(BIN);
      assert.ok(script > 0, `bin/vsp.js in ${cmdline.join(' ')}`);
      assert.deepEqual(cmdline.slice(script - VSP_NODE_FLAGS.length, script), VSP_NODE_FLAGS, cmdline.join(' '));
      for (const [k, v] of Object.entries(VSP_NODE_ENV)) assert.ok(environ.includes(`${k}=${v}`), `${k}=${v} in the environment of ${cmdline.join(' ')}`);
    }
  });
});
