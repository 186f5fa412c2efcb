import assert from 'node:assert/strict';
import { FrameBuffer } from '../../producer/frame-buffer.js';

interface Item {
  id: number;
  bytes: number;
}

const item = (id: number, bytes = 10): Item => ({ id, bytes });
const ids = (items: Array<{ id: number }>) => items.map((i) => i.id);
/** The promise's value, or 'still waiting' if it takes more than a second (for lingers of a minute). */
const within1s = <T>(p: Promise<T>) => Promise.race([p, new Promise<'still waiting'>((r) => setTimeout(() => r('still waiting'), 1000))]);

describe('FrameBuffer', () => {
  it('drop-oldest (live): keeps the newest frames within the byte limit and counts the dropped', async () => {
    const b = new FrameBuffer<Item>(30, true);
    for (let id = 1; id <= 5; id++) await b.push(item(id));
    assert.deepEqual([b.length, b.bytes, b.dropped], [3, 30, 2]);
    assert.deepEqual(ids(await b.takeUpTo(10, 1000)), [3, 4, 5]);
  });

  it('drop-oldest: drops as many old frames as a big one needs, but always keeps the newest', async () => {
    const b = new FrameBuffer<Item>(30, true);
    for (let id = 1; id <= 3; id++) await b.push(item(id));
    await b.push(item(4, 25));
    assert.deepEqual([ids(await b.takeUpTo(10, 1000)), b.dropped], [[4], 3]);
    await b.push(item(5, 100)); // over the limit on its own: still taken
    assert.deepEqual(ids(await b.takeUpTo(10, 1000)), [5]);
  });

  it('blocking (files): push waits for room instead of dropping', async () => {
    const b = new FrameBuffer<Item>(20, false);
    await b.push(item(1));
    await b.push(item(2));
    let third = false;
    const pushed = b.push(item(3)).then(() => (third = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(third, false, 'waits while full');
    assert.deepEqual(ids(await b.takeUpTo(1, 1000)), [1]);
    await pushed;
    assert.deepEqual([ids(await b.takeUpTo(10, 1000)), b.dropped], [[2, 3], 0]);
  });

  it('takeUpTo honours the item and byte limits, giving at least one item', async () => {
    const b = new FrameBuffer<Item>(1000, true);
    for (let id = 1; id <= 5; id++) await b.push(item(id, id === 1 ? 50 : 10));
    assert.deepEqual(ids(await b.takeUpTo(10, 20)), [1], 'one oversized item');
    assert.deepEqual(ids(await b.takeUpTo(10, 25)), [2, 3]);
    assert.deepEqual(ids(await b.takeUpTo(1, 1000)), [4]);
    assert.equal(b.bytes, 10);
  });

  it('takeUpTo waits for an item; after close it drains, then returns empty', async () => {
    const b = new FrameBuffer<Item>(100, false);
    const waiting = b.takeUpTo(10, 100);
    await b.push(item(1));
    assert.deepEqual(ids(await waiting), [1]);
    await b.push(item(2));
    b.close();
    assert.deepEqual(ids(await b.takeUpTo(10, 100)), [2]);
    assert.deepEqual(await b.takeUpTo(10, 100), []);
  });

  describe('linger', () => {
    it('waits for more items to fill the batch', async () => {
      const b = new FrameBuffer<Item>(1000, false);
      await b.push(item(1));
      const batch = b.takeUpTo(3, 1000, 60_000);
      await b.push(item(2));
      await new Promise((r) => setTimeout(r, 5));
      await b.push(item(3));
      assert.deepEqual(ids(await batch), [1, 2, 3]);
    });

    it('takes what is there once the linger time has passed', async () => {
      const b = new FrameBuffer<Item>(1000, false);
      await b.push(item(1));
      assert.deepEqual(ids(await b.takeUpTo(10, 1000, 20)), [1]);
    });

    it('stops lingering when the byte limit is reached, a push waits for room, or the buffer closes', async () => {
      const bytes = new FrameBuffer<Item>(1000, false);
      await bytes.push(item(1));
      const byBytes = bytes.takeUpTo(10, 20, 60_000);
      await bytes.push(item(2));
      assert.deepEqual(ids((await within1s(byBytes)) as Item[]), [1, 2]);

      const full = new FrameBuffer<Item>(20, false);
      await full.push(item(1));
      await full.push(item(2));
      const blocked = full.push(item(3));
      assert.deepEqual(ids((await within1s(full.takeUpTo(10, 1000, 60_000))) as Item[]), [1, 2]);
      await blocked;

      const closing = new FrameBuffer<Item>(1000, false);
      await closing.push(item(1));
      const lingering = closing.takeUpTo(10, 1000, 60_000);
      closing.close();
      assert.deepEqual(ids((await within1s(lingering)) as Item[]), [1]);
    });
  });
});
