import assert from 'node:assert/strict';
import { MjpegSplitter } from '../../producer/sources/mjpeg-splitter.js';
import { makeJpegSamples, type JpegSamples } from './jpeg-samples.js';
import { mulberry32 } from '../../common/prng.js';

/** Deterministic PRNG, so a failure can be replayed. */
const prng = mulberry32;

/** Cuts `stream` into chunks of 1..maxChunk bytes. */
function chop(stream: Buffer, random: () => number, maxChunk: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0; at < stream.length; ) {
    const n = 1 + Math.floor(random() * maxChunk);
    chunks.push(stream.subarray(at, at + n));
    at += n;
  }
  return chunks;
}

/** Runs chunks through a splitter; checks that every byte is accounted for. */
function split(chunks: Buffer[], splitter = new MjpegSplitter()): { frames: Buffer[]; splitter: MjpegSplitter } {
  const frames = chunks.flatMap((c) => splitter.push(c));
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const out = frames.reduce((n, f) => n + f.length, 0);
  assert.equal(out + splitter.stats.discardedBytes + splitter.pendingBytes, total, 'bytes out + discarded + pending = bytes in');
  assert.equal(splitter.stats.frames, frames.length);
  return { frames, splitter };
}

const hex = (b: Buffer) => b.subarray(0, 8).toString('hex') + `…(${b.length} bytes)`;
function assertSameFrames(actual: Buffer[], expected: Buffer[]): void {
  assert.deepEqual(actual.map(hex), expected.map(hex));
  actual.forEach((f, i) => assert.ok(f.equals(expected[i]!), `frame ${i} differs`));
}

describe('MjpegSplitter', () => {
  let s: JpegSamples;
  let all: Buffer[];
  before(async () => {
    s = await makeJpegSamples();
    all = [s.vtest, ...s.small, s.restarts, s.progressive, s.exifThumbnail];
  });

  it('returns each real JPEG of a back-to-back stream, byte for byte, in order', () => {
    const { frames, splitter } = split([Buffer.concat(all)]);
    assertSameFrames(frames, all);
    assert.equal(splitter.stats.discardedBytes, 0);
  });

  it('finds the same frames however the stream is chunked', () => {
    const expected = [...all, ...all.slice().reverse()];
    const stream = Buffer.concat(expected);
    for (let seed = 1; seed <= 20; seed++) {
      assertSameFrames(split(chop(stream, prng(seed), [100, 4096, 70_000][seed % 3]!)).frames, expected);
    }
    const small = [s.small[0]!, s.restarts, s.small[1]!];
    for (const maxChunk of [1, 2, 3, 7]) assertSameFrames(split(chop(Buffer.concat(small), prng(maxChunk), maxChunk)).frames, small);
  });

  it('is not fooled by the SOI and EOI of an EXIF thumbnail', () => {
    const thumbnailEoi = s.exifThumbnail.indexOf(Buffer.from([0xff, 0xd9]));
    assert.ok(thumbnailEoi > 0 && thumbnailEoi < s.exifThumbnail.length - 2, 'the sample has an EOI before its end');
    const expected = [s.exifThumbnail, s.small[0]!, s.exifThumbnail];
    for (let seed = 1; seed <= 10; seed++) {
      assertSameFrames(split(chop(Buffer.concat(expected), prng(seed), 300)).frames, expected);
    }
  });

  it('passes scans with RST markers and fill bytes before header markers', () => {
    assert.ok(s.restarts.includes(Buffer.from([0xff, 0xd0])), 'the sample has RST0');
    const filled = Buffer.concat([s.small[0]!.subarray(0, 2), Buffer.from([0xff, 0xff]), s.small[0]!.subarray(2)]);
    assertSameFrames(split(chop(Buffer.concat([s.restarts, filled]), prng(3), 50)).frames, [s.restarts, filled]);
  });

  it('skips garbage before, between and after frames, counting it', () => {
    const random = prng(42);
    const garbage = (n: number) => {
      const g = Buffer.alloc(n);
      for (let i = 0; i < n; i++) g[i] = random() < 0.2 ? 0xff : Math.floor(random() * 256);
      // The bytes most likely to confuse: EOIs, stuffing, RSTs, a lone FF at the end.
      return Buffer.concat([g, Buffer.from([0xff, 0xd9, 0xff, 0x00, 0xff, 0xd0, 0xff])]);
    };
    const parts = [garbage(500), s.small[0]!, garbage(3), s.vtest, garbage(1000), s.progressive, garbage(77)];
    const stream = Buffer.concat(parts);
    const garbageBytes = parts.filter((_, i) => i % 2 === 0).reduce((n, g) => n + g.length, 0);
    for (let seed = 1; seed <= 10; seed++) {
      const { frames, splitter } = split(chop(stream, prng(seed), 999));
      assertSameFrames(frames, [s.small[0]!, s.vtest, s.progressive]);
      assert.equal(splitter.stats.discardedBytes + splitter.pendingBytes, garbageBytes); // pending: the last 0xFF
    }
  });

  it('finds a real frame hidden inside a false SOI whose segment length runs over it', () => {
    // FFD8 then an APP1 claiming 3000 bytes: walking that length lands inside the real frame.
    const falseStart = Buffer.from([0xff, 0xd8, 0xff, 0xe1, 0x0b, 0xb8]);
    const stream = Buffer.concat([falseStart, s.small[0]!, s.small[1]!]);
    assert.ok(s.small[0]!.length > 3000);
    for (const maxChunk of [1, 64, 100_000]) {
      const { frames, splitter } = split(chop(stream, prng(maxChunk), maxChunk));
      assertSameFrames(frames, [s.small[0]!, s.small[1]!]);
      assert.equal(splitter.stats.brokenFrames, 1);
      assert.equal(splitter.stats.discardedBytes, falseStart.length);
    }
  });

  it('drops a frame cut anywhere outside APPn segments, and keeps the next ones whole', () => {
    // vtest's header is COM, DQT, DHT, SOF0, SOS; the progressive one has scans with DHTs between.
    for (const whole of [s.vtest, s.progressive]) {
      const sos = whole.indexOf(Buffer.from([0xff, 0xda]));
      const inHeader = Array.from({ length: sos + 20 }, (_, i) => i + 1);
      const inScans = Array.from({ length: 40 }, (_, i) => sos + 20 + Math.floor(((whole.length - sos - 21) * i) / 40));
      for (const cut of [...inHeader, ...inScans]) {
        const stream = Buffer.concat([whole.subarray(0, cut), s.small[0]!, s.small[1]!]);
        for (const maxChunk of [13, 100_000]) {
          const { frames, splitter } = split(chop(stream, prng(cut), maxChunk));
          assertSameFrames(frames, [s.small[0]!, s.small[1]!]);
          assert.equal(splitter.stats.discardedBytes, cut, `cut at ${cut}`);
        }
      }
    }
  });

  it('holds an unfinished frame as pending, and does not count an SOI-EOI pair as an image', () => {
    const { frames, splitter } = split([Buffer.from([0xff, 0xd8, 0xff, 0xd9]), s.small[0]!, s.vtest.subarray(0, 1000)]);
    assertSameFrames(frames, [s.small[0]!]);
    assert.equal(splitter.pendingBytes, 1000);
  });

  it('drops frames over the size limit, keeping memory bounded', () => {
    const limit = s.vtest.length - 1;
    const splitter = new MjpegSplitter(limit);
    const stream = Buffer.concat([s.small[0]!, s.vtest, s.small[1]!, s.vtest, s.vtest, s.small[2]!]);
    const chunks = chop(stream, prng(7), 4096);
    const frames: Buffer[] = [];
    for (const c of chunks) {
      frames.push(...splitter.push(c));
      assert.ok(splitter.pendingBytes <= limit + 4096, `pending ${splitter.pendingBytes}`);
    }
    assertSameFrames(frames, s.small);
    assert.equal(splitter.stats.oversizedFrames, 3);
    assert.equal(splitter.stats.discardedBytes, 3 * s.vtest.length);
  });
});
