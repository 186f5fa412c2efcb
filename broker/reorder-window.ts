// The ordered window of one partition: up to `capacity` records in flight at once, completed in
// any order, released strictly in the order they were admitted (Kafka offset order). Pure: no
// Kafka, no gRPC, no timers.

interface Slot<T, R> {
  item: T;
  done: boolean;
  result?: R;
}

export interface Released<T, R> {
  item: T;
  result: R;
}

export class ReorderWindow<T, R> {
  private slots: Array<Slot<T, R>> = [];
  private head = 0;
  /** Sequence number (0-based, in admission order) of slots[head]. */
  private base = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`window capacity must be a positive integer, got ${capacity}`);
  }

  /** Records admitted and not yet released (in flight or completed out of order). */
  get size(): number {
    return this.slots.length - this.head;
  }

  get full(): boolean {
    return this.size >= this.capacity;
  }

  /** Admits the next record; returns its ticket for complete(). Throws when the window is full. */
  admit(item: T): number {
    if (this.full) throw new Error('reorder window is full');
    this.slots.push({ item, done: false });
    return this.base + this.size - 1;
  }

  /** Marks a record done. Completing twice, or a ticket not in the window, is a bug and throws. */
  complete(ticket: number, result: R): void {
    const slot = this.slots[this.head + ticket - this.base];
    if (ticket < this.base || !slot) throw new Error(`ticket ${ticket} is not in the window`);
    if (slot.done) throw new Error(`ticket ${ticket} completed twice`);
    slot.done = true;
    slot.result = result;
  }

  /** Removes and returns the completed records at the front, in admission order. */
  release(): Array<Released<T, R>> {
    const out: Array<Released<T, R>> = [];
    while (this.head < this.slots.length && this.slots[this.head]!.done) {
      const slot = this.slots[this.head]!;
      out.push({ item: slot.item, result: slot.result as R });
      this.head += 1;
      this.base += 1;
    }
    if (this.head > 256 && this.head * 2 > this.slots.length) {
      this.slots = this.slots.slice(this.head);
      this.head = 0;
    }
    return out;
  }

  /** Drops everything not yet released (on revoke: those records are re-read by the next owner). */
  clear(): T[] {
    const dropped = this.slots.slice(this.head).map((s) => s.item);
    this.base += this.size;
    this.slots = [];
    this.head = 0;
    return dropped;
  }
}
