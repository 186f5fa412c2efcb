// A bounded queue in front of one target, so a slow or dead receiver never holds up frames:
// push() never blocks; when the queue is full the oldest event is dropped and counted. At most
// `concurrency` deliveries run at once (1 keeps a target's events in order).
import type { Logger } from '../../common/log.js';
import type { RuleEvent } from '../rules/event.js';
import { errorMessage, type Target } from './target.js';

export interface QueueOptions {
  size: number;
  concurrency: number;
  log: Logger;
}

export interface DeliveryStats {
  delivered: number;
  failed: number;
  dropped: number;
}

/** At most one drop warning per this many ms: a dead receiver would otherwise flood the log. */
const DROP_WARNING_MS = 10_000;

export class DeliveryQueue {
  readonly stats: DeliveryStats = { delivered: 0, failed: 0, dropped: 0 };
  private readonly pending: RuleEvent[] = [];
  private active = 0;
  private idle: Array<() => void> = [];
  private readonly abort = new AbortController();
  private lastDropWarning = -Infinity;

  constructor(readonly target: Target, private readonly o: QueueOptions) {}

  push(event: RuleEvent): void {
    if (this.abort.signal.aborted) {
      this.stats.dropped += 1;
      return;
    }
    if (this.pending.length >= this.o.size) {
      this.pending.shift();
      this.stats.dropped += 1;
      if (Date.now() - this.lastDropWarning >= DROP_WARNING_MS) {
        this.lastDropWarning = Date.now();
        this.o.log.warn({ target: this.target.name, dropped: this.stats.dropped, queueSize: this.o.size }, 'hook queue full: dropping the oldest events');
      }
    }
    this.pending.push(event);
    this.pump();
  }

  /** Events queued or being delivered. */
  get backlog(): number {
    return this.pending.length + this.active;
  }

  /**
   * Waits until the backlog is delivered (or failed), at most timeoutMs; then gives up on the
   * rest (aborting deliveries in flight) and returns how many events were abandoned.
   */
  async drain(timeoutMs: number): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const done = new Promise<boolean>((resolve) => {
      if (this.backlog === 0) resolve(true);
      else this.idle.push(() => resolve(true));
    });
    const drained = await Promise.race([done, new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))]);
    clearTimeout(timer);
    const abandoned = drained ? 0 : this.backlog;
    this.pending.length = 0;
    this.abort.abort(new Error('shutting down'));
    return abandoned;
  }

  private pump(): void {
    while (this.active < this.o.concurrency && this.pending.length > 0) {
      const event = this.pending.shift() as RuleEvent;
      this.active += 1;
      this.target
        .send(event, this.abort.signal)
        .then(
          () => (this.stats.delivered += 1),
          (err: unknown) => {
            this.stats.failed += 1;
            this.o.log.warn({ target: this.target.name, event: event.id, err: errorMessage(err) }, 'event not delivered');
          },
        )
        .finally(() => {
          this.active -= 1;
          this.pump();
          if (this.backlog === 0) this.idle.splice(0).forEach((f) => f());
        });
    }
  }
}
