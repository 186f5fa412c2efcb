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
 * Lets through at most `fps` frames a second on average (a generic cell rate algorithm). Half
 * an interval of tolerance keeps a source already at or under the rate from losing frames to
 * jitter; after a pause it does not let a burst through.
 */
export class FpsCap {
  private readonly intervalMs: number;
  private dueMs = -Infinity;

  constructor(fps: number) {
    this.intervalMs = 1000 / fps;
  }

  accept(nowMs: number): boolean {
    if (nowMs < this.dueMs - this.intervalMs / 2) return false;
    this.dueMs = Math.max(this.dueMs, nowMs) + this.intervalMs;
    return true;
  }
}
