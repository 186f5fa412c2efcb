// `--impl replay` and its flags: declared here, implemented in replay-detector.ts.
import { nonNegativeInt } from '../common/cli/options.js';
import { UsageError } from '../common/errors.js';
import type { Implementation } from './implementation.js';

interface ReplayFlags {
  motDets?: string;
  latencyMs: string;
  seed: number;
}

export const replayImpl: Implementation<ReplayFlags> = {
  name: 'replay',
  description: 'answers with the detections of MOTChallenge files, for exact tests and benchmarks',
  flags: [
    { flags: '--mot-dets <dir>', description: 'directory of MOTChallenge detection files <camera_id>.txt' },
    { flags: '--latency-ms <a-b>', description: 'answer after a random delay in [a,b] ms (or a fixed "a")', default: '0' },
    { flags: '--seed <n>', description: 'seed of the random delays', parse: nonNegativeInt, default: 1 },
  ],
  async create(o) {
    if (!o.motDets) throw new UsageError('--impl replay needs --mot-dets DIR');
    const { createReplayDetector } = await import('./replay-detector.js');
    return createReplayDetector({ dir: o.motDets, latencyMs: parseLatency(o.latencyMs), seed: o.seed });
  },
};

/** Parses "a-b" or "a" (milliseconds) into a closed range. */
export function parseLatency(spec: string): [number, number] {
  const m = /^(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?$/.exec(spec.trim());
  if (!m) throw new UsageError(`--latency-ms: expected "a-b" or "a" in milliseconds, got '${spec}'`);
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  if (b < a) throw new UsageError(`--latency-ms: upper bound ${b} is below lower bound ${a}`);
  return [a, b];
}
