// `--impl opencv-hog`: declared here, implemented in opencv-hog-detector.ts (needs the optional OpenCV).
import type { Implementation } from './implementation.js';

export const openCvHogImpl: Implementation = {
  name: 'opencv-hog',
  description: "people, with OpenCV's HOG people detector (optional OpenCV, docs/opencv.md)",
  flags: [],
  create: async () => (await import('./opencv-hog-detector.js')).createOpenCvHogDetector(),
};
