// The detector implementations `vsp processor --impl` can serve, in the order --help lists them.
// Each declares its name, flags and factory next to its code (see implementation.ts).
import type { Detector } from './detector.js';
import type { Implementation } from './implementation.js';
import { onnxImpl } from './onnx/impl.js';
import { kserveImpl } from './kserve-impl.js';
import { openCvHogImpl } from './opencv-hog-impl.js';
import { replayImpl } from './replay-impl.js';
import { syntheticImpl } from './synthetic-impl.js';

export const IMPLS: readonly Implementation<never>[] = [syntheticImpl, openCvHogImpl, onnxImpl, kserveImpl, replayImpl];

/** `options`: the parsed flags, the implementation's own among them. */
export function createDetector(impl: string, options: object): Promise<Detector> {
  const found = IMPLS.find((i) => i.name === impl);
  if (!found) throw new Error(`unknown processor implementation '${impl}'`);
  return found.create(options as never);
}
