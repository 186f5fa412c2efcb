import assert from 'node:assert/strict';
import { BoundedSender } from '../../consumer/web/bounded-sender.js';

describe('BoundedSender (web viewer backpressure)', () => {
  function recording(maxInFlight: number) {
    const sent: number[] = [];
    const pending: Array<() => void> = [];
    const sender = new BoundedSender<number>((n, done) => {
      sent.push(n);
      pending.push(done);
    }, maxInFlight);
    return { sent, finishOne: () => pending.shift()!(), sender };
  }

  it('sends while fewer than maxInFlight are on their way, then only the newest of the rest', () => {
    const { sent, finishOne, sender } = recording(2);
    for (let n = 1; n <= 100; n++) sender.offer(n);
    assert.deepEqual(sent, [1, 2], 'two in flight at most');
    finishOne();
    assert.deepEqual(sent, [1, 2, 100], 'the newest waiting one goes next; the others are dropped');
    assert.equal(sender.dropped, 97);
    finishOne();
    finishOne();
    sender.offer(101);
    sender.offer(102);
    assert.deepEqual(sent, [1, 2, 100, 101, 102], 'room again: sent at once, in order');
    assert.equal(sender.dropped, 97);
  });

  it('holds at most one message for a client that never takes any', () => {
    const { sent, sender } = recording(1);
    for (let n = 1; n <= 10_000; n++) sender.offer(n);
    assert.deepEqual(sent, [1]);
    assert.equal(sender.dropped, 10_000 - 2, 'all but the one in flight and the newest');
  });

  it('keeps going when the transport finishes synchronously', () => {
    const sent: number[] = [];
    const sender = new BoundedSender<number>((n, done) => {
      sent.push(n);
      done();
    }, 1);
    for (let n = 1; n <= 5; n++) sender.offer(n);
    assert.deepEqual(sent, [1, 2, 3, 4, 5]);
    assert.equal(sender.dropped, 0);
  });
});
