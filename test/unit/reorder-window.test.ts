import assert from 'node:assert/strict';
import { ReorderWindow } from '../../broker/reorder-window.js';

describe('ReorderWindow', () => {
  it('releases strictly in admission order whatever the completion order', () => {
    // Random completion orders over many trials; the released sequence is always 0..n-1.
    let rng = 12345;
    const random = () => ((rng = (rng * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let trial = 0; trial < 200; trial++) {
      const w = new ReorderWindow<number, string>(8);
      const released: number[] = [];
      let next = 0;
      const inFlight: number[] = [];
      while (released.length < 100) {
        while (!w.full && next < 100) inFlight.push(w.admit(next++));
        const pick = Math.floor(random() * inFlight.length);
        const [ticket] = inFlight.splice(pick, 1);
        w.complete(ticket!, `r${ticket}`);
        for (const r of w.release()) {
          assert.equal(r.result, `r${r.item}`);
          released.push(r.item);
        }
      }
      assert.deepEqual(released, Array.from({ length: 100 }, (_, i) => i));
      assert.equal(w.size, 0);
    }
  });

  it('holds completed records until the front one is done', () => {
    const w = new ReorderWindow<string, number>(3);
    const a = w.admit('a');
    const b = w.admit('b');
    const c = w.admit('c');
    assert.ok(w.full);
    assert.throws(() => w.admit('d'), /full/);
    w.complete(c, 3);
    w.complete(b, 2);
    assert.deepEqual(w.release(), []);
    assert.equal(w.size, 3);
    w.complete(a, 1);
    assert.deepEqual(w.release().map((r) => [r.item, r.result]), [['a', 1], ['b', 2], ['c', 3]]);
    assert.ok(!w.full);
  });

  it('rejects double completion and unknown tickets', () => {
    const w = new ReorderWindow<string, number>(2);
    const a = w.admit('a');
    w.complete(a, 1);
    assert.throws(() => w.complete(a, 1), /twice/);
    assert.throws(() => w.complete(5, 1), /not in the window/);
    w.release();
    assert.throws(() => w.complete(a, 1), /not in the window/);
  });

  it('clear() drops unreleased records and keeps numbering going', () => {
    const w = new ReorderWindow<string, number>(4);
    w.admit('a');
    const b = w.admit('b');
    w.complete(b, 2);
    assert.deepEqual(w.clear(), ['a', 'b']);
    assert.equal(w.size, 0);
    const c = w.admit('c');
    assert.ok(c > b);
    w.complete(c, 3);
    assert.deepEqual(w.release().map((r) => r.item), ['c']);
  });

  it('refuses a capacity below 1', () => {
    assert.throws(() => new ReorderWindow(0), RangeError);
  });
});
