// Shapes shared by the output decoders, NMS and the mapping back to source pixels.

/** A model output as onnxruntime returns it: row-major data and its dimensions. */
export interface FloatTensor {
  data: Float32Array;
  dims: readonly number[];
}

/** An axis-aligned box, corners x1 < x2, y1 < y2. */
export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
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
