// Dynamic batching: items submitted by concurrent callers are gathered into one run of up to
// maxBatch items. A run starts as soon as maxBatch items wait, or when the oldest waiting item has
// waited maxDelayMs. By default runs never overlap (one local inference at a time uses all the
// cores it is given); `concurrency` lets several run at once (calls to a remote inference server,
// whose transfer and compute then overlap).
import { performance } from 'node:perf_hooks';

interface Pending<In, Out> {
  item: In;
  resolve: (out: Out) => void;
  reject: (err: unknown) => void;
  since: number;
}

export class Batcher<In, Out> {
  private readonly queue: Pending<In, Out>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running = 0;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  /** `run` gets 1..maxBatch items and returns one result per item, in order; at most `concurrency` runs at once. */
  constructor(
    private readonly run: (items: In[]) => Promise<Out[]>,
    private readonly maxBatch: number,
    private readonly maxDelayMs: number,
    private readonly concurrency = 1,
  ) {
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new Error(`maxBatch must be a positive integer, got ${maxBatch}`);
    if (!(maxDelayMs >= 0)) throw new Error(`maxDelayMs must be >= 0, got ${maxDelayMs}`);
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`concurrency must be a positive integer, got ${concurrency}`);
  }

  /** Queues the items (they may end up in different runs); resolves with their results in order. */
  submit(items: readonly In[]): Promise<Out[]> {
    if (this.closed) return Promise.reject(new Error('detector is closed'));
    const since = performance.now();
    const results = items.map((item) => new Promise<Out>((resolve, reject) => this.queue.push({ item, resolve, reject, since })));
    this.schedule();
    return Promise.all(results);
  }

  /** Runs what is queued without waiting for more, then resolves once nothing is running. */
  async close(): Promise<void> {
    this.closed = true;
    this.schedule();
    if (this.running > 0 || this.queue.length > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.running >= this.concurrency) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    // flush() takes its batch synchronously, so each turn of the loop sees what is left.
    while (this.running < this.concurrency) {
      const oldest = this.queue[0];
      if (!oldest) break;
      const wait = oldest.since + this.maxDelayMs - performance.now();
      if (!(this.closed || this.queue.length >= this.maxBatch || wait <= 0)) {
        this.timer = setTimeout(() => this.schedule(), wait);
        return;
      }
      void this.flush();
    }
    if (this.running === 0 && this.queue.length === 0) this.idleWaiters.splice(0).forEach((wake) => wake());
  }

  private async flush(): Promise<void> {
    this.running++;
    const batch = this.queue.splice(0, this.maxBatch);
    try {
      const outs = await this.run(batch.map((p) => p.item));
      if (outs.length !== batch.length) throw new Error(`batch of ${batch.length} gave ${outs.length} results`);
      batch.forEach((p, i) => p.resolve(outs[i]!));
    } catch (err) {
      batch.forEach((p) => p.reject(err));
    } finally {
      this.running--;
      this.schedule();
    }
  }
}
