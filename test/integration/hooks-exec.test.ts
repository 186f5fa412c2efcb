// The exec target running real commands (node scripts).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseRulesConfig } from '../../consumer/rules/config.js';
import type { RuleEvent } from '../../consumer/rules/engine.js';
import { execTarget, type ExecConfig } from '../../consumer/hooks/exec.js';

const event: RuleEvent = { id: 'gate:cam:1:10', rule: 'gate', type: 'line-cross', camera: 'cam', seq: 10, time: '2023-11-14T22:13:21.000Z', line: 'gate', direction: 'left-to-right' };

function target(command: string[], timeoutS = 30, env?: string[]) {
  const c = parseRulesConfig({ targets: { x: { type: 'exec', command, timeoutS, ...(env && { env }) } }, rules: [{ name: 'r', on: 'new' }] }).targets.x as ExecConfig;
  return execTarget('x', c);
}

const node = (script: string, ...args: string[]) => [process.execPath, '-e', script, ...args];

describe('exec hook (real commands)', () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'vsp-exec-'));
  const signal = new AbortController().signal;

  it('runs the command with the event as JSON on stdin, and arguments as given', async () => {
    const out = path.join(work, 'event.json');
    await target(node("require('fs').writeFileSync(process.argv[1], require('fs').readFileSync(0))", out)).send(event, signal);
    assert.equal(readFileSync(out, 'utf8'), `${JSON.stringify(event)}\n`);
  });

  it('a non-zero exit fails with the last line of stderr', async () => {
    await assert.rejects(target(node("console.error('warming up'); console.error('no route to pager'); process.exit(3)")).send(event, signal), (err: Error) => {
      assert.match(err.message, / exited with code 3: no route to pager$/);
      return true;
    });
  });

  it('a command that does not read its input still succeeds', async () => {
    await target(node('process.exit(0)')).send(event, signal);
  });

  it('kills a command that runs past its timeout', async () => {
    await assert.rejects(target(node('setInterval(() => {}, 1000)'), 0.3).send(event, signal), / timed out after 0\.3 s$/);
  });

  it('says when the program does not exist', async () => {
    await assert.rejects(target([path.join(work, 'no-such-program')]).send(event, signal), /no-such-program: spawn .* ENOENT/);
  });

  it('passes only an allow-listed environment: no secret of the consumer reaches the command', async () => {
    const out = path.join(work, 'env.json');
    process.env.VSP_TEST_SECRET = 'hunter2';
    process.env.VSP_TEST_PASSED = 'ok';
    try {
      await target(node("require('fs').writeFileSync(process.argv[1], JSON.stringify(process.env))", out), 30, ['VSP_TEST_PASSED']).send(event, signal);
    } finally {
      delete process.env.VSP_TEST_SECRET;
      delete process.env.VSP_TEST_PASSED;
    }
    const env = JSON.parse(readFileSync(out, 'utf8')) as Record<string, string>;
    assert.equal(env.VSP_TEST_SECRET, undefined);
    assert.equal(env.VSP_TEST_PASSED, 'ok');
    assert.equal(env.PATH, process.env.PATH);
    assert.deepEqual(Object.keys(env).filter((k) => !['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'VSP_TEST_PASSED'].includes(k)), []);
  });

  it('the timeout kills what the command started too (its process group)', async () => {
    const pidFile = path.join(work, 'grandchild.pid');
    // The command starts a long-running grandchild, records its pid, and waits.
    const script = `const c = require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      require('fs').writeFileSync(process.argv[1], String(c.pid)); setInterval(() => {}, 1000);`;
    await assert.rejects(target(node(script, pidFile), 0.5).send(event, signal), /timed out/);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await new Promise((r) => setTimeout(r, 200));
    // Gone, or a zombie waiting for a parent that reaps (PID 1 in a container may not).
    const state = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] : 'gone';
    assert.ok(state === 'gone' || state === 'Z', `the grandchild still runs (state ${state})`);
  });
});
