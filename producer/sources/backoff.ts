// Retry schedule for live sources: doubling delays so a camera that is gone for good costs
// little, capped so one that comes back is picked up again within seconds.

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 10_000 };

/** Delay before retry number `attempt` (1 for the first): initialMs, doubling, at most maxMs. */
export function backoffDelayMs(attempt: number, o: BackoffOptions = DEFAULT_BACKOFF): number {
  return Math.min(o.maxMs, o.initialMs * 2 ** Math.max(0, attempt - 1));
}
