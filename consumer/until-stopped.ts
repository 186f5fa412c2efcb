// How a reader of the consumer runs until it is told to stop: the signal aborts (Ctrl-C, `q` in
// a window), or, with --exit-when-idle, nothing has arrived for that many seconds.

/** Resolves when `signal` aborts or, given `exitWhenIdleS`, once `lastActivity()` is that old. */
export function untilStopped(signal: AbortSignal, exitWhenIdleS: number | undefined, lastActivity: () => number): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
    if (exitWhenIdleS === undefined) return;
    const idleMs = exitWhenIdleS * 1000;
    const timer = setInterval(() => {
      if (Date.now() - lastActivity() >= idleMs) {
        clearInterval(timer);
        resolve();
      }
    }, Math.min(250, idleMs));
    signal.addEventListener('abort', () => clearInterval(timer), { once: true });
  });
}
