// What vsp needs from the machine: the one-line hint, the Java version, and which ffmpeg runs
// (PATH first, else the one npm installed, adapted to its options).
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeMissing, javaVersion, locateFfmpeg, type Ffmpeg, type Missing } from '../../common/requirements.js';
import { sourceTools } from '../../producer/sources/index.js';

/** A folder holding only an executable `ffmpeg` shell script with this body. */
function fakeFfmpeg(body: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vsp-fake-ffmpeg-'));
  const file = path.join(dir, 'ffmpeg');
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return dir;
}

function found(f: Ffmpeg | Missing): Ffmpeg {
  assert.ok('command' in f, `an ffmpeg is found, not: ${JSON.stringify(f)}`);
  return f;
}

describe('requirements', () => {
  const empty = mkdtempSync(path.join(os.tmpdir(), 'vsp-empty-path-'));

  it('names everything missing in one line, with the apt and Homebrew packages', () => {
    assert.equal(
      describeMissing([{ what: 'ffmpeg (video files)', apt: 'ffmpeg', brew: 'ffmpeg' }, { what: 'java 17+', apt: 'default-jdk-headless', brew: 'openjdk' }]),
      'missing ffmpeg (video files), java 17+; install: sudo apt-get install ffmpeg default-jdk-headless (macOS: brew install ffmpeg openjdk)',
    );
    assert.equal(describeMissing([{ what: 'rpicam-vid', apt: 'rpicam-apps' }]), 'missing rpicam-vid; install: sudo apt-get install rpicam-apps');
  });

  it('knows the programs each kind of source runs', () => {
    for (const spec of ['file:a.mp4', 'v4l2:/dev/video0', 'rtsp://cam/s', 'http://cam/m.mjpg', 'https://cam/m.mjpg']) assert.deepEqual(sourceTools(spec), ['ffmpeg'], spec);
    assert.deepEqual(sourceTools('picamera:640x480@30'), ['rpicam-vid']);
    for (const spec of ['synthetic', 'images:dir', 'mot:a.txt']) assert.deepEqual(sourceTools(spec), [], spec);
  });

  it('reads the Java feature version from java -version', () => {
    assert.equal(javaVersion('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment'), 17);
    assert.equal(javaVersion('openjdk version "21" 2023-09-19'), 21);
    assert.equal(javaVersion('java version "1.8.0_381"'), 8);
    assert.equal(javaVersion('The operation couldn’t be completed. Unable to locate a Java Runtime.'), undefined);
  });

  it('runs the ffmpeg on PATH when there is one, with the arguments as written', async () => {
    const dir = fakeFfmpeg('exit 0');
    const f = found(await locateFfmpeg({ PATH: dir }));
    assert.equal(f.origin, 'PATH');
    assert.equal(f.command, path.join(dir, 'ffmpeg'));
    assert.deepEqual(f.args(['-i', 'x', '-fps_mode', 'passthrough']), ['-i', 'x', '-fps_mode', 'passthrough']);
  });

  it('gives an ffmpeg older than 5.1 -vsync for -fps_mode', async () => {
    const dir = fakeFfmpeg(`echo "Unrecognized option 'fps_mode'." >&2\nexit 1`);
    const f = found(await locateFfmpeg({ PATH: dir }));
    assert.deepEqual(f.args(['-i', 'x', '-fps_mode', 'passthrough']), ['-i', 'x', '-vsync', 'passthrough']);
  });

  it('without ffmpeg on PATH, runs the one npm installed once it has decoded the sample video', async () => {
    const f = found(await locateFfmpeg({ PATH: empty }));
    assert.equal(f.origin, 'npm');
    assert.match(f.command, /node_modules\/@ffmpeg-installer\/.+\/ffmpeg$/);
  });

  it('says ffmpeg is missing when there is none on PATH and not the one from npm', async () => {
    const m = await locateFfmpeg({ PATH: empty, VSP_NPM_FFMPEG: '0' });
    assert.deepEqual(m, { what: 'ffmpeg (video files, cameras and streams)', apt: 'ffmpeg', brew: 'ffmpeg' });
  });

  it('runs VSP_FFMPEG when set, and says so when it cannot', async () => {
    const dir = fakeFfmpeg('exit 0');
    assert.equal(found(await locateFfmpeg({ PATH: empty, VSP_FFMPEG: path.join(dir, 'ffmpeg') })).origin, 'VSP_FFMPEG');
    const m = await locateFfmpeg({ PATH: dir, VSP_FFMPEG: path.join(empty, 'ffmpeg') });
    assert.ok(!('command' in m));
    assert.match(m.what, /^ffmpeg \(VSP_FFMPEG=.*\/ffmpeg: cannot run it: .*ENOENT/);
  });
});
