import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';

const run = promisify(execFile);
const DIR = fileURLToPath(new URL('../../../camera-scripts', import.meta.url));
const STAND_INS = fileURLToPath(new URL('../../../test/stand-ins', import.meta.url));

async function scripts(): Promise<string[]> {
  return (await readdir(DIR)).filter((f) => f.endsWith('.sh')).map((f) => join(DIR, f));
}

describe('camera-scripts', function () {
  this.timeout(30_000);

  it('holds the install, service, env example, check script and README', async () => {
    assert.deepEqual((await readdir(DIR)).sort(), ['README.md', 'check-camera.sh', 'install-pi.sh', 'producer.env.example', 'vsp-producer.service']);
  });

  it('passes shellcheck', async () => {
    const files = await scripts();
    try {
      await run('shellcheck', ['--severity=style', ...files]);
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stdout?: string };
      if (e.code === 'ENOENT') assert.fail('shellcheck is not installed (apt-get install shellcheck): cannot check camera-scripts');
      assert.fail(`shellcheck found problems:\n${e.stdout}`);
    }
  });

  it('has executable scripts that run unattended (set -euo pipefail)', async () => {
    for (const file of await scripts()) {
      await access(file, constants.X_OK);
      const text = await readFile(file, 'utf8');
      assert.ok(text.startsWith('#!/usr/bin/env bash\n'), file);
      assert.match(text, /^set -euo pipefail$/m, file);
    }
  });

  it('has a valid systemd unit that restarts always and takes its settings from /etc/vsp/producer.env', async () => {
    const unit = await readFile(join(DIR, 'vsp-producer.service'), 'utf8');
    assert.match(unit, /^Restart=always$/m);
    assert.match(unit, /^EnvironmentFile=\/etc\/vsp\/producer\.env$/m);
    assert.match(unit, /^User=vsp$/m);
    const execStart = /^ExecStart=(.*)$/m.exec(unit)?.[1] ?? '';
    assert.match(execStart, /^\/usr\/bin\/vsp producer --camera \$\{VSP_CAMERA_ID\} --source \$\{VSP_SOURCE\} --brokers \$\{VSP_BROKERS\}/);
    // Every variable ExecStart uses is set in the example env file.
    const example = await readFile(join(DIR, 'producer.env.example'), 'utf8');
    const defined = new Set([...example.matchAll(/^(VSP_\w+)=/gm)].map((m) => m[1]));
    for (const [, name] of execStart.matchAll(/\$\{?(\w+)\}?/g)) assert.ok(defined.has(name!), `${name} missing from producer.env.example`);

    // systemd's own check, with ExecStart pointing at a program that exists here.
    const dir = await mkdtemp(join(tmpdir(), 'vsp-unit-'));
    try {
      await writeFile(join(dir, 'vsp-producer.service'), unit.replace('ExecStart=/usr/bin/vsp', 'ExecStart=/bin/true'));
      const { stderr } = await run('systemd-analyze', ['verify', join(dir, 'vsp-producer.service')]);
      assert.equal(stderr.trim(), '', 'systemd-analyze verify has no complaints');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('runs the producer sandboxed: systemd-analyze security rates the unit OK (exposure below 2.5)', async () => {
    const unit = await readFile(join(DIR, 'vsp-producer.service'), 'utf8');
    for (const line of ['ProtectSystem=strict', 'StateDirectory=vsp', 'ProtectKernelTunables=yes', 'ProtectKernelModules=yes', 'CapabilityBoundingSet=', 'UMask=0077', 'SystemCallFilter=@system-service']) {
      assert.match(unit, new RegExp(`^${line}$`, 'm'), line);
    }
    assert.match(unit, /^RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6/m);
    const dir = await mkdtemp(join(tmpdir(), 'vsp-unit-'));
    try {
      const file = join(dir, 'vsp-producer.service');
      await writeFile(file, unit);
      const { stdout } = await run('systemd-analyze', ['security', '--offline=yes', '--no-pager', file]);
      const score = Number(/Overall exposure level for vsp-producer\.service: ([\d.]+)/.exec(stdout)?.[1]);
      assert.ok(score < 2.5, `exposure ${score}:\n${stdout}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('check-camera.sh records from the camera and prints its resolution and frame rate (rpicam-vid stand-in)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vsp-check-'));
    try {
      const out = join(dir, 'frame.jpg');
      const { stdout } = await run(join(DIR, 'check-camera.sh'), ['picamera:320x240@30', '1'], {
        env: { ...process.env, PATH: `${STAND_INS}:${process.env.PATH}`, CHECK_CAMERA_OUT: out },
      });
      assert.match(stdout, /^== cameras$/m);
      assert.match(stdout, /^camera OK: 320x240, [\d.]+ fps \(\d+ frames in 1 s\); one frame: .*frame\.jpg$/m);
      const meta = await sharp(out).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 320, 240]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('check-camera.sh names the problem when the camera cannot be used', async () => {
    await assert.rejects(
      run(join(DIR, 'check-camera.sh'), ['picamera', '1'], { env: { ...process.env, PATH: '/usr/bin:/bin' } }),
      (err: { code: number; stderr: string }) => err.code === 1 && /neither rpicam-vid nor libcamera-vid is installed/.test(err.stderr),
    );
    await assert.rejects(
      run(join(DIR, 'check-camera.sh'), ['v4l2:/dev/video99', '1']),
      (err: { stderr: string }) => /\/dev\/video99 does not exist/.test(err.stderr),
    );
    await assert.rejects(run(join(DIR, 'check-camera.sh'), ['picamera', 'soon']), (err: { stderr: string }) => /SECONDS must be/.test(err.stderr));
  });
});
