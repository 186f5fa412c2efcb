// `vsp track` and `vsp eval` as real processes (bin/vsp.js), as a user runs them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { trackCommand } from '../../broker/tracker/track-command.js';
import { UsageError } from '../../common/errors.js';
import { MOT15, ROOT, assertMatchesReference, lines, readFixture } from './tracker-helpers.js';

function vsp(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/vsp.js'), ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('vsp track / vsp eval (CLI)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'vsp-track-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('vsp track writes the reference SORT output to stdout', () => {
    const r = vsp('track', '--mot', `${MOT15}/det/TUD-Campus.txt`);
    assert.equal(r.stderr, '');
    assert.equal(r.status, 0);
    assertMatchesReference(lines(r.stdout), lines(readFixture('reference/TUD-Campus.txt')), 'TUD-Campus');
  });

  it('vsp track --out writes the file, with explicit parameters', () => {
    const out = path.join(dir, 'kitti.txt');
    const r = vsp('track', '--mot', `${MOT15}/det/KITTI-17.txt`, '--max-age', '1', '--min-hits', '3', '--iou', '0.3', '--out', out);
    assert.deepEqual([r.status, r.stdout, r.stderr], [0, '', '']);
    assertMatchesReference(lines(readFileSync(out, 'utf8')), lines(readFixture('reference/KITTI-17.txt')), 'KITTI-17');
  });

  it('vsp track exits 2 naming the flag, the file and the line on bad input', () => {
    const bad = path.join(dir, 'bad.txt');
    writeFileSync(bad, '1,-1,1,2,3,4,0.5\n2,-1,1,2,x,4,0.5\n');
    const r = vsp('track', '--mot', bad);
    assert.deepEqual([r.status, r.stdout, r.stderr], [2, '', `vsp: --mot: ${bad}:2: w is not a number: 'x'\n`]);
    const missing = vsp('track', '--mot', path.join(dir, 'missing.txt'), '--iou', '0.5');
    assert.deepEqual([missing.status, missing.stderr], [2, `vsp: --mot: cannot read ${path.join(dir, 'missing.txt')}: ENOENT\n`]);
  });

  it('vsp track refuses an IoU threshold above 1 as a usage error', async () => {
    const cmd = trackCommand().exitOverride();
    await assert.rejects(cmd.parseAsync(['--mot', 'unused.txt', '--iou', '1.5'], { from: 'user' }), (err: unknown) => {
      return err instanceof UsageError && err.message === '--iou: expected a number in [0, 1], got 1.5';
    });
  });

  it('vsp eval --json prints one JSON object with the py-motmetrics values', () => {
    const r = vsp('eval', '--gt', `${MOT15}/gt/TUD-Campus.txt`, '--tracks', `${MOT15}/gt/TUD-Campus.sample-tracker.txt`, '--json');
    assert.equal(r.status, 0);
    assert.equal(r.stdout.trim().split('\n').length, 1);
    const m = JSON.parse(r.stdout) as Record<string, number>;
    assert.deepEqual([m.gt, m.mt, m.pt, m.ml, m.fp, m.fn, m.idsw, m.fm], [8, 1, 6, 1, 13, 150, 7, 7]);
    assert.ok(Math.abs((m.idf1 as number) - 0.557659) <= 1e-3);
    assert.ok(Math.abs((m.mota as number) - 0.526462) <= 1e-3);
  });
});
