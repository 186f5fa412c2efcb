// The bounded queue between a source and Kafka. Live sources must never stall the camera, so
// when the buffer is full the OLDEST frames are dropped (and counted; the seq gap tells the
// tracker). File sources instead wait for room: nothing of a file is ever dropped.

export interface Buffered {
  bytes: number;
}

export class FrameBuffer<T extends Buffered> {
  private items: T[] = [];
  private head = 0;
  private size = 0;
  private waiters: Array<() => void> = [];
  private readers: Array<() => void> = [];
  private closed = false;
  dropped = 0;

  constructor(private readonly maxBytes: number, private readonly dropOldest: boolean) {}

  get length(): number {
    return this.items.length - this.head;
  }

  get bytes(): number {
    return this.size;
  }

  /** Adds an item; for a blocking buffer, waits until it fits (a single oversized item always fits). */
  async push(item: T): Promise<void> {
    if (this.dropOldest) {
      while (this.length > 0 && this.size + item.bytes > this.maxBytes) {
        this.shift();
        this.dropped += 1;
      }
    } else {
      while (this.length > 0 && this.size + item.bytes > this.maxBytes) {
        const room = new Promise<void>((resolve) => this.waiters.push(resolve));
        // A lingering taker should not wait for a batch that cannot grow.
        this.readers.splice(0).forEach((wake) => wake());
        await room;
      }
    }
    this.items.push(item);
    this.size += item.bytes;
    this.readers.splice(0).forEach((wake) => wake());
  }

  /**
   * Removes and returns up to maxItems items totalling at most maxBytes (but always at least one),
   * waiting while the buffer is empty. With lingerMs, once there is an item it waits up to that
   * long for a full batch (fewer, bigger sends cost less CPU), unless a push is waiting for room.
   * Returns an empty array only once closed and drained.
   */
  async takeUpTo(maxItems: number, maxBytes: number, lingerMs = 0): Promise<T[]> {
    while (this.length === 0 && !this.closed) await this.nextPush();
    const deadline = performance.now() + lingerMs;
    while (!this.closed && this.length < maxItems && this.size < maxBytes && this.waiters.length === 0) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      await this.nextPush(left);
    }
    const out: T[] = [];
    let bytes = 0;
    while (out.length < maxItems && this.length > 0) {
      const next = this.items[this.head]!;
      if (out.length > 0 && bytes + next.bytes > maxBytes) break;
      bytes += next.bytes;
      out.push(this.shift());
    }
    return out;
  }

  /** No more items will be pushed: readers drain what is left, then get an empty array. */
  close(): void {
    this.closed = true;
    this.readers.splice(0).forEach((wake) => wake());
  }

  /** Resolves on the next push or close, or after timeoutMs. */
  private nextPush(timeoutMs?: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = timeoutMs === undefined ? undefined : setTimeout(resolve, timeoutMs);
      this.readers.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private shift(): T {
    const item = this.items[this.head]!;
    this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    this.size -= item.bytes;
    this.waiters.splice(0).forEach((wake) => wake());
    return item;
  }
}
