// Bad input on the command line fails fast, non-zero, with one line that names the problem.
import assert from 'node:assert/strict';
import { vspRun } from '../helpers/processes.js';

/**
 * The lines a person would read: stderr without structured (JSON) log records and without
 * commander's "(Did you mean …?)" hint.
 */
function plainLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{') && !/^\(Did you mean .*\?\)$/.test(l));
}

async function expectFailure(args: string[], message: RegExp): Promise<void> {
  const r = await vspRun(args);
  assert.notEqual(r.code, 0, `vsp ${args.join(' ')} should fail`);
  const lines = plainLines(r.stderr);
  assert.equal(lines.length, 1, `one line expected, got:\n${r.stderr}`);
  assert.match(lines[0]!, message);
}

describe('CLI errors', () => {
  it('rejects an unknown flag', () => expectFailure(['broker', '--processor', '127.0.0.1:1', '--windw', '4'], /unknown option '--windw'/));

  it('rejects a missing required flag', () => expectFailure(['producer', '--source', 'synthetic'], /--camera/));

  it('rejects a bad flag value, naming the flag', () => expectFailure(['broker', '--processor', '127.0.0.1:1', '--window', '0'], /--window.*positive integer/));

  it('rejects an unknown command', () => expectFailure(['procesor'], /unknown command 'procesor'/));

  it('rejects an unknown source kind', () => expectFailure(['producer', '--camera', 'c', '--source', 'webcam:0'], /unknown source "webcam:0"/));

  it('rejects a bad processor address', () => expectFailure(['broker', '--processor', 'localhost'], /--processor: 'localhost' is not HOST:PORT/));

  for (const args of [
    ['producer', '--camera', 'c', '--source', 'synthetic', '--frames', '1'],
    ['broker', '--processor', '127.0.0.1:1'],
    ['consumer', '--report', 'jsonl:/dev/null'],
    ['topics', 'create'],
  ]) {
    it(`${args[0]} reports an unreachable Kafka`, () =>
      expectFailure([...args, '--brokers', '127.0.0.1:9'], /^vsp: cannot reach Kafka at 127\.0\.0\.1:9: .*ECONNREFUSED/));
  }

  it('prints help for every command', async () => {
    for (const cmd of ['producer', 'processor', 'broker', 'consumer', 'topics', 'kafka']) {
      const r = await vspRun([cmd, '--help']);
      assert.equal(r.code, 0);
      assert.match(r.stdout, new RegExp(`Usage: vsp ${cmd}`));
    }
  });
});
