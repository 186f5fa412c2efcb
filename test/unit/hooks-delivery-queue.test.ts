import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { pino } from 'pino';
import { DeliveryQueue } from '../../consumer/hooks/delivery-queue.js';
import type { Target } from '../../consumer/hooks/target.js';
import type { RuleEvent } from '../../consumer/rules/engine.js';

/** A target whose deliveries the test settles by hand. */
class HandTarget implements Target {
  readonly name = 'hand';
  readonly calls: Array<{ id: string; signal: AbortSignal; ok: () => void; fail: (e: Error) => void }> = [];
  send(event: RuleEvent, signal: AbortSignal): Promise<void> {
    return new Promise((ok, fail) => {
      this.calls.push({ id: event.id, signal, ok, fail });
      signal.addEventListener('abort', () => fail(signal.reason as Error));
    });
  }
  close = async () => {};
}

const ev = (id: string): RuleEvent => ({ id, rule: 'r', type: 'new', camera: 'c', seq: 1, time: '' });
const log = pino({ level: 'silent' });

describe('hook delivery queue', () => {
  it('never blocks a push: when full it drops the oldest waiting event and counts it', async () => {
    const target = new HandTarget();
    const q = new DeliveryQueue(target, { size: 3, concurrency: 1, log });
    for (const id of ['e1', 'e2', 'e3', 'e4', 'e5']) q.push(ev(id));
    assert.deepEqual(target.calls.map((c) => c.id), ['e1'], 'one in flight');
    assert.equal(q.stats.dropped, 1);
    assert.equal(q.backlog, 4);
    for (let i = 0; i < 4; i++) {
      target.calls[i]!.ok();
      await tick();
    }
    assert.deepEqual(target.calls.map((c) => c.id), ['e1', 'e3', 'e4', 'e5'], 'e2, the oldest waiting, was dropped; order kept');
    assert.deepEqual(q.stats, { delivered: 4, failed: 0, dropped: 1 });
  });

  it('runs at most `concurrency` deliveries at once, and a failure does not stop the rest', async () => {
    const target = new HandTarget();
    const q = new DeliveryQueue(target, { size: 10, concurrency: 2, log });
    for (const id of ['a', 'b', 'c', 'd']) q.push(ev(id));
    assert.deepEqual(target.calls.map((c) => c.id), ['a', 'b']);
    target.calls[0]!.fail(new Error('receiver down'));
    await tick();
    assert.deepEqual(target.calls.map((c) => c.id), ['a', 'b', 'c']);
    target.calls[1]!.ok();
    target.calls[2]!.ok();
    await tick();
    target.calls[3]!.ok();
    await tick();
    assert.deepEqual(q.stats, { delivered: 3, failed: 1, dropped: 0 });
    assert.equal(await q.drain(1000), 0, 'nothing left');
  });

  it('drain gives up after its time, aborts what is in flight and reports what was abandoned', async () => {
    const target = new HandTarget();
    const q = new DeliveryQueue(target, { size: 10, concurrency: 1, log });
    for (const id of ['x', 'y', 'z']) q.push(ev(id));
    assert.equal(await q.drain(20), 3);
    assert.equal(target.calls[0]!.signal.aborted, true);
    await tick();
    assert.deepEqual(target.calls.map((c) => c.id), ['x'], 'the waiting ones were not started');
    q.push(ev('late'));
    assert.deepEqual(q.stats, { delivered: 0, failed: 1, dropped: 1 });
  });
});
