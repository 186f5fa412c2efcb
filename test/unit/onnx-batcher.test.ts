import assert from 'node:assert/strict';
import { Batcher } from '../../processor/onnx/batcher.js';

/** A run function that doubles its inputs and records the size of every run. */
function recorder(): { sizes: number[]; run: (items: number[]) => Promise<number[]> } {
  const sizes: number[] = [];
  return { sizes, run: async (items) => (sizes.push(items.length), items.map((i) => i * 2)) };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('Batcher (dynamic batching)', () => {
  it('runs at once, as one batch, when concurrent submits fill maxBatch', async () => {
    const r = recorder();
    const b = new Batcher(r.run, 4, 60_000);
    const first = b.submit([1, 2]);
    const second = b.submit([3, 4]);
    // Full batch: no waiting for the (minute-long) delay.
    assert.deepEqual(r.sizes, [4]);
    assert.deepEqual(await Promise.all([first, second]), [
      [2, 4],
      [6, 8],
    ]);
  });

  it('waits up to maxDelayMs for more work, then runs what it has', async () => {
    const r = recorder();
    const b = new Batcher(r.run, 8, 50);
    const first = b.submit([1]);
    assert.deepEqual(r.sizes, []);
    await nextTurn();
    const second = b.submit([2, 3]);
    assert.deepEqual(await Promise.all([first, second]), [[2], [4, 6]]);
    assert.deepEqual(r.sizes, [3]);
  });

  it('splits work larger than maxBatch into several runs and keeps results in order', async () => {
    const r = recorder();
    const b = new Batcher(r.run, 4, 0);
    assert.deepEqual(await b.submit([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
    assert.deepEqual(r.sizes, [4, 4, 2]);
  });

  it('never overlaps runs: work arriving during a run waits for it', async () => {
    let release!: () => void;
    const sizes: number[] = [];
    const b = new Batcher<number, number>(
      async (items) => {
        sizes.push(items.length);
        if (sizes.length === 1) await new Promise<void>((resolve) => (release = resolve));
        return items;
      },
      2,
      0,
    );
    const first = b.submit([1, 2]);
    const second = b.submit([3, 4]);
    const third = b.submit([5]);
    await nextTurn();
    assert.deepEqual(sizes, [2]);
    release();
    assert.deepEqual(await Promise.all([first, second, third]), [[1, 2], [3, 4], [5]]);
    assert.deepEqual(sizes, [2, 2, 1]);
  });

  it('rejects only the callers whose batch failed', async () => {
    const b = new Batcher<number, number>(async (items) => {
      if (items.includes(-1)) throw new Error('inference failed');
      return items;
    }, 2, 0);
    const bad = b.submit([-1, 1]);
    const good = b.submit([2, 3]);
    await assert.rejects(bad, /inference failed/);
    assert.deepEqual(await good, [2, 3]);
  });

  it('on close, runs queued work without waiting for the delay and refuses new work', async () => {
    const r = recorder();
    const b = new Batcher(r.run, 8, 60_000);
    const pending = b.submit([5]);
    await b.close();
    assert.deepEqual(r.sizes, [1]);
    assert.deepEqual(await pending, [10]);
    await assert.rejects(b.submit([1]), /closed/);
  });

  it('rejects a batch size below 1', () => {
    assert.throws(() => new Batcher(recorder().run, 0, 5), /maxBatch/);
  });

  it('runs up to `concurrency` batches at once, then the rest as runs finish (remote inference)', async () => {
    const started: number[][] = [];
    const finish: (() => void)[] = [];
    const b = new Batcher<number, number>((items) => (started.push(items), new Promise((resolve) => finish.push(() => resolve(items)))), 2, 60_000, 2);
    const all = [b.submit([1, 2]), b.submit([3, 4]), b.submit([5, 6]), b.submit([7])];
    assert.deepEqual(started, [[1, 2], [3, 4]], 'two full batches at once, the third waits');
    finish.shift()!();
    await nextTurn();
    assert.deepEqual(started.slice(2), [[5, 6]]);
    finish.splice(0).forEach((f) => f());
    await nextTurn();
    const closing = b.close();
    await nextTurn();
    assert.deepEqual(started.slice(3), [[7]], 'the last, partial batch runs on close');
    finish.splice(0).forEach((f) => f());
    await closing;
    assert.deepEqual(await Promise.all(all), [[1, 2], [3, 4], [5, 6], [7]]);
    assert.throws(() => new Batcher(recorder().run, 2, 5, 0), /concurrency/);
  });
});
