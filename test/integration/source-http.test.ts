// http(s):// through real ffmpeg, from a local MJPEG-over-HTTP server (multipart/x-mixed-replace,
// as IP cameras serve it) that drops the stream, refuses once, then serves again.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import sharp from 'sharp';
import { parseSource } from '../../producer/sources/index.js';
import type { SourceFrame } from '../../producer/sources/types.js';

const FRAMES_BEFORE_DROP = 10;
const shadeOf = (k: number) => 10 + 10 * k;

describe('http:// source (real ffmpeg)', function () {
  this.timeout(60_000);
  let server: Server;
  let url: string;
  let connections = 0;

  before(async () => {
    const jpegs = await Promise.all(
      Array.from({ length: 24 }, (_, k) => sharp({ create: { width: 96, height: 64, channels: 3, background: { r: shadeOf(k), g: shadeOf(k), b: shadeOf(k) } } }).jpeg().toBuffer()),
    );
    let next = 0; // frames are numbered across connections, so order can be checked after a drop
    server = createServer((req, res) => {
      connections++;
      if (connections === 2) {
        res.writeHead(503).end('camera busy');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'multipart/x-mixed-replace; boundary=vspframe' });
      let sent = 0;
      const timer = setInterval(() => {
        const jpeg = jpegs[next++ % jpegs.length]!;
        res.write(`--vspframe\r\nContent-Type: image/jpeg\r\nContent-Length: ${jpeg.length}\r\n\r\n`);
        res.write(Buffer.concat([jpeg, Buffer.from('\r\n')]));
        if (connections === 1 && ++sent === FRAMES_BEFORE_DROP) {
          clearInterval(timer);
          req.socket.destroy(); // the stream is lost mid-way
        }
      }, 40);
      req.socket.on('close', () => clearInterval(timer));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/video.mjpg`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('keeps going when the stream drops and the camera refuses once: frames in order, outage logged', async () => {
    const entries: Array<Record<string, unknown>> = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void entries.push(JSON.parse(line)) });
    const source = parseSource(url, { log });
    assert.equal(source.live, true);
    const abort = new AbortController();
    const frames: SourceFrame[] = [];
    for await (const f of source.frames(abort.signal)) {
      frames.push(f);
      if (frames.length === FRAMES_BEFORE_DROP + 5) abort.abort();
    }
    const shades = await Promise.all(frames.map(async (f) => Math.round((await sharp(f.image).stats()).channels[0]!.mean)));
    const indexes = shades.map((s) => Math.round((s - 10) / 10));
    assert.equal(frames.length, FRAMES_BEFORE_DROP + 5, 'nothing after the abort');
    // A frame in flight when the stream drops may be lost; the others come in order.
    const before = indexes.filter((k) => k < FRAMES_BEFORE_DROP);
    const after = indexes.filter((k) => k >= FRAMES_BEFORE_DROP);
    assert.deepEqual(before, Array.from({ length: before.length }, (_, k) => k), `shades ${shades.join(',')}`);
    assert.ok(before.length >= FRAMES_BEFORE_DROP - 1, `shades ${shades.join(',')}`);
    assert.deepEqual(after, Array.from({ length: after.length }, (_, k) => after[0]! + k), `shades ${shades.join(',')}`);
    assert.deepEqual(indexes, [...before, ...after]);
    assert.ok(frames.every((f) => f.width === 96 && f.height === 64));

    const lost = entries.filter((e) => e.msg === 'source lost; retrying');
    assert.equal(lost.length, 2);
    assert.match(String(lost[1]!.stderr), /5XX Server Error/);
    assert.equal(entries.filter((e) => e.msg === 'source resumed after a gap').length, 1);
    assert.equal(connections, 3);
  });
});
