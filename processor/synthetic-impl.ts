// `--impl synthetic`: declared here, implemented in synthetic-detector.ts.
import type { Implementation } from './implementation.js';

export const syntheticImpl: Implementation = {
  name: 'synthetic',
  description: "finds the synthetic scene's rectangles from the pixels",
  flags: [],
  create: async () => (await import('./synthetic-detector.js')).createSyntheticDetector(),
};
