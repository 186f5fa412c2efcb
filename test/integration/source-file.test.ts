import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { pino } from 'pino';
import sharp from 'sharp';
import { parseSource } from '../../producer/sources/index.js';
import type { SourceFrame } from '../../producer/sources/types.js';

const run = promisify(execFile);
const VTEST = fileURLToPath(new URL('../../../samples/vtest.avi', import.meta.url));
const log = pino({ level: 'silent' });

async function probe(file: string): Promise<{ frames: number; fps: number }> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-count_frames', '-show_entries', 'stream=nb_read_frames,avg_frame_rate', '-of', 'json', file]);
  const stream = JSON.parse(stdout).streams[0];
  const [num, den] = String(stream.avg_frame_rate).split('/').map(Number);
  return { frames: Number(stream.nb_read_frames), fps: num! / den! };
}

async function take(spec: string, opts: object, n: number): Promise<SourceFrame[]> {
  const frames: SourceFrame[] = [];
  for await (const f of parseSource(spec, { log, ...opts }).frames(new AbortController().signal)) {
    frames.push(f);
    if (frames.length === n) break;
  }
  return frames;
}

describe('file: source (real ffmpeg)', function () {
  this.timeout(60_000);
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vsp-file-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('yields every frame of vtest.avi, in order, 768x576, with the file pts', async () => {
    const expected = await probe(VTEST);
    const source = parseSource(`file:${VTEST}`, { log });
    assert.equal(source.live, false);
    let count = 0;
    let first: Buffer | undefined;
    for await (const f of source.frames(new AbortController().signal)) {
      assert.deepEqual([f.width, f.height], [768, 576], `frame ${count}`);
      // pts in order: frame n is presented at n / fps.
      assert.equal(f.sourceTimeNs, BigInt(Math.round((count * 1e9) / expected.fps)), `frame ${count} pts`);
      first ??= f.image;
      count++;
    }
    assert.equal(count, expected.frames);
    const meta = await sharp(first!).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 768, 576]);
  });

  it('paces at the file frame rate with realtime (10 fps ±10 %)', async () => {
    const { fps } = await probe(VTEST);
    const abort = new AbortController();
    const at: number[] = [];
    for await (const _ of parseSource(`file:${VTEST}`, { log, realtime: true }).frames(abort.signal)) {
      at.push(performance.now());
      if (at.length === 31) abort.abort(); // the source then ends quietly
    }
    assert.equal(at.length, 31);
    const measured = 30 / ((at[30]! - at[0]!) / 1000);
    assert.ok(Math.abs(measured - fps) <= fps * 0.1, `${measured.toFixed(2)} fps, file has ${fps}`);
  });

  it('starts again at the end with loop, time still going forward', async () => {
    const clip = join(dir, 'clip.avi');
    await run('ffmpeg', ['-v', 'error', '-i', VTEST, '-frames:v', '12', '-c', 'copy', clip]);
    const { frames: length } = await probe(clip);
    assert.equal(length, 12);
    const frames = await take(`file:${clip}`, { loop: true }, 30);
    assert.equal(frames.length, 30);
    const pts = frames.map((f) => f.sourceTimeNs!);
    pts.slice(1).forEach((t, i) => assert.ok(t > pts[i]!, `pts ${i + 1} after pts ${i}`));
    assert.ok(frames[12]!.image.equals(frames[0]!.image), 'frame 12 is frame 0 again');
  });

  it('fails with a clear error for a missing or unreadable file', async () => {
    await assert.rejects(take(`file:${join(dir, 'nope.avi')}`, {}, 1), /file:.*nope\.avi: ffmpeg could not read it: .*No such file or directory/);
    const text = join(dir, 'notes.avi');
    await writeFile(text, 'not a video\n');
    await assert.rejects(take(`file:${text}`, {}, 1), /notes\.avi: ffmpeg could not read it: .*Invalid data/);
  });
});
