// The v4l2 path end to end: `vsp producer --source v4l2:…` → real Kafka, with a stand-in camera
// (test/stand-ins/v4l2/ffmpeg answers `-f v4l2` as ffmpeg does for a USB camera; no video device
// can exist here) and the real ffmpeg for everything else.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestKafka, type TestKafka } from '../helpers/kafka.js';
import { REPO, stopAll, vspRun } from '../helpers/processes.js';
import { FrameCodec } from '../../common/proto.js';
import { topicNames } from '../../common/kafka/topics.js';
import { jpegSize } from '../../common/jpeg.js';
import type { Frame__Output } from '../../common/gen/vsp/v1/Frame.js';
import { createKafka } from '../../common/kafka/client.js';
import { kafkaConnection } from '../../common/kafka/connection.js';

const STAND_IN = path.join(REPO, 'test/stand-ins/v4l2');

async function readFrames(bootstrap: string, topic: string, count: number): Promise<Frame__Output[]> {
  const consumer = createKafka(kafkaConnection(bootstrap, 'vsp-test')).consumer({ groupId: `read-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const frames: Frame__Output[] = [];
  await new Promise<void>((resolve) => {
    void consumer.run({ eachMessage: async ({ message }) => {
      frames.push(FrameCodec.decode(message.value!));
      if (frames.length >= count) resolve();
    } });
  });
  await consumer.disconnect();
  return frames;
}

describe('producer: v4l2 camera (stand-in device)', function () {
  let kafka: TestKafka;
  const work = mkdtempSync(path.join(os.tmpdir(), 'vsp-v4l2-'));

  before(async () => {
    kafka = await startTestKafka();
  });
  afterEach(stopAll);
  after(async () => {
    await kafka?.stop();
  });

  for (const formats of ['mjpeg', 'raw'] as const) {
    it(`publishes the camera's frames in order at the asked size (camera offers ${formats})`, async () => {
      const prefix = await kafka.topics(1);
      const r = await vspRun(
        ['producer', '--brokers', kafka.bootstrap, '--prefix', prefix, '--camera', 'usb', '--source', 'v4l2:/dev/video0:320x240@15', '--frames', '20', '--state-dir', path.join(work, prefix)],
        { PATH: `${STAND_IN}:${process.env.PATH}`, V4L2_STANDIN_FORMATS: formats, VSP_LOG_LEVEL: 'info' },
      );
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`"inputFormat":"${formats === 'mjpeg' ? 'mjpeg' : 'yuyv422'}","passthrough":${formats === 'mjpeg'},"msg":"v4l2 input format"`));
      const frames = await readFrames(kafka.bootstrap, topicNames(prefix).frames, 20);
      assert.deepEqual(frames.map((f) => f.seq), Array.from({ length: 20 }, (_, i) => i + 1));
      for (const f of frames) {
        assert.equal(f.cameraId, 'usb');
        assert.deepEqual([f.width, f.height], [320, 240]);
        assert.deepEqual(jpegSize(f.image), { width: 320, height: 240 });
      }
    });
  }

  it('reports a missing device and keeps retrying instead of exiting', async () => {
    const prefix = await kafka.topics(1);
    const { vsp } = await import('../helpers/processes.js');
    const p = vsp(['producer', '--brokers', kafka.bootstrap, '--prefix', prefix, '--camera', 'usb', '--source', 'v4l2:/dev/video7', '--state-dir', path.join(work, prefix)], {
      PATH: `${STAND_IN}:${process.env.PATH}`,
    });
    const deadline = Date.now() + 20_000;
    while (!/source lost; retrying/.test(p.stderr())) {
      assert.ok(Date.now() < deadline, `no retry logged: ${p.stderr().slice(-1000)}`);
      assert.equal(p.child.exitCode, null, 'the producer keeps running');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(p.stderr(), /No such file or directory/);
    assert.equal(await p.stop('SIGTERM'), 0);
  });
});
