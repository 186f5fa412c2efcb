// sharp, loaded on first use. Its native part comes in optional dependencies of its own
// (@img/sharp-<platform>), which `npm ci --omit=optional` leaves out: a static import would then
// stop every command, even those that never touch pixels (the broker, the replay processor, the
// mot: source). What needs pixels fails instead, with one line saying what to do.
import type sharpFn from 'sharp';

export type SharpFunction = typeof sharpFn;

let loading: Promise<SharpFunction> | undefined;

/** The sharp function, loaded once; rejects with a one-line reason when it cannot load. */
export function loadSharp(): Promise<SharpFunction> {
  loading ??= import('sharp').then(
    (m) => m.default,
    (err: unknown) => {
      const reason = (err instanceof Error ? err.message : String(err)).trim().split('\n')[0];
      throw new Error(`sharp cannot be loaded (${reason}): its native binaries are optional dependencies, run npm ci without --omit=optional`, { cause: err });
    },
  );
  return loading;
}
