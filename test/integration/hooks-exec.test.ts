// The exec target running real commands (node scripts).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseRulesConfig } from '../../consumer/rules/config.js';
import type { RuleEvent } from '../../consumer/rules/engine.js';
import { execTarget, type ExecConfig } from '../../consumer/hooks/exec.js';

const event: RuleEvent = { id: 'gate:cam:1:10', rule: 'gate', type: 'line-cross', camera: 'cam', seq: 10, time: '2023-11-14T22:13:21.000Z', line: 'gate', direction: 'left-to-right' };

function target(command: string[], timeoutS = 30) {
  const c = parseRulesConfig({ targets: { x: { type: 'exec', command, timeoutS } }, rules: [{ name: 'r', on: 'new' }] }).targets.x as ExecConfig;
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
});
