// picamera: end to end through test/stand-ins/rpicam-vid, a documented STAND-IN for the Pi's
// rpicam-vid (no Pi camera can exist here) that writes an MJPEG stream to stdout the same way,
// with a COM segment naming its run and frame number in each JPEG.
import assert from 'node:assert/strict';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import sharp from 'sharp';
import { parseSource } from '../../producer/sources/index.js';
import { liveFrames } from '../../producer/sources/live-source.js';
import { picameraArgs } from '../../producer/sources/picamera.js';
import type { SourceFrame } from '../../producer/sources/types.js';

const STAND_INS = fileURLToPath(new URL('../../../test/stand-ins', import.meta.url));
const STAND_IN = join(STAND_INS, 'rpicam-vid');

interface LogEntry {
  level: number;
  msg: string;
  [key: string]: unknown;
}

function capturingLogger() {
  const entries: LogEntry[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void entries.push(JSON.parse(line) as LogEntry) });
  return { log, entries };
}

/** "stand-in run R frame N" from the JPEG's COM segment. */
function label(jpeg: Buffer): { run: number; frame: number } {
  assert.equal(jpeg.readUInt16BE(2), 0xfffe, 'COM right after SOI');
  const text = jpeg.subarray(6, 4 + jpeg.readUInt16BE(4)).toString();
  const m = /^stand-in run (\d+) frame (\d+)$/.exec(text);
  assert.ok(m, text);
  return { run: Number(m[1]), frame: Number(m[2]) };
}

async function take(frames: AsyncIterable<SourceFrame>, abort: AbortController, done: (all: SourceFrame[]) => boolean): Promise<SourceFrame[]> {
  const all: SourceFrame[] = [];
  for await (const f of frames) {
    all.push(f);
    if (done(all)) abort.abort();
  }
  return all;
}

describe('picamera source (rpicam-vid stand-in on PATH)', function () {
  this.timeout(60_000);
  const saved = { ...process.env };
  let state: string;

  beforeEach(async () => {
    state = await mkdtemp(join(tmpdir(), 'vsp-picam-'));
    process.env.PATH = `${STAND_INS}:${process.env.PATH}`;
    process.env.RPICAM_STANDIN_STATE = state;
  });
  afterEach(async () => {
    process.env = { ...saved };
    await rm(state, { recursive: true, force: true });
  });

  it('passes rpicam-vid JPEGs through, in order, with their real size', async () => {
    const { log, entries } = capturingLogger();
    const source = parseSource('picamera:320x240@30', { log });
    assert.equal(source.live, true);
    const abort = new AbortController();
    const frames = await take(source.frames(abort.signal), abort, (all) => all.length === 10);
    assert.equal(frames.length, 10);
    assert.deepEqual(frames.map((f) => label(f.image)), Array.from({ length: 10 }, (_, frame) => ({ run: 1, frame })));
    for (const f of frames) assert.deepEqual([f.width, f.height, f.sourceTimeNs], [320, 240, undefined]);
    const meta = await sharp(frames[0]!.image).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 320, 240]);
    const start = entries.find((e) => e.msg === 'starting capture');
    assert.equal(start?.command, STAND_IN);
    assert.deepEqual(start?.args, picameraArgs({ width: 320, height: 240, fps: 30 }));
  });

  it('keeps going when the camera dies and comes back: frames in order, outage and gap logged', async () => {
    process.env.RPICAM_STANDIN_DIE_AFTER = '8'; // run 1: 8 frames, half a frame, exit 255
    process.env.RPICAM_STANDIN_UNAVAILABLE = '1'; // run 2: "no cameras available"
    const { log, entries } = capturingLogger();
    const abort = new AbortController();
    const frames = await take(parseSource('picamera:160x120@30', { log }).frames(abort.signal), abort, (all) => label(all.at(-1)!.image).run === 3 && all.length >= 13);

    const labels = frames.map((f) => label(f.image));
    assert.deepEqual(labels.slice(0, 8), Array.from({ length: 8 }, (_, frame) => ({ run: 1, frame })));
    assert.deepEqual(labels.slice(8), Array.from({ length: labels.length - 8 }, (_, frame) => ({ run: 3, frame })));

    const lost = entries.filter((e) => e.msg === 'source lost; retrying');
    assert.equal(lost.length, 2);
    assert.match(String(lost[0]!.stderr), /Device timeout detected/);
    assert.equal(lost[0]!.exitCode, 255);
    assert.deepEqual((lost[0]!.splitter as { pendingBytes: number }).pendingBytes > 0, true, 'the half frame was held back, not passed on');
    assert.match(String(lost[1]!.stderr), /no cameras available/);
    assert.deepEqual(lost.map((e) => [e.attempt, e.retryInMs, e.level]), [[1, 500, 40], [2, 1000, 40]]);
    const resumed = entries.filter((e) => e.msg === 'source resumed after a gap');
    assert.equal(resumed.length, 1);
    assert.ok(Number(resumed[0]!.gapMs) >= 1500, `gap ${resumed[0]!.gapMs} ms covers both waits`);
    assert.equal(resumed[0]!.source, 'picamera:160x120@30');
  });

  it('restarts a camera that stops sending without exiting', async () => {
    process.env.RPICAM_STANDIN_HANG_AFTER = '3';
    const { log, entries } = capturingLogger();
    const abort = new AbortController();
    const source = liveFrames(
      {
        description: 'picamera',
        log,
        stallMs: 2000, // well above the stand-in's start-up time on a busy machine
        backoff: { initialMs: 50, maxMs: 100 },
        prepare: async () => ({ command: STAND_IN, args: picameraArgs({ width: 64, height: 48, fps: 30 }) }),
      },
      abort.signal,
    );
    const frames = await take(source, abort, (all) => all.length === 6);
    assert.deepEqual(frames.map((f) => label(f.image).run), [1, 1, 1, 2, 2, 2]);
    const stalled = entries.filter((e) => e.msg === 'source stalled; restarting');
    assert.equal(stalled.length, 1);
    assert.deepEqual([stalled[0]!.exitSignal, (stalled[0]!.splitter as { frames: number }).frames], ['SIGKILL', 3]);
  });

  it('drops frames above --fps, asking the camera for that rate when the spec names none', async () => {
    const { log, entries } = capturingLogger();
    const abort = new AbortController();
    const frames = await take(parseSource('picamera:64x48@30', { log, fps: 10 }).frames(abort.signal), abort, (all) => all.length === 8);
    const numbers = frames.map((f) => label(f.image).frame);
    const steps = numbers.slice(1).map((n, i) => n - numbers[i]!);
    assert.ok(steps.every((d) => d >= 1) && steps.some((d) => d >= 2), `frames ${numbers.join(',')}: in order, some dropped`);
    assert.ok(numbers.at(-1)! >= 14, `8 of a 30 fps camera's frames at 10 fps span about 21 frames, got ${numbers.join(',')}`);

    // No mode in the spec: rpicam-vid is asked for 10 fps.
    const abort2 = new AbortController();
    await take(parseSource('picamera', { log, fps: 10 }).frames(abort2.signal), abort2, () => true);
    const started = entries.filter((e) => e.msg === 'starting capture').at(-1);
    assert.deepEqual(started?.args, ['-t', '0', '--codec', 'mjpeg', '-o', '-', '--framerate', '10', '-n']);
  });

  it('falls back to libcamera-vid when rpicam-vid is not on PATH', async () => {
    await symlink(STAND_IN, join(state, 'libcamera-vid'));
    process.env.PATH = `${state}:${dirname(process.execPath)}`;
    const { log, entries } = capturingLogger();
    const abort = new AbortController();
    const frames = await take(parseSource('picamera:64x48@30', { log }).frames(abort.signal), abort, (all) => all.length === 2);
    assert.equal(frames.length, 2);
    assert.equal(entries.find((e) => e.msg === 'starting capture')?.command, join(state, 'libcamera-vid'));
  });

  it('fails clearly when neither rpicam-vid nor libcamera-vid is installed', async () => {
    process.env.PATH = state;
    const { log } = capturingLogger();
    const abort = new AbortController();
    await assert.rejects(take(parseSource('picamera', { log }).frames(abort.signal), abort, () => true), /neither rpicam-vid nor libcamera-vid is on PATH/);
  });
});
