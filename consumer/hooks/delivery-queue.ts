// A bounded queue in front of one target, so a slow or dead receiver never holds up frames:
// push() never blocks; when the queue is full the oldest event is dropped and counted. At most
// `concurrency` deliveries run at once (1 keeps a target's events in order). Each push settles
// once its event was delivered, or failed or was dropped and then handed to `undelivered` (the
// dead-letter topic): a consumer that commits only settled frames loses no event.
import type { Logger } from '../../common/log.js';
import type { RuleEvent } from '../rules/event.js';
import { errorMessage, type Target } from './target.js';

export interface QueueOptions {
  size: number;
  concurrency: number;
  log: Logger;
  /** Where an event that could not be delivered goes (awaited before its push settles). */
  undelivered?: (event: RuleEvent, reason: string) => Promise<void>;
}

interface Queued {
  event: RuleEvent;
  settle: () => void;
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
  private readonly pending: Queued[] = [];
  private active = 0;
  private idle: Array<() => void> = [];
  private readonly abort = new AbortController();
  private lastDropWarning = -Infinity;

  constructor(readonly target: Target, private readonly o: QueueOptions) {}

  /** Queues an event; resolves once it was delivered or given up (dead-lettered); never rejects. */
  push(event: RuleEvent): Promise<void> {
    return new Promise((settle) => this.enqueue({ event, settle }));
  }

  private enqueue(item: Queued): void {
    if (this.abort.signal.aborted) {
      this.stats.dropped += 1;
      this.giveUp(item, 'the consumer is shutting down');
      return;
    }
    if (this.pending.length >= this.o.size) {
      this.giveUp(this.pending.shift() as Queued, `queue full (${this.o.size} events)`);
      this.stats.dropped += 1;
      if (Date.now() - this.lastDropWarning >= DROP_WARNING_MS) {
        this.lastDropWarning = Date.now();
        this.o.log.warn({ target: this.target.name, dropped: this.stats.dropped, queueSize: this.o.size }, 'hook queue full: dropping the oldest events');
      }
    }
    this.pending.push(item);
    this.pump();
  }

  private giveUp(item: Queued, reason: string): void {
    const undelivered = this.o.undelivered?.(item.event, `${this.target.name}: ${reason}`) ?? Promise.resolve();
    void undelivered
      .catch((err: unknown) => this.o.log.error({ target: this.target.name, event: item.event.id, err: errorMessage(err) }, 'event lost: not delivered and not dead-lettered'))
      .finally(item.settle);
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
    for (const item of this.pending.splice(0)) this.giveUp(item, 'not delivered before shutdown');
    this.abort.abort(new Error('shutting down'));
    return abandoned;
  }

  private pump(): void {
    while (this.active < this.o.concurrency && this.pending.length > 0) {
      const item = this.pending.shift() as Queued;
      const { event } = item;
      this.active += 1;
      this.target
        .send(event, this.abort.signal)
        .then(
          () => {
            this.stats.delivered += 1;
            item.settle();
          },
          (err: unknown) => {
            this.stats.failed += 1;
            this.o.log.warn({ target: this.target.name, event: event.id, err: errorMessage(err) }, 'event not delivered');
            this.giveUp(item, errorMessage(err));
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
