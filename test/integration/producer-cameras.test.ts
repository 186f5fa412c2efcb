// `vsp producer --config cameras.yaml`: many cameras in one process, into a real Kafka, from real
// ffmpeg-made videos. Every camera's frames land under its key in one partition, seq 1..N in
// order, at the size configured for it; a camera whose source is missing or broken (or an RTSP
// camera nobody answers for) does not stop the others; SIGTERM flushes every camera.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { partitionForKey } from '../../common/kafka/client.js';
import { freePort } from '../../common/kafka/local.js';
import { startTestKafka, type TestKafka } from '../helpers/kafka.js';
import { REPO, stopAll, vsp, vspRun } from '../helpers/processes.js';
import { freshFrames, logLines, range, readFrames, waitForLog, type FrameRecord, type LogLine } from '../helpers/producer.js';

const run = promisify(execFile);
const VTEST = path.join(REPO, 'samples/vtest.avi');

/** The latest progress line of each camera. */
function lastProgress(lines: LogLine[]): Map<string, LogLine> {
  const out = new Map<string, LogLine>();
  for (const l of lines) if (l.msg === 'producer progress' && l.camera) out.set(l.camera, l);
  return out;
}

/** A short test-pattern video made by ffmpeg. */
async function makeVideo(file: string, o: { width: number; height: number; fps: number; frames: number }): Promise<void> {
  await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc=size=${o.width}x${o.height}:rate=${o.fps}`, '-frames:v', String(o.frames), '-c:v', 'mpeg4', '-q:v', '5', file]);
}

describe('vsp producer --config: many cameras in one process', function () {
  this.timeout(180_000);
  let kafka: TestKafka;
  const work = mkdtempSync(path.join(os.tmpdir(), 'vsp-cameras-'));
  // Three cameras of different rates, sizes and lengths.
  const videos = {
    north: { width: 320, height: 240, fps: 10, frames: 20 },
    south: { width: 640, height: 480, fps: 25, frames: 30 },
    east: { width: 176, height: 144, fps: 15, frames: 25 },
  };

  before(async () => {
    kafka = await startTestKafka();
    await Promise.all(Object.entries(videos).map(([name, v]) => makeVideo(path.join(work, `${name}.avi`), v)));
    writeFileSync(path.join(work, 'broken.avi'), 'RIFF this is not a video at all');
  });
  afterEach(stopAll);
  after(async () => {
    await kafka?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const fresh = (partitions: number) => freshFrames(kafka, partitions, path.join(work, 'state'));

  function config(name: string, text: string[]): string {
    const file = path.join(work, name);
    writeFileSync(file, `${text.join('\n')}\n`);
    return file;
  }

  function byCamera(records: FrameRecord[]): Map<string, FrameRecord[]> {
    const out = new Map<string, FrameRecord[]>();
    for (const r of records) out.set(r.key, [...(out.get(r.key) ?? []), r]);
    return out;
  }

  it('publishes every frame of 3 cameras, each under its key in its partition, seq 1..N in order, at its own size', async () => {
    const { args, topic } = await fresh(4);
    const file = config('three.yaml', [
      'defaults:',
      '  width: 320            # south (640x480) is downscaled; the others are no wider',
      'cameras:',
      '  - id: north',
      '    source: file:north.avi   # relative to this file',
      '  - id: south',
      '    source: file:south.avi',
      '  - id: east',
      '    source: file:east.avi',
      '    width: 88           # its own size over the default: 176x144 -> 88x72',
    ]);
    const r = await vspRun(['producer', '--config', file, ...args, '--stats-interval', '0'], { VSP_LOG_LEVEL: 'info' });
    assert.equal(r.code, 0, r.stderr);

    const cameras = byCamera(await readFrames(kafka.bootstrap, topic));
    assert.deepEqual([...cameras.keys()].sort(), ['east', 'north', 'south']);
    const expected = { north: [20, 320, 240], south: [30, 320, 240], east: [25, 88, 72] } as const;
    for (const [id, [frames, width, height]] of Object.entries(expected)) {
      const records = cameras.get(id)!;
      assert.deepEqual(new Set(records.map((x) => x.partition)), new Set([partitionForKey(id, 4)]), `${id}: one partition, the one of its key`);
      assert.deepEqual(records.map((x) => x.frame.seq), range(1, frames), `${id}: seq 1..${frames}, contiguous, in order`);
      for (const { frame } of records) {
        assert.equal(frame.cameraId, id);
        assert.deepEqual([frame.width, frame.height], [width, height], `${id} seq ${frame.seq}`);
        assert.equal(frame.attributes.source, `file:${path.join(work, `${id}.avi`)}`);
      }
      const meta = await sharp(records[0]!.frame.image).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', width, height], `${id}: the JPEG itself`);
    }

    // Per-camera logs: each camera's end, with its own counts.
    const finished = logLines(r.stderr).filter((l) => l.msg === 'producer finished');
    assert.deepEqual(
      finished.map((l) => [l.camera, l.published, l.dropped, l.firstSeq, l.lastSeq]).sort(),
      [['east', 25, 0, 1, 25], ['north', 20, 0, 1, 20], ['south', 30, 0, 1, 30]],
    );
    assert.ok(logLines(r.stderr).some((l) => l.msg === 'all cameras ended' && (l.failed as string[]).length === 0));

    // Per-camera seq state: a second run of the same config continues each camera without a gap.
    const again = await vspRun(['producer', '--config', file, ...args, '--stats-interval', '0']);
    assert.equal(again.code, 0, again.stderr);
    const twice = byCamera(await readFrames(kafka.bootstrap, topic));
    for (const [id, [frames]] of Object.entries(expected)) assert.deepEqual(twice.get(id)!.map((x) => x.frame.seq), range(1, 2 * frames), id);
  });

  it('a camera with a missing or broken source fails alone: the others publish all their frames; exit 1 naming the failed ones', async () => {
    const { args, topic } = await fresh(4);
    const file = config('broken.yaml', [
      'cameras:',
      '  - { id: north, source: file:north.avi }',
      '  - { id: gone, source: file:no-such-video.avi }',
      '  - { id: south, source: file:south.avi }',
      '  - { id: garbage, source: file:broken.avi }',
      '  - { id: east, source: file:east.avi }',
    ]);
    const r = await vspRun(['producer', '--config', file, ...args, '--stats-interval', '0'], { VSP_LOG_LEVEL: 'info' });
    assert.equal(r.code, 1, r.stderr);
    const plain = r.stderr.split('\n').filter((l) => l.startsWith('vsp: '));
    assert.equal(plain.length, 1, r.stderr);
    assert.match(plain[0]!, /^vsp: 2 of 5 cameras failed \(the others ran to their end\): gone: file:.*no-such-video\.avi: ffmpeg could not read it: .*; garbage: file:.*broken\.avi: ffmpeg could not read it: /);

    const cameras = byCamera(await readFrames(kafka.bootstrap, topic));
    assert.deepEqual([...cameras.keys()].sort(), ['east', 'north', 'south'], 'nothing of the failed cameras');
    for (const [id, v] of Object.entries(videos)) assert.deepEqual(cameras.get(id)!.map((x) => x.frame.seq), range(1, v.frames), id);

    const lines = logLines(r.stderr);
    const failed = lines.filter((l) => l.msg === 'camera failed; the other cameras go on');
    assert.deepEqual(failed.map((l) => l.camera).sort(), ['garbage', 'gone']);
    assert.deepEqual(lines.filter((l) => l.msg === 'producer finished').map((l) => l.camera).sort(), ['east', 'north', 'south']);
    const ended = lines.find((l) => l.msg === 'all cameras ended')!;
    assert.deepEqual([ended.finished, ended.failed], [3, ['gone', 'garbage']]);
  });

  it('on SIGTERM mid-run stops every camera, sends every captured frame, exits 0: no seq gaps; an unreachable RTSP camera retries meanwhile', async () => {
    const { args, topic } = await fresh(3);
    const metricsPort = await freePort();
    const deadRtsp = `rtsp://127.0.0.1:${await freePort()}/nobody-home`;
    const file = config('live.yaml', [
      'defaults:',
      '  realtime: true',
      '  loop: true',
      'cameras:',
      `  - { id: walk, source: "file:${VTEST}" }`,
      `  - { id: walk-small, source: "file:${VTEST}", width: 192 }`,
      '  - { id: synth, source: "synthetic:160x120", fps: 20 }',
      `  - { id: dead, source: "${deadRtsp}", fps: 5 }`,
    ]);
    const producer = vsp(['producer', '--config', file, ...args, '--stats-interval', '0.5', '--metrics-port', String(metricsPort)], { VSP_LOG_LEVEL: 'info' });
    const live = ['walk', 'walk-small', 'synth'];
    await waitForLog(producer, '10 frames published by each camera', (lines) => {
      const p = lastProgress(lines);
      return live.every((id) => Number(p.get(id)?.published ?? 0) >= 10);
    });

    // Each camera has its own series.
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    for (const id of live) assert.match(metrics, new RegExp(`^vsp_producer_frames_published_total\\{camera="${id}"\\} [1-9]`, 'm'), id);
    assert.match(metrics, /^vsp_producer_frames_published_total\{camera="dead"\} 0$/m);

    // A frozen broker holds the sends, so every camera has frames buffered when the signal comes.
    kafka.pause();
    try {
      await waitForLog(producer, 'frames buffered in each camera', (lines) => {
        const p = lastProgress(lines);
        return live.every((id) => Number(p.get(id)?.bufferedFrames ?? 0) >= 3);
      });
      producer.child.kill('SIGTERM');
      await sleep(500);
    } finally {
      kafka.resume();
    }
    assert.equal(await producer.exited, 0, producer.stderr());

    const lines = logLines(producer.stderr());
    assert.ok(lines.some((l) => l.camera === 'dead' && l.msg === 'source lost; retrying'), 'the RTSP camera kept retrying');
    const finished = new Map(lines.filter((l) => l.msg === 'producer finished').map((l) => [l.camera!, l]));
    assert.deepEqual([...finished.keys()].sort(), ['dead', 'synth', 'walk', 'walk-small']);
    assert.equal(finished.get('dead')!.published, 0);

    const cameras = byCamera(await readFrames(kafka.bootstrap, topic));
    for (const id of live) {
      const f = finished.get(id)!;
      assert.equal(f.dropped, 0, id);
      assert.equal(f.published, f.captured, `${id}: every captured frame was sent`);
      assert.ok(Number(f.lastSeq) >= 13, `${id}: ran on while Kafka was frozen (last seq ${f.lastSeq})`);
      const records = cameras.get(id)!;
      assert.equal(new Set(records.map((x) => x.partition)).size, 1, `${id}: one partition`);
      assert.deepEqual(records.map((x) => x.frame.seq), range(1, Number(f.lastSeq)), `${id}: no seq gap`);
    }
    assert.ok(cameras.get('walk-small')!.every((x) => x.frame.width === 192 && x.frame.height === 144));
    assert.equal(cameras.get('dead'), undefined);
  });

  it('rides out a Kafka outage with all cameras on the shared producer: files wait, the live camera drops its oldest, no seq reused or lost', async () => {
    const { args, topic } = await fresh(2);
    const file = config('outage.yaml', [
      'cameras:',
      `  - { id: walk, source: "file:${VTEST}", realtime: true, loop: true }`,
      '  - { id: synth, source: "synthetic:160x120", fps: 15 }',
      // 640x480 stand-in frames are ~10 KB: 30 fps fills 1 MiB in about 3.5 s.
      '  - { id: pi, source: "picamera:640x480@30", bufferMb: 1 }',
    ]);
    const producer = vsp(['producer', '--config', file, ...args, '--stats-interval', '0.5'], {
      PATH: `${path.join(REPO, 'test/stand-ins')}:${process.env.PATH}`,
      VSP_LOG_LEVEL: 'info',
    });
    const ids = ['walk', 'synth', 'pi'];
    await waitForLog(producer, '10 frames published by each camera', (lines) => ids.every((id) => Number(lastProgress(lines).get(id)?.published ?? 0) >= 10));
    await kafka.down();
    await sleep(8_000);
    await kafka.up();
    const before = lastProgress(logLines(producer.stderr()));
    await waitForLog(producer, '20 more frames published by each camera', (lines) => {
      const p = lastProgress(lines);
      return ids.every((id) => Number(p.get(id)?.published ?? 0) >= Number(before.get(id)!.captured) + 20);
    }, 120_000);
    assert.equal(await producer.stop('SIGTERM'), 0, producer.stderr());

    const lines = logLines(producer.stderr());
    const finished = new Map(lines.filter((l) => l.msg === 'producer finished').map((l) => [l.camera!, l]));
    const cameras = byCamera(await readFrames(kafka.bootstrap, topic));
    for (const id of ids) {
      const f = finished.get(id)!;
      const seqs = cameras.get(id)!.map((x) => x.frame.seq);
      assert.equal(seqs.length, f.published, `${id}: what Kafka holds is what was published`);
      assert.equal(seqs.at(-1), f.lastSeq, `${id}: everything captured before SIGTERM was sent`);
      const gaps = seqs.slice(1).map((q, i) => q - seqs[i]! - 1);
      assert.ok(gaps.every((g) => g >= 0), `${id}: seqs strictly increasing (none duplicated, none reordered)`);
      assert.equal(gaps.reduce((a, b) => a + b, 0) + (seqs[0]! - 1), f.dropped, `${id}: the seq gaps are exactly the dropped frames`);
    }
    assert.equal(finished.get('walk')!.dropped, 0, 'a file waits for Kafka');
    assert.equal(finished.get('synth')!.dropped, 0, 'a synthetic scene waits for Kafka');
    assert.ok(Number(finished.get('pi')!.dropped) > 0, 'the live camera dropped its oldest frames');
  });

  it('folder: runs one camera per video file of a folder, named after the file', async () => {
    const { args, topic } = await fresh(2);
    const clips = path.join(work, 'clips');
    mkdirSync(clips);
    for (const name of ['north', 'east']) copyFileSync(path.join(work, `${name}.avi`), path.join(clips, `${name}.avi`));
    writeFileSync(path.join(clips, 'notes.txt'), 'not a video');
    const file = config('folder.yaml', ['cameras:', '  - { folder: clips, idPrefix: "lot-a." }']);
    const r = await vspRun(['producer', '--config', file, ...args, '--stats-interval', '0']);
    assert.equal(r.code, 0, r.stderr);
    const cameras = byCamera(await readFrames(kafka.bootstrap, topic));
    assert.deepEqual([...cameras.keys()].sort(), ['lot-a.east', 'lot-a.north']);
    assert.deepEqual(cameras.get('lot-a.north')!.map((x) => x.frame.seq), range(1, videos.north.frames));
    assert.deepEqual(cameras.get('lot-a.east')!.map((x) => x.frame.seq), range(1, videos.east.frames));
  });

  it('refuses one-camera flags with --config, and a bad config before touching Kafka', async () => {
    const file = config('one.yaml', ['cameras:', '  - { id: a, source: "synthetic:160x120", frames: 1 }']);
    const both = await vspRun(['producer', '--config', file, '--fps', '5', '--brokers', '127.0.0.1:9']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /^vsp: --fps describes one camera: with --config, set it in the file \(under defaults: or per camera\)$/m);
    const bad = config('bad.yaml', ['cameras:', '  - { id: a, source: "synthetic:160x120" }', '  - { id: a, source: "synthetic:160x120", fps: -2 }']);
    const r = await vspRun(['producer', '--config', bad, '--brokers', '127.0.0.1:9']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim(), `vsp: ${bad}: cameras[1].fps: expected a number ≥ 0 (0: no rate)`);
    const none = await vspRun(['producer', '--brokers', '127.0.0.1:9']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^vsp: required option '--source <spec>' not specified \(or --config FILE for many cameras\)$/m);
  });
});
