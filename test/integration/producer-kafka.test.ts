// `vsp producer` as a user runs it, into a real Kafka: what lands in the frames topic, seq
// numbering across restarts and crashes, a real Kafka outage under a live camera (the
// rpicam-vid stand-in), a flush on SIGTERM, and downscaling.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { timestampToMs } from '../../common/time.js';
import type { Frame__Output } from '../../common/gen/vsp/v1/Frame.js';
import { SEQ_BLOCK } from '../../producer/seq-store.js';
import { startTestKafka, type TestKafka } from '../helpers/kafka.js';
import { REPO, stopAll, vsp, vspRun } from '../helpers/processes.js';
import { freshFrames, logLines, range, readFrames, waitForLog, type LogLine } from '../helpers/producer.js';

const VTEST = path.join(REPO, 'samples/vtest.avi');
const STAND_INS = path.join(REPO, 'test/stand-ins');
const run = promisify(execFile);

async function probe(file: string): Promise<{ frames: number; fps: number }> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-count_frames', '-show_entries', 'stream=nb_read_frames,avg_frame_rate', '-of', 'json', file]);
  const stream = JSON.parse(stdout).streams[0];
  const [num, den] = String(stream.avg_frame_rate).split('/').map(Number);
  return { frames: Number(stream.nb_read_frames), fps: num! / den! };
}

const isProgress = (l: LogLine) => l.msg === 'producer progress';

function rssBytes(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
}

describe('vsp producer into a real Kafka', function () {
  this.timeout(180_000);
  let kafka: TestKafka;
  let vtest: { frames: number; fps: number };
  const work = mkdtempSync(path.join(os.tmpdir(), 'vsp-producer-'));

  before(async () => {
    kafka = await startTestKafka();
    vtest = await probe(VTEST);
  });
  afterEach(stopAll);
  after(async () => {
    await kafka?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const fresh = (partitions = 1) => freshFrames(kafka, partitions, work);

  it('publishes every frame of a file, in order, to one partition keyed by camera', async () => {
    const { args, topic } = await fresh(4);
    const r = await vspRun(['producer', ...args, '--camera', 'vtest', '--source', 'file:samples/vtest.avi'], { VSP_LOG_LEVEL: 'info' });
    assert.equal(r.code, 0, r.stderr);

    const records = await readFrames(kafka.bootstrap, topic);
    assert.equal(new Set(records.map((x) => x.partition)).size, 1, 'one camera, one partition');
    assert.ok(records.every((x) => x.key === 'vtest'));
    assert.deepEqual(records.map((x) => x.frame.seq), range(1, vtest.frames));
    let previous: Frame__Output | undefined;
    for (const { frame } of records) {
      assert.deepEqual([frame.cameraId, frame.width, frame.height, frame.encoding], ['vtest', 768, 576, 'JPEG'], `seq ${frame.seq}`);
      assert.equal(frame.attributes.source, 'file:samples/vtest.avi');
      const capture = timestampToMs(frame.captureTime);
      assert.ok(Math.abs(capture - Date.now()) < 600_000, `seq ${frame.seq}: capture time ${frame.captureTime?.seconds} is now-ish`);
      if (previous) {
        assert.ok(capture >= timestampToMs(previous.captureTime), `seq ${frame.seq}: capture time goes forward`);
        assert.ok(timestampToMs(frame.sourceTime) > timestampToMs(previous.sourceTime), `seq ${frame.seq}: pts increases`);
      }
      const { info } = await sharp(frame.image).raw().toBuffer({ resolveWithObject: true });
      assert.deepEqual([info.width, info.height], [768, 576], `seq ${frame.seq} decodes`);
      previous = frame;
    }
    assert.equal(timestampToMs(records[0]!.frame.sourceTime), 0, 'pts of the first frame');

    const finished = logLines(r.stderr).find((l) => l.msg === 'producer finished');
    assert.deepEqual([finished?.published, finished?.dropped, finished?.lastSeq], [vtest.frames, 0, vtest.frames]);
  });

  it('paces a file at its frame rate with --realtime (10 fps ±10 %, from capture times)', async () => {
    const { args, topic } = await fresh();
    const r = await vspRun(['producer', ...args, '--camera', 'paced', '--source', `file:${VTEST}`, '--realtime', '--frames', '41']);
    assert.equal(r.code, 0, r.stderr);
    const times = (await readFrames(kafka.bootstrap, topic)).map((x) => timestampToMs(x.frame.captureTime));
    assert.equal(times.length, 41);
    const fps = 40 / ((times[40]! - times[0]!) / 1000);
    assert.ok(Math.abs(fps - vtest.fps) <= vtest.fps * 0.1, `${fps.toFixed(2)} fps, the file has ${vtest.fps}`);
  });

  it('continues the seq after a clean exit, and never reuses one after SIGKILL', async () => {
    const { args, topic } = await fresh();
    const producer = ['producer', ...args, '--camera', 'restarts', '--source', `file:${VTEST}`];
    for (let i = 0; i < 2; i++) {
      const r = await vspRun([...producer, '--frames', '10']);
      assert.equal(r.code, 0, r.stderr);
    }
    assert.deepEqual((await readFrames(kafka.bootstrap, topic)).map((x) => x.frame.seq), range(1, 20), 'no gap, no reuse');

    const killed = vsp([...producer, '--realtime', '--stats-interval', '0.5'], { VSP_LOG_LEVEL: 'info' });
    await waitForLog(killed, '5 frames published', (lines) => lines.find((l) => isProgress(l) && Number(l.published) >= 5));
    await killed.stop('SIGKILL');
    const beforeKill = (await readFrames(kafka.bootstrap, topic)).map((x) => x.frame.seq);
    const lastKilled = beforeKill.at(-1)!;
    assert.ok(lastKilled >= 25, `frames of the killed run are in Kafka (up to ${lastKilled})`);

    const r = await vspRun([...producer, '--frames', '3']);
    assert.equal(r.code, 0, r.stderr);
    const after = (await readFrames(kafka.bootstrap, topic)).map((x) => x.frame.seq).slice(beforeKill.length);
    assert.equal(after.length, 3);
    assert.ok(after[0]! > lastKilled, `restart after SIGKILL starts at ${after[0]}, past ${lastKilled}: no seq reused`);
    assert.ok(after[0]! - lastKilled <= SEQ_BLOCK, `skips at most the reserved block (${after[0]} after ${lastKilled})`);
    assert.deepEqual(after, range(after[0]!, after[0]! + 2));
  });

  it('rides out a 10 s Kafka outage under a live camera: bounded buffer, oldest dropped and counted, resumes', async () => {
    const { args, topic } = await fresh();
    // 640x480 stand-in frames are ~10 KB: 30 fps fills the 2 MiB buffer in about 7 s.
    const producer = vsp(['producer', ...args, '--camera', 'live', '--source', 'picamera:640x480@30', '--buffer-mb', '2', '--stats-interval', '1'], {
      PATH: `${STAND_INS}:${process.env.PATH}`,
      VSP_LOG_LEVEL: 'info',
    });
    const pid = producer.child.pid!;
    await waitForLog(producer, '30 frames published', (lines) => lines.find((l) => isProgress(l) && Number(l.published) >= 30));
    const rssBefore = rssBytes(pid);
    let rssPeak = rssBefore;
    const sampler = setInterval(() => {
      if (producer.child.exitCode === null) rssPeak = Math.max(rssPeak, rssBytes(pid));
    }, 200);
    try {
      await kafka.down();
      await sleep(10_000);
      await kafka.up();
    } finally {
      clearInterval(sampler);
    }
    const backAt = Date.now();
    const back = await waitForLog(producer, 'Kafka is back', (lines) => lines.find((l) => l.msg === 'Kafka is back: sending again'));
    await waitForLog(producer, '2 s of frames after that', (lines) => lines.find((l) => isProgress(l) && l.time >= back.time + 2000));
    assert.equal(await producer.stop('SIGTERM'), 0, producer.stderr());

    const lines = logLines(producer.stderr());
    assert.ok(lines.some((l) => l.msg === 'Kafka unavailable: buffering frames until it is back'));
    const progress = lines.filter(isProgress);
    const maxBuffered = Math.max(...progress.map((l) => Number(l.bufferBytes)));
    assert.ok(maxBuffered <= 2 * 1024 * 1024, `buffer held ${maxBuffered} bytes, limit 2 MiB`);
    assert.ok(maxBuffered > 1.5 * 1024 * 1024, `the buffer filled up during the outage (${maxBuffered} bytes)`);
    // The buffer is the only thing that grows during an outage; leave room for GC slack.
    assert.ok(rssPeak - rssBefore < 48 * 1024 * 1024, `RSS grew by ${((rssPeak - rssBefore) / 2 ** 20).toFixed(1)} MiB during the outage`);

    const finished = lines.find((l) => l.msg === 'producer finished')!;
    const dropped = Number(finished.dropped);
    assert.ok(dropped > 0, 'frames were dropped');
    assert.ok(lines.some((l) => l.msg === 'buffer full: dropping the oldest frames until Kafka catches up'));
    const reported = lines.filter((l) => l.msg === 'dropped the oldest buffered frames while Kafka was away or slow');
    assert.equal(reported.reduce((n, l) => n + Number(l.dropped), 0), dropped, 'drop episodes add up to the total');

    const records = await readFrames(kafka.bootstrap, topic);
    const seqs = records.map((x) => x.frame.seq);
    assert.equal(seqs.length, Number(finished.published));
    const gaps = seqs.slice(1).map((s, i) => s - seqs[i]! - 1);
    assert.ok(gaps.every((g) => g >= 0), 'seqs in order');
    assert.equal(gaps.reduce((a, b) => a + b, 0), dropped, 'the seq gaps are exactly the dropped frames');
    assert.equal(seqs.at(-1), finished.lastSeq, 'everything captured before SIGTERM was sent');
    const resumed = records.filter((x) => timestampToMs(x.frame.captureTime) > backAt);
    assert.ok(resumed.length >= 30, `${resumed.length} frames captured after Kafka came back are in Kafka`);
  });

  it('on SIGTERM sends every captured frame, then exits 0', async () => {
    const { args, topic } = await fresh();
    const producer = vsp(['producer', ...args, '--camera', 'term', '--source', 'picamera:320x240@30', '--stats-interval', '0.5'], {
      PATH: `${STAND_INS}:${process.env.PATH}`,
      VSP_LOG_LEVEL: 'info',
    });
    await waitForLog(producer, '10 frames published', (lines) => lines.find((l) => isProgress(l) && Number(l.published) >= 10));
    // A frozen broker holds the sends, so frames are still buffered when the signal comes.
    kafka.pause();
    try {
      await waitForLog(producer, '15 frames buffered', (lines) => lines.find((l) => isProgress(l) && Number(l.bufferedFrames) >= 15));
      producer.child.kill('SIGTERM');
      await sleep(500);
    } finally {
      kafka.resume();
    }
    assert.equal(await producer.exited, 0, producer.stderr());
    const finished = logLines(producer.stderr()).find((l) => l.msg === 'producer finished')!;
    assert.equal(finished.dropped, 0);
    const seqs = (await readFrames(kafka.bootstrap, topic)).map((x) => x.frame.seq);
    assert.deepEqual(seqs, range(1, Number(finished.lastSeq)));
  });

  it('on SIGTERM while Kafka stays away, gives up after a grace period: exit 1, undelivered count named', async () => {
    const { args } = await fresh();
    const producer = vsp(['producer', ...args, '--camera', 'gone', '--source', 'picamera:320x240@30', '--stats-interval', '0.5'], {
      PATH: `${STAND_INS}:${process.env.PATH}`,
      VSP_LOG_LEVEL: 'info',
    });
    await waitForLog(producer, '10 frames published', (lines) => lines.find((l) => isProgress(l) && Number(l.published) >= 10));
    await kafka.down();
    try {
      await waitForLog(producer, 'the outage noticed', (lines) => lines.find((l) => l.msg === 'Kafka unavailable: buffering frames until it is back'));
      producer.child.kill('SIGTERM');
      assert.equal(await producer.exited, 1);
    } finally {
      await kafka.up();
    }
    assert.match(producer.stderr(), /^vsp: Kafka still unavailable 10 s after the stop signal: \d+ buffered frames not delivered$/m);
  });

  it('fails at once, naming it, when the frames topic does not exist', async () => {
    const r = await vspRun(['producer', '--brokers', kafka.bootstrap, '--prefix', 'no-such-prefix', '--camera', 'c', '--source', 'synthetic', '--frames', '1', '--state-dir', path.join(work, 'none')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^vsp: topic no-such-prefix\.frames does not exist \(create the topics with 'vsp topics create'\)$/m);
  });

  it('downscales with --width/--height, keeping the aspect ratio for one, never upscaling', async () => {
    const { args, topic } = await fresh();
    const sizes: Array<[string[], number, number]> = [
      [[], 768, 576],
      [['--width', '384'], 384, 288],
      [['--height', '150'], 200, 150],
      [['--width', '320', '--height', '320'], 320, 320],
      [['--width', '1536', '--height', '1000'], 768, 576],
    ];
    const runs = await Promise.all(sizes.map(([flags], i) => vspRun(['producer', ...args, '--camera', `scaled-${i}`, '--source', `file:${VTEST}`, '--frames', '2', ...flags])));
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    const records = await readFrames(kafka.bootstrap, topic);
    const ofRun = (i: number) => records.filter((x) => x.key === `scaled-${i}`);
    for (const [i, [flags, width, height]] of sizes.entries()) {
      assert.equal(ofRun(i).length, 2);
      for (const { frame } of ofRun(i)) {
        assert.deepEqual([frame.width, frame.height], [width, height], flags.join(' '));
        const meta = await sharp(frame.image).metadata();
        assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', width, height], `${flags.join(' ')}: the JPEG itself`);
      }
    }
    // Nothing to shrink: the source's JPEG goes through untouched, not re-encoded.
    assert.ok(ofRun(4)[0]!.frame.image.equals(ofRun(0)[0]!.frame.image));
  });
});
