import assert from 'node:assert/strict';
import { backoffDelayMs } from '../../producer/sources/backoff.js';
import { FpsCap, RealtimePacer } from '../../producer/sources/pacing.js';

describe('source timing', () => {
  describe('backoffDelayMs', () => {
    it('doubles from 500 ms and stays at the 10 s cap', () => {
      assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 50].map((a) => backoffDelayMs(a)), [500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
      assert.deepEqual([1, 2, 3].map((a) => backoffDelayMs(a, { initialMs: 50, maxMs: 120 })), [50, 100, 120]);
    });
  });

  describe('RealtimePacer', () => {
    it('holds each frame until its pts, counted from the first frame', () => {
      const p = new RealtimePacer();
      assert.equal(p.delayMs(5000, 100), 0);
      assert.equal(p.delayMs(5100, 100), 100);
      assert.equal(p.delayMs(5200, 250), 50);
      assert.equal(p.delayMs(5300, 420), 0, 'late by 20 ms: no wait, no re-anchoring');
      assert.equal(p.delayMs(5400, 420), 80, 'the schedule is kept after a small lag');
    });

    it('starts over after the consumer fell far behind, instead of rushing', () => {
      const p = new RealtimePacer(1000);
      p.delayMs(0, 0);
      assert.equal(p.delayMs(100, 5000), 0, '4.9 s late: re-anchored here');
      assert.equal(p.delayMs(200, 5000), 100, 'then paced from the new anchor');
    });

    it('starts over when time goes backwards', () => {
      const p = new RealtimePacer();
      p.delayMs(1000, 0);
      assert.equal(p.delayMs(0, 10), 0);
      assert.equal(p.delayMs(100, 10), 100);
    });
  });

  describe('FpsCap', () => {
    const accepted = (cap: FpsCap, times: number[]) => times.filter((t) => cap.accept(t));
    const jittered = (fps: number, seconds: number, jitterMs: number) => {
      let seed = 7;
      const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
      return Array.from({ length: fps * seconds }, (_, i) => (i * 1000) / fps + (random() - 0.5) * 2 * jitterMs);
    };

    it('keeps a 30 fps camera to 10 fps, every third frame', () => {
      const kept = accepted(new FpsCap(10), jittered(30, 60, 5));
      assert.ok(kept.length >= 599 && kept.length <= 601, `${kept.length} of 1800 frames in 60 s`);
      const gaps = kept.slice(1).map((t, i) => Math.round((t - kept[i]!) / (1000 / 30)));
      assert.ok(Math.min(...gaps) >= 2 && Math.max(...gaps) <= 4, `kept frames ${Math.min(...gaps)} to ${Math.max(...gaps)} frames apart`);
    });

    it('lets every frame through from a source at or under the rate, despite jitter', () => {
      assert.equal(accepted(new FpsCap(10), jittered(10, 30, 30)).length, 300);
      assert.equal(accepted(new FpsCap(10), jittered(8, 30, 30)).length, 240);
      assert.equal(accepted(new FpsCap(0.5), jittered(1, 60, 30)).length, 30, 'slow caps work too');
    });

    it('lets no burst through when a camera comes back after a pause', () => {
      const cap = new FpsCap(10);
      accepted(cap, jittered(30, 2, 0));
      const after = Array.from({ length: 30 }, (_, i) => 60_000 + (i * 1000) / 30);
      const kept = accepted(cap, after).map((t) => after.indexOf(t));
      assert.deepEqual(kept, [0, 3, 6, 9, 12, 15, 18, 21, 24, 27]);
    });
  });
});
