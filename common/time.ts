import type { Timestamp__Output } from './gen/google/protobuf/Timestamp.js';

// Wall-clock nanoseconds from a monotonic source: Date.now() has only ms resolution.
const EPOCH_OFFSET_NS = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

export function nowNs(): bigint {
  return EPOCH_OFFSET_NS + process.hrtime.bigint();
}

export function nsToTimestamp(ns: bigint): { seconds: number; nanos: number } {
  return { seconds: Number(ns / 1_000_000_000n), nanos: Number(ns % 1_000_000_000n) };
}

export function nowTimestamp(): { seconds: number; nanos: number } {
  return nsToTimestamp(nowNs());
}

/** Milliseconds since the epoch (fractional) of a protobuf Timestamp; NaN when absent. */
export function timestampToMs(ts: Timestamp__Output | null | undefined): number {
  return ts ? ts.seconds * 1000 + ts.nanos / 1e6 : NaN;
}

export function nowMs(): number {
  return Number(nowNs()) / 1e6;
}

/** Whether `work` finished before the deadline (ms since the epoch); it is not cancelled. */
export async function beforeDeadline(work: Promise<unknown>, deadline: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([work.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
