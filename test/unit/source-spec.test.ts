import assert from 'node:assert/strict';
import { pino } from 'pino';
import { UsageError } from '../../common/errors.js';
import { fileArgs, ShowinfoTimes } from '../../producer/sources/file.js';
import { parseCaptureMode, parseSource, parseV4l2Spec } from '../../producer/sources/index.js';
import { networkArgs } from '../../producer/sources/network.js';
import { picameraArgs } from '../../producer/sources/picamera.js';
import { redactCredentials } from '../../producer/sources/redact.js';
import { chooseInput, parseV4l2Formats, v4l2Args } from '../../producer/sources/v4l2.js';

const log = pino({ level: 'silent' });

describe('source specs', () => {
  describe('parseSource', () => {
    it('makes live camera and stream sources, and waiting file and image sources', () => {
      const cases: Array<[string, string, boolean]> = [
        ['picamera', 'picamera', true],
        ['picamera:1280x720@30', 'picamera:1280x720@30', true],
        ['v4l2:/dev/video0', 'v4l2:/dev/video0', true],
        ['rtsp://cam.local:554/stream1', 'rtsp://cam.local:554/stream1', true],
        ['http://cam.local/mjpg/video.mjpg', 'http://cam.local/mjpg/video.mjpg', true],
        ['https://cam.local/stream', 'https://cam.local/stream', true],
        ['file:samples/vtest.avi', 'file:samples/vtest.avi', false],
        ['images:test/fixtures/frames', 'images:test/fixtures/frames', false],
      ];
      for (const [spec, description, live] of cases) {
        const source = parseSource(spec, { log });
        assert.deepEqual([source.description, source.live], [description, live], spec);
      }
    });

    it('hides a stream password in the description', () => {
      assert.equal(parseSource('rtsp://admin:s3cret@10.0.0.5/h264', { log }).description, 'rtsp://admin:***@10.0.0.5/h264');
    });

    it('names the problem in a UsageError for a bad spec', () => {
      const bad: Array<[string, object, RegExp]> = [
        ['webcam', {}, /unknown source "webcam" \(expected picamera/],
        ['rtsp://user:pw@', {}, /rtsp:\/\/user:\*\*\*@: not a valid URL/],
        ['http:/x', {}, /not a valid URL/],
        ['picamera:1280x720@', {}, /bad capture mode "1280x720@"/],
        ['picamera:0x720', {}, /bad capture mode/],
        ['picamera:640x480@0', {}, /bad capture mode/],
        ['v4l2:', {}, /expected v4l2:\/dev\/videoN/],
        ['v4l2:/dev/video0:640x@5', {}, /bad capture mode "640x@5"/],
        ['file:', {}, /expected file:PATH/],
        ['images:', {}, /expected images:DIR/],
        ['picamera', { loop: true }, /--loop applies to file: and images: sources, not picamera/],
        ['rtsp://cam/x', { loop: true }, /--loop applies/],
        ['file:samples/vtest.avi', { fps: 5 }, /--fps does not apply to file:/],
      ];
      for (const [spec, opts, message] of bad) {
        assert.throws(() => parseSource(spec, { log, ...opts }), (err: Error) => err instanceof UsageError && message.test(err.message), spec);
      }
    });

    it('reads capture modes, and v4l2 device paths that hold colons', () => {
      assert.deepEqual(parseCaptureMode('1280x720@30', 's'), { width: 1280, height: 720, fps: 30 });
      assert.deepEqual(parseCaptureMode('640x480@7.5', 's'), { width: 640, height: 480, fps: 7.5 });
      assert.deepEqual(parseCaptureMode('640x480', 's'), { width: 640, height: 480 });
      assert.deepEqual(parseV4l2Spec('/dev/video2', 's'), { device: '/dev/video2', mode: {} });
      assert.deepEqual(parseV4l2Spec('/dev/video2:800x600@15', 's'), { device: '/dev/video2', mode: { width: 800, height: 600, fps: 15 } });
      const byPath = '/dev/v4l/by-path/pci-0000:00:14.0-usb-0:1:1.0-video-index0';
      assert.deepEqual(parseV4l2Spec(byPath, 's'), { device: byPath, mode: {} });
      assert.deepEqual(parseV4l2Spec(`${byPath}:1920x1080`, 's'), { device: byPath, mode: { width: 1920, height: 1080 } });
    });
  });

  describe('capture commands', () => {
    it('runs rpicam-vid with no time limit, MJPEG on stdout and no preview', () => {
      assert.deepEqual(picameraArgs({ width: 1280, height: 720, fps: 30 }), [
        '-t', '0', '--codec', 'mjpeg', '-o', '-', '--width', '1280', '--height', '720', '--framerate', '30', '-n',
      ]);
      assert.deepEqual(picameraArgs({}), ['-t', '0', '--codec', 'mjpeg', '-o', '-', '-n']);
    });

    it('copies MJPEG from a v4l2 camera, and encodes when it offers only raw formats', () => {
      assert.deepEqual(v4l2Args('/dev/video0', { width: 640, height: 480, fps: 30 }, { inputFormat: 'mjpeg', passthrough: true }), [
        '-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'v4l2', '-input_format', 'mjpeg',
        '-video_size', '640x480', '-framerate', '30', '-i', '/dev/video0', '-c:v', 'copy', '-f', 'mjpeg', '-',
      ]);
      assert.deepEqual(v4l2Args('/dev/video1', {}, { inputFormat: 'yuyv422', passthrough: false }), [
        '-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'v4l2', '-input_format', 'yuyv422',
        '-i', '/dev/video1', '-c:v', 'mjpeg', '-q:v', '3', '-fps_mode', 'passthrough', '-f', 'mjpeg', '-',
      ]);
      assert.deepEqual(v4l2Args('/dev/video1', {}, { passthrough: false }).slice(4, 8), ['-f', 'v4l2', '-i', '/dev/video1']);
    });

    it('chooses the v4l2 input format from the formats ffmpeg lists', () => {
      // As printed by `ffmpeg -f v4l2 -list_formats all -i /dev/videoN` (libavdevice/v4l2.c).
      const webcam = [
        '[video4linux2,v4l2 @ 0x55d0c8a3f2c0] Raw       :     yuyv422 :           YUYV 4:2:2 : 640x480 320x240 160x120 1280x720',
        '[video4linux2,v4l2 @ 0x55d0c8a3f2c0] Compressed:       mjpeg :          Motion-JPEG : 640x480 320x240 1280x720 1920x1080',
        '/dev/video0: Immediate exit requested',
      ].join('\n');
      assert.deepEqual(parseV4l2Formats(webcam), { raw: ['yuyv422'], compressed: ['mjpeg'] });
      assert.deepEqual(chooseInput(parseV4l2Formats(webcam)), { inputFormat: 'mjpeg', passthrough: true });

      const rawOnly = [
        '[video4linux2,v4l2 @ 0x1] Raw       : Unsupported :            10-bit Bayer : {64-4056, 2}x{64-3040, 2}',
        '[video4linux2,v4l2 @ 0x1] Raw       :     yuv420p :     Planar YUV 4:2:0 : {32-4056, 2}x{32-3040, 2}',
        '[video4linux2,v4l2 @ 0x1] Raw       :       nv12 : Y/UV 4:2:0 : {32-4056, 2}x{32-3040, 2}',
      ].join('\n');
      assert.deepEqual(chooseInput(parseV4l2Formats(rawOnly)), { inputFormat: 'yuv420p', passthrough: false });
      assert.deepEqual(chooseInput(parseV4l2Formats('[video4linux2,v4l2 @ 0x1] Compressed:        h264 :                H.264 : 1920x1080')), {
        inputFormat: 'h264',
        passthrough: false,
      });
      const missing = "[video4linux2,v4l2 @ 0x1] Cannot open video device /dev/video9: No such file or directory\n/dev/video9: No such file or directory";
      assert.deepEqual(chooseInput(parseV4l2Formats(missing)), { passthrough: false });
    });

    it('reads RTSP over TCP, and HTTP as it comes', () => {
      const rtsp = networkArgs('rtsp://cam/stream');
      assert.deepEqual(rtsp.slice(rtsp.indexOf('-rtsp_transport'), rtsp.indexOf('-rtsp_transport') + 2), ['-rtsp_transport', 'tcp']);
      assert.deepEqual(rtsp.slice(-5), ['-f', 'mjpeg', '-q:v', '3', '-']);
      assert.equal(rtsp[rtsp.indexOf('-i') + 1], 'rtsp://cam/stream');
      assert.equal(networkArgs('http://cam/video.mjpg').includes('-rtsp_transport'), false);
    });

    it('decodes every frame of a file, through the file protocol, looping when asked', () => {
      const args = fileArgs('dir/a:b.mp4', false);
      assert.equal(args[args.indexOf('-i') + 1], 'file:dir/a:b.mp4');
      assert.deepEqual(args.slice(args.indexOf('-fps_mode'), args.indexOf('-fps_mode') + 2), ['-fps_mode', 'passthrough']);
      assert.equal(args.includes('-stream_loop'), false);
      const looped = fileArgs('a.mp4', true);
      assert.deepEqual(looped.slice(looped.indexOf('-stream_loop'), looped.indexOf('-stream_loop') + 2), ['-stream_loop', '-1']);
      assert.ok(looped.indexOf('-stream_loop') < looped.indexOf('-i'), 'an input option');
    });
  });

  describe('ShowinfoTimes', () => {
    it('turns showinfo pts into nanoseconds, in frame order, waiting for lines not yet read', async () => {
      const times = new ShowinfoTimes();
      const first = times.next();
      assert.equal(times.line('Input #0, avi, from vtest.avi:'), false, 'other lines are left alone');
      assert.equal(times.line('[Parsed_showinfo_0 @ 0x555ed6cf2400] config in time_base: 1/10, frame_rate: 10/1'), true);
      times.line('[Parsed_showinfo_0 @ 0x555ed6cf2400] n:   0 pts:      0 pts_time:0       pos:     5752 fmt:yuv420p s:768x576 i:P iskey:1 type:I');
      times.line('[Parsed_showinfo_0 @ 0x555ed6cf2400] color_range:unknown color_space:unknown color_primaries:unknown color_trc:unknown');
      times.line('[Parsed_showinfo_0 @ 0x555ed6cf2400] n: 794 pts:    794 pts_time:79.4    pos:  8112520 fmt:yuv420p s:768x576 i:P iskey:0 type:P');
      times.line('[Parsed_showinfo_0 @ 0x1] n: 795 pts:NOPTS pts_time:NOPTS pos: 1 fmt:yuv420p');
      assert.equal(await first, 0n);
      assert.equal(await times.next(), 79_400_000_000n);
      assert.equal(await times.next(), undefined, 'no pts');
      const pending = times.next();
      times.end();
      assert.equal(await pending, undefined, 'stderr ended');
    });

    it('uses the exact time base, without float rounding', async () => {
      const times = new ShowinfoTimes();
      times.line('[Parsed_showinfo_0 @ 0x1] config in time_base: 1001/30000, frame_rate: 30000/1001');
      times.line('[Parsed_showinfo_0 @ 0x1] n:   3 pts:      3 pts_time:0.1001  pos: 1');
      assert.equal(await times.next(), 100_100_000n);
    });
  });

  it('redacts URL passwords in any text', () => {
    assert.equal(redactCredentials('rtsp://u:p@h/x: Connection refused; http://a:b@c'), 'rtsp://u:***@h/x: Connection refused; http://a:***@c');
    assert.equal(redactCredentials('rtsp://h:554/x and /dev/video0'), 'rtsp://h:554/x and /dev/video0');
  });
});
