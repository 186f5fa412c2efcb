// v4l2: no video device can exist here (no camera, no v4l2loopback module), so the capture
// itself is covered by the argument tests in test/unit/source-spec.test.ts. What runs here
// with real ffmpeg is the path of an unplugged camera: probe, fail, log, retry.
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { parseSource } from '../../producer/sources/index.js';

describe('v4l2: source (real ffmpeg, no device)', function () {
  this.timeout(30_000);

  it('keeps retrying a missing device with backoff, logging each failure', async () => {
    const abort = new AbortController();
    const entries: Array<Record<string, unknown>> = [];
    const log = pino({ level: 'info' }, {
      write: (line: string) => {
        const entry = JSON.parse(line) as Record<string, unknown>;
        entries.push(entry);
        if (entries.filter((e) => e.msg === 'source lost; retrying').length === 2) abort.abort();
      },
    });
    const source = parseSource('v4l2:/dev/video-vsp-missing:640x480@15', { log });
    assert.equal(source.live, true);
    let frames = 0;
    for await (const _ of source.frames(abort.signal)) frames++;
    assert.equal(frames, 0);

    const probed = entries.filter((e) => e.msg === 'v4l2 input format');
    assert.ok(probed.length >= 2, 'formats asked again on every attempt');
    assert.deepEqual(probed[0]!.formats, { compressed: [], raw: [] });
    const started = entries.find((e) => e.msg === 'starting capture');
    assert.deepEqual(started?.args, [
      '-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'v4l2', '-video_size', '640x480', '-framerate', '15',
      '-i', '/dev/video-vsp-missing', '-c:v', 'mjpeg', '-q:v', '3', '-fps_mode', 'passthrough', '-f', 'mjpeg', '-',
    ]);
    const lost = entries.filter((e) => e.msg === 'source lost; retrying');
    assert.match(String(lost[0]!.stderr), /video-vsp-missing: No such file or directory/);
    assert.deepEqual(lost.map((e) => e.retryInMs), [500, 1000]);
  });
});
