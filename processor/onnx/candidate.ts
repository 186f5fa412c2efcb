// Shapes shared by the output decoders, NMS and the mapping back to source pixels.
import type { Box } from '../../common/boxes.js';

/** A model output as onnxruntime returns it: row-major data and its dimensions. */
export interface FloatTensor {
  data: Float32Array;
  dims: readonly number[];
}

/** One decoded box with its best class, before NMS. */
export interface Candidate extends Box {
  score: number;
  classId: number;
}

/** What decoding keeps: boxes scoring at least `score`, of the allowed classes (all when null). */
export interface DecodeFilter {
  score: number;
  allowed: ReadonlySet<number> | null;
}
