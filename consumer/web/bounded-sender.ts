// Backpressure for one viewer: at most `maxInFlight` messages on their way to the client and one
// waiting; a newer message replaces the waiting one. A slow client so sees fewer, but always
// fresh, frames, and never makes the server queue without bound.

export class BoundedSender<T> {
  /** Messages replaced before they could be sent. */
  dropped = 0;
  private inFlight = 0;
  private waiting: { item: T } | undefined;

  /** `send` must call `done` once the message has left (or failed to). */
  constructor(
    private readonly send: (item: T, done: () => void) => void,
    private readonly maxInFlight: number,
  ) {}

  offer(item: T): void {
    if (this.inFlight < this.maxInFlight) return this.start(item);
    if (this.waiting) this.dropped += 1;
    this.waiting = { item };
  }

  private start(item: T): void {
    this.inFlight += 1;
    this.send(item, () => {
      this.inFlight -= 1;
      const next = this.waiting;
      this.waiting = undefined;
      if (next) this.start(next.item);
    });
  }
}
