// Frame timing (pure): realtime pacing of files and image folders, and the --fps cap of live sources.

/**
 * Holds frames back until their presentation time, measured from the first frame. When the
 * consumer fell behind by more than maxLagMs (Kafka blocked a while) or time went backwards,
 * it starts over from the current frame rather than rushing to catch up.
 */
export class RealtimePacer {
  private anchor: { ptsMs: number; atMs: number } | undefined;

  constructor(private readonly maxLagMs = 1000) {}

  /** Milliseconds to wait, from nowMs, before handing out the frame presented at ptsMs. */
  delayMs(ptsMs: number, nowMs: number): number {
    if (this.anchor && ptsMs >= this.anchor.ptsMs) {
      const delay = this.anchor.atMs + (ptsMs - this.anchor.ptsMs) - nowMs;
      if (delay >= -this.maxLagMs) return Math.max(0, delay);
    }
    this.anchor = { ptsMs, atMs: nowMs };
    return 0;
  }
}

/**
 * Drops frames from a source faster than `fps`, evenly (30 → 10 fps keeps every third frame).
 * The source's rate is a moving average of its frame gaps, so timing jitter neither costs
 * frames nor lets bursts through; a source within 10 % of the cap is let through whole. After a
 * pause (a camera restarting) the rate is measured afresh.
 */
export class FpsCap {
  private readonly pauseMs: number;
  private lastMs: number | undefined;
  private gapMs: number | undefined;
  private credit = 0;

  constructor(private readonly fps: number) {
    this.pauseMs = Math.max(1000, 4000 / fps);
  }

  accept(nowMs: number): boolean {
    if (this.lastMs !== undefined) {
      const gap = nowMs - this.lastMs;
      if (gap > this.pauseMs) {
        this.gapMs = undefined;
        this.credit = 0;
      } else {
        this.gapMs = this.gapMs === undefined ? gap : this.gapMs + 0.1 * (gap - this.gapMs);
      }
    }
    this.lastMs = nowMs;
    // Until a gap has been seen the source's rate is unknown: the frame goes through.
    const sourceFps = this.gapMs === undefined ? 0 : 1000 / Math.max(this.gapMs, 1e-3);
    const share = sourceFps <= this.fps * 1.1 ? 1 : this.fps / sourceFps;
    // Shares add up to whole frames (with slack for rounding: 3 × 1/3 is a frame); what is
    // left over carries to the next, so the average rate comes out right.
    this.credit += share;
    if (this.credit < 1 - 1e-6) return false;
    this.credit -= 1;
    return true;
  }
}
