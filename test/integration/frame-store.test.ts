// The frame store client against a real redis-server: pipelined writes and reads, TTL expiry,
// corrupt values, the processor's per-frame errors, a store that is away (bounded, never a
// hang) and one that restarts empty.
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { EXPIRED_ERROR, FrameStore, FrameStoreUnavailable, NO_STORE_ERROR, frameRefFor, frameStoreKey, newRunId, resolveFrameImages } from '../../common/frame-store.js';
import type { Frame__Output } from '../../common/gen/vsp/v1/Frame.js';
import { FrameCodec } from '../../common/proto.js';
import { RedisServer } from '../helpers/redis.js';

const log = pino({ level: 'silent' });
const jpeg = (n: number) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(1000 + n, n)]);

function referenced(seq: number, key: string, image: Buffer): Frame__Output {
  // Through the codec, as a processor gets it.
  return FrameCodec.decode(FrameCodec.encode({ cameraId: 'cam', seq, width: 8, height: 8, encoding: 'JPEG', imageRef: frameRefFor(key, image) }));
}

describe('frame store (real redis-server)', function () {
  this.timeout(30_000);
  let redis: RedisServer;
  let store: FrameStore;

  before(async () => {
    redis = await RedisServer.start();
    store = FrameStore.open({ url: redis.url, timeoutMs: 500 }, log);
  });
  after(async () => {
    await store?.close();
    await redis?.stop();
  });

  it('stores images in one pipeline and gives them back by reference; inline frames are left alone', async () => {
    const run = newRunId();
    const images = [1, 2, 3].map(jpeg);
    await store.put(images.map((image, i) => ({ key: frameStoreKey('cam', run, i + 1), image })), 60);
    const frames = images.map((image, i) => referenced(i + 1, frameStoreKey('cam', run, i + 1), image));
    const inline = FrameCodec.decode(FrameCodec.encode({ cameraId: 'cam', seq: 4, width: 8, height: 8, encoding: 'JPEG', image: jpeg(4) }));
    assert.equal(frames[0]!.image.length, 0);
    assert.deepEqual(await resolveFrameImages(store, [...frames, inline]), [undefined, undefined, undefined, undefined]);
    frames.forEach((f, i) => assert.ok(f.image.equals(images[i]!)));
    assert.ok(inline.image.equals(jpeg(4)));
  });

  it('a missing or expired key and a value that is not what the reference says give that frame alone an error', async () => {
    const run = newRunId();
    const good = jpeg(5);
    await store.put([{ key: frameStoreKey('cam', run, 1), image: good }, { key: frameStoreKey('cam', run, 3), image: jpeg(6) }], 1);
    const frames = [
      referenced(1, frameStoreKey('cam', run, 1), good),
      referenced(2, frameStoreKey('cam', run, 2), good), // never stored
      referenced(3, frameStoreKey('cam', run, 3), jpeg(7)), // other bytes than referenced
    ];
    const problems = await resolveFrameImages(store, frames);
    assert.equal(problems[0], undefined);
    assert.equal(problems[1], EXPIRED_ERROR);
    assert.match(problems[2]!, /bytes, the reference says|does not match its sha256/);
    // The TTL passes.
    await new Promise((r) => setTimeout(r, 1300));
    const again = referenced(1, frameStoreKey('cam', run, 1), good);
    assert.deepEqual(await resolveFrameImages(store, [again]), [EXPIRED_ERROR]);
    assert.deepEqual(await resolveFrameImages(undefined, [referenced(1, 'k', good)]), [NO_STORE_ERROR]);
  });

  it('a store that is away fails within the timeout (FrameStoreUnavailable, never a hang); after a restart it serves again, empty', async () => {
    const key = frameStoreKey('cam', newRunId(), 1);
    await store.put([{ key, image: jpeg(1) }], 60);
    await redis.stop();
    const started = Date.now();
    await assert.rejects(resolveFrameImages(store, [referenced(1, key, jpeg(1))]), FrameStoreUnavailable);
    // (A write that timed out may still land once the client reconnects: another key here.)
    await assert.rejects(store.put([{ key: `${key}:other`, image: jpeg(1) }], 60), FrameStoreUnavailable);
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
    await redis.restart();
    // The client reconnects by itself (backoff up to 2 s).
    const deadline = Date.now() + 10_000;
    let problems: (string | undefined)[] | undefined;
    while (!problems) {
      try {
        problems = await resolveFrameImages(store, [referenced(1, key, jpeg(1))]);
      } catch (err) {
        if (!(err instanceof FrameStoreUnavailable) || Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    assert.deepEqual(problems, [EXPIRED_ERROR], 'a restart without persistence lost the image: reported for that frame');
    await store.put([{ key, image: jpeg(1) }], 60);
    assert.deepEqual(await resolveFrameImages(store, [referenced(1, key, jpeg(1))]), [undefined]);
  });
});
