// Edge mode (`vsp producer --detect IMPL`): a detector runs in the producer process and each
// frame carries its detections (Frame.edge), so the broker tracks it without a processor; the
// image itself is sent always, never or every N frames (--send-image). The detector comes from
// the processor's implementations, handed in by the CLI (components never import each other).
import { InvalidArgumentError, type Option } from 'commander';
import type { Detection__Output } from '../common/gen/vsp/v1/Detection.js';
import type { EdgeDetections } from '../common/gen/vsp/v1/EdgeDetections.js';
import type { Frame__Output } from '../common/gen/vsp/v1/Frame.js';

/** What the producer needs of a detector: processor/detector.ts's Detector fits. */
export interface EdgeDetector {
  readonly info: { name: string };
  detect(frames: Frame__Output[]): Promise<({ detections: Detection__Output[] } | { error: string })[]>;
  close(): Promise<void>;
}

/** The detector implementations the producer may run, with their flags. */
export interface EdgeDetectors {
  names: readonly string[];
  /** The implementations' own flags (--model, --format, …). */
  options(): Option[];
  create(name: string, options: object): Promise<EdgeDetector>;
}

/** --send-image: always, never, or every N-th frame (the first one included). */
export type SendImage = { every: number };

export function parseSendImage(value: string): SendImage {
  if (value === 'always') return { every: 1 };
  if (value === 'never') return { every: 0 };
  const m = /^every:(\d{1,9})$/.exec(value);
  if (m && Number(m[1]) >= 1) return { every: Number(m[1]) };
  throw new InvalidArgumentError('expected always, never or every:N (N ≥ 1)');
}

/** Whether the `index`-th frame (0-based, in capture order) of this run carries its image. */
export function sendsImage(policy: SendImage, index: number): boolean {
  return policy.every > 0 && index % policy.every === 0;
}

/**
 * Detects objects in one encoded frame. A frame the detector fails on gets no detections
 * attached (undefined): it then travels with its image, for a central processor to try.
 */
export async function detectAtEdge(detector: EdgeDetector, frame: Frame__Output): Promise<EdgeDetections | { error: string }> {
  const started = performance.now();
  const [outcome] = await detector.detect([frame]);
  const processMs = performance.now() - started;
  if (!outcome) return { error: 'detector returned no result' };
  if ('error' in outcome) return { error: outcome.error };
  return { detections: outcome.detections, detector: detector.info.name, processMs };
}
