// The cameras file of `vsp producer --config`: good configs resolve to one settings object per
// camera (defaults, overrides, folders, relative paths); every kind of mistake is one UsageError
// naming the file and the field.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../common/errors.js';
import { CAMERA_DEFAULTS } from '../../producer/cameras.js';
import { loadCamerasConfig, parseCamerasConfig } from '../../producer/cameras-config.js';

describe('producer cameras config', () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'vsp-cameras-config-'));
  const from = { name: 'cameras.yaml', baseDir: work };
  after(() => rmSync(work, { recursive: true, force: true }));

  async function rejects(raw: unknown, message: string | RegExp): Promise<void> {
    await assert.rejects(parseCamerasConfig(raw, from), (err: unknown) => {
      assert.ok(err instanceof UsageError, `a UsageError, got ${String(err)}`);
      if (typeof message === 'string') assert.equal(err.message, message);
      else assert.match(err.message, message);
      assert.ok(!err.message.includes('\n'), 'one line');
      return true;
    });
  }

  const cam = (id: string, more: object = {}) => ({ id, source: 'synthetic:160x120', ...more });

  it('applies the defaults, then each camera its own settings', async () => {
    const cameras = await parseCamerasConfig(
      {
        defaults: { fps: 15, width: 640, bufferMb: 8, prefix: 'site-a', sendImage: 'every:5' },
        cameras: [
          cam('plain'),
          cam('own', { fps: 5, width: 320, height: 200, bufferMb: 2, prefix: 'site-b', sendImage: 'never', frames: 100, seed: 7, realtime: true }),
          { id: 'gate-1', source: 'rtsp://user:pw@10.0.0.5/stream1', fps: 0 },
        ],
      },
      from,
    );
    assert.deepEqual(cameras, [
      { id: 'plain', source: 'synthetic:160x120', prefix: 'site-a', fps: 15, realtime: false, loop: false, seed: 1, bufferMb: 8, width: 640, sendImage: { every: 5 } },
      { id: 'own', source: 'synthetic:160x120', prefix: 'site-b', fps: 5, frames: 100, realtime: true, loop: false, seed: 7, bufferMb: 2, width: 320, height: 200, sendImage: { every: 0 } },
      { id: 'gate-1', source: 'rtsp://user:pw@10.0.0.5/stream1', prefix: 'site-a', fps: 0, realtime: false, loop: false, seed: 1, bufferMb: 8, width: 640, sendImage: { every: 5 } },
    ]);
  });

  it('without defaults, every camera gets the built-in ones (those of the vsp producer flags)', async () => {
    const [c] = await parseCamerasConfig({ cameras: [cam('a')] }, from);
    assert.deepEqual(c, { id: 'a', source: 'synthetic:160x120', ...CAMERA_DEFAULTS });
  });

  it('applies a default only where it applies: fps not to files, loop not to live cameras', async () => {
    const cameras = await parseCamerasConfig(
      { defaults: { fps: 12, loop: true }, cameras: [{ id: 'f', source: 'file:/v/a.mp4' }, { id: 'r', source: 'rtsp://h/s' }, { id: 'i', source: 'images:/v/frames' }] },
      from,
    );
    assert.deepEqual(cameras.map((c) => [c.id, c.fps, c.loop]), [['f', undefined, true], ['r', 12, false], ['i', 12, true]]);
  });

  it('resolves file:, images: and mot: paths against the config file, and names a mot: camera after its file', async () => {
    const cameras = await parseCamerasConfig(
      { cameras: [{ id: 'f', source: 'file:videos/a.mp4' }, { id: 'abs', source: 'file:/data/b.mp4' }, { id: 'i', source: 'images:stills' }, { source: 'mot:det/TUD-Campus.txt' }, { id: 'v', source: 'v4l2:/dev/video0' }] },
      from,
    );
    assert.deepEqual(cameras.map((c) => [c.id, c.source]), [
      ['f', `file:${path.join(work, 'videos/a.mp4')}`],
      ['abs', 'file:/data/b.mp4'],
      ['i', `images:${path.join(work, 'stills')}`],
      ['TUD-Campus', `mot:${path.join(work, 'det/TUD-Campus.txt')}`],
      ['v', 'v4l2:/dev/video0'],
    ]);
  });

  it('reads YAML from a file, paths relative to that file; a numeric id is text', async () => {
    const dir = path.join(work, 'site');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'cams.yaml');
    writeFileSync(file, ['defaults:', '  realtime: true', 'cameras:', '  - id: 7', '    source: file:clips/seven.mp4', '  - { id: synth, source: "synthetic:320x240", fps: 5 }', ''].join('\n'));
    const cameras = await loadCamerasConfig(file);
    assert.deepEqual(cameras.map((c) => [c.id, c.source, c.realtime, c.fps]), [
      ['7', `file:${path.join(dir, 'clips/seven.mp4')}`, true, undefined],
      ['synth', 'synthetic:320x240', true, 5],
    ]);
  });

  it('expands folder: to one camera per video file, named after it, in natural order', async () => {
    const dir = path.join(work, 'videos');
    mkdirSync(path.join(dir, 'sub.mp4'), { recursive: true }); // a folder, not a video
    for (const name of ['cam10.mp4', 'cam2.MKV', 'notes.txt', 'cam1.avi']) writeFileSync(path.join(dir, name), '');
    const cameras = await parseCamerasConfig({ defaults: { width: 320 }, cameras: [{ folder: 'videos', realtime: true, idPrefix: 'lot-a.' }, cam('other')] }, from);
    assert.deepEqual(cameras.map((c) => [c.id, c.source, c.realtime, c.width]), [
      ['lot-a.cam1', `file:${path.join(dir, 'cam1.avi')}`, true, 320],
      ['lot-a.cam2', `file:${path.join(dir, 'cam2.MKV')}`, true, 320],
      ['lot-a.cam10', `file:${path.join(dir, 'cam10.mp4')}`, true, 320],
      ['other', 'synthetic:160x120', false, 320],
    ]);
  });

  it('loads docs/cameras.example.yaml', async () => {
    const example = fileURLToPath(new URL('../../../docs/cameras.example.yaml', import.meta.url));
    const cameras = await loadCamerasConfig(example);
    assert.deepEqual(cameras.map((c) => c.id), ['gate-1', 'gate-2', 'lobby', 'yard', 'replay', 'archive.vtest']);
    assert.deepEqual(cameras.map((c) => c.fps), [10, 5, 10, 15, undefined, undefined]);
    assert.equal(cameras[4]!.source, `file:${path.resolve(path.dirname(example), '../samples/vtest.avi')}`);
  });

  describe('errors name the field', () => {
    it('not a mapping, no cameras, an empty list', async () => {
      await rejects(null, 'cameras.yaml: (top level): expected a mapping with a cameras: list');
      await rejects({}, 'cameras.yaml: cameras: expected a list of cameras');
      await rejects({ cameras: [] }, 'cameras.yaml: cameras: expected at least one camera');
      await rejects({ cameras: ['rtsp://h/s'] }, 'cameras.yaml: cameras[0]: expected a mapping with id and source (or folder)');
    });

    it('a bad value, in a camera or in the defaults', async () => {
      await rejects({ cameras: [cam('a'), cam('b'), cam('c', { fps: -1 })] }, 'cameras.yaml: cameras[2].fps: expected a number ≥ 0 (0: no rate)');
      await rejects({ cameras: [cam('a', { fps: 'fast' })] }, 'cameras.yaml: cameras[0].fps: expected a number ≥ 0 (0: no rate)');
      await rejects({ cameras: [cam('a', { frames: 1.5 })] }, 'cameras.yaml: cameras[0].frames: expected a positive integer');
      await rejects({ cameras: [cam('a', { bufferMb: 0 })] }, 'cameras.yaml: cameras[0].bufferMb: expected a positive integer');
      await rejects({ cameras: [cam('a', { loop: 'yes' })] }, 'cameras.yaml: cameras[0].loop: expected true or false');
      await rejects({ cameras: [cam('a', { sendImage: 'sometimes' })] }, 'cameras.yaml: cameras[0].sendImage: expected always, never or every:N (N ≥ 1)');
      await rejects({ cameras: [cam('a', { prefix: 'a b' })] }, "cameras.yaml: cameras[0].prefix: expected a topic prefix of letters, digits, '.', '_' or '-'");
      await rejects({ defaults: { width: '640' }, cameras: [cam('a')] }, 'cameras.yaml: defaults.width: expected a positive integer');
      await rejects({ defaults: [], cameras: [cam('a')] }, 'cameras.yaml: defaults: expected a mapping of camera settings');
    });

    it('an unknown field (a typo)', async () => {
      await rejects({ cameras: [cam('a'), cam('b', { fsp: 10 })] }, 'cameras.yaml: cameras[1].fsp: unknown field');
      await rejects({ defaults: { source: 'synthetic' }, cameras: [cam('a')] }, 'cameras.yaml: defaults.source: unknown field');
      await rejects({ camera: [cam('a')], cameras: [cam('b')] }, 'cameras.yaml: camera: unknown field');
    });

    it('a missing or malformed camera id', async () => {
      await rejects({ cameras: [{ source: 'rtsp://h/s' }] }, 'cameras.yaml: cameras[0].id: required');
      await rejects({ cameras: [cam('a'), cam('front door')] }, 'cameras.yaml: cameras[1].id: camera id "front door" is not 1-128 of A-Z a-z 0-9 . _ : -');
      await rejects({ cameras: [cam('')] }, /^cameras\.yaml: cameras\[0\]\.id: camera id "" is not/);
      await rejects({ cameras: [cam('x'.repeat(129))] }, /^cameras\.yaml: cameras\[0\]\.id: camera id "x{64}"… \(129 characters\) is not/);
    });

    it('a duplicate camera id', async () => {
      await rejects({ cameras: [cam('a'), cam('b'), cam('a')] }, 'cameras.yaml: cameras[2].id: camera id "a" is already cameras[0]');
      await rejects({ cameras: [{ source: 'mot:x/c.txt' }, cam('c')] }, 'cameras.yaml: cameras[1].id: camera id "c" is already cameras[0]');
    });

    it('no source, both a source and a folder, a bad source spec', async () => {
      await rejects({ cameras: [{ id: 'a' }] }, 'cameras.yaml: cameras[0].source: required (or folder: DIR for one camera per video file)');
      await rejects({ cameras: [{ id: 'a', source: 'file:x.mp4', folder: 'v' }] }, 'cameras.yaml: cameras[0].folder: a camera has a source or a folder, not both');
      await rejects({ cameras: [cam('a'), { id: 'b', source: 'webcam:0' }] }, /^cameras\.yaml: cameras\[1\]\.source: unknown source "webcam:0" \(expected picamera/);
      await rejects({ cameras: [{ id: 'a', source: 'picamera:big' }] }, 'cameras.yaml: cameras[0].source: picamera:big: bad capture mode "big" (expected WxH or WxH@FPS, e.g. 1280x720@30)');
      await rejects({ cameras: [{ id: 'a', source: 'rtsp:nowhere' }] }, 'cameras.yaml: cameras[0].source: rtsp:nowhere: not a valid URL');
      await rejects({ cameras: [{ id: 'a', source: 7 }] }, /^cameras\.yaml: cameras\[0\]\.source: expected a source spec/);
    });

    it("a setting that cannot apply to the camera's source", async () => {
      await rejects({ cameras: [{ id: 'a', source: 'file:x.mp4', fps: 10 }] }, "cameras.yaml: cameras[0].fps: does not apply to file: sources (they run at the file's own rate; realtime: true paces them)");
      await rejects({ cameras: [{ id: 'a', source: 'rtsp://h/s', loop: true }] }, 'cameras.yaml: cameras[0].loop: applies to file: and images: sources, not rtsp');
    });

    it('folder: missing, without videos, with a file name that is no camera id, clashing, or with an id', async () => {
      await rejects({ cameras: [{ folder: 'no-such-dir' }] }, `cameras.yaml: cameras[0].folder: cannot read folder ${path.join(work, 'no-such-dir')}: ENOENT`);
      mkdirSync(path.join(work, 'empty'), { recursive: true });
      writeFileSync(path.join(work, 'empty', 'readme.txt'), '');
      await rejects({ cameras: [{ folder: 'empty' }] }, /^cameras\.yaml: cameras\[0\]\.folder: no video files in .*empty \(looked for \.3gp, .*\.mp4/);
      mkdirSync(path.join(work, 'spaced'), { recursive: true });
      writeFileSync(path.join(work, 'spaced', 'my clip.mp4'), '');
      await rejects({ cameras: [{ folder: 'spaced' }] }, 'cameras.yaml: cameras[0].folder: file "my clip.mp4": camera id "my clip" is not 1-128 of A-Z a-z 0-9 . _ : -');
      mkdirSync(path.join(work, 'clash'), { recursive: true });
      writeFileSync(path.join(work, 'clash', 'door.mp4'), '');
      await rejects({ cameras: [cam('door'), { folder: 'clash' }] }, 'cameras.yaml: cameras[1].folder: file "door.mp4": camera id "door" is already cameras[0]');
      await rejects({ cameras: [{ folder: 'clash', id: 'x' }] }, "cameras.yaml: cameras[0].id: a folder's cameras are named after their files (idPrefix: puts text before the names)");
      await rejects({ cameras: [cam('a', { idPrefix: 'p-' })] }, 'cameras.yaml: cameras[0].idPrefix: applies to folder: entries only');
    });

    it('an unreadable file or bad YAML names the file', async () => {
      await assert.rejects(loadCamerasConfig(path.join(work, 'none.yaml')), /^UsageError: --config: cannot read .*none\.yaml: ENOENT/);
      const bad = path.join(work, 'bad.yaml');
      writeFileSync(bad, 'cameras:\n  - id: a\n   source: x\n');
      await assert.rejects(loadCamerasConfig(bad), (err: unknown) => err instanceof UsageError && err.message.startsWith(`${bad}: `) && !err.message.includes('\n'));
    });
  });
});
