// SORT's constant-velocity Kalman filter on x = [cx, cy, s, r, vx, vy, vs] (s = area,
// r = aspect w/h), measuring z = [cx, cy, s, r], with the reference's noise:
//   P0 = diag(10,10,10,10, 1e4,1e4,1e4), R = diag(1,1,10,10), Q = diag(1,1,1,1, .01,.01,1e-4),
// covariance update in Joseph form.
//
// F, H, P0, Q and R all keep the pairs (cx,vx), (cy,vy), (s,vs) and the scalar r apart, so P
// stays block-diagonal forever: its other entries are exact zeros, in floating point too. The
// filter is therefore three 2-state filters and one 1-state filter, and a measurement update
// needs no 4×4 inverse (S is diagonal). The result equals the dense 7×7 computation up to the
// order of floating-point additions (the reference's own order is kept where it is cheap).
//
// A state is one Float64Array of STATE_LENGTH numbers:
//   [0..7)   x
//   [7..10)  P00, P04, P44   (cx, vx)
//   [10..13) P11, P15, P55   (cy, vy)
//   [13..16) P22, P26, P66   (s, vs)
//   [16]     P33             (r)

export const STATE_LENGTH = 17;

const P0_POS = 10;
const P0_VEL = 1e4;
const R_CENTRE = 1;
const R_SHAPE = 10;
const Q_POS = 1;
const Q_VEL = 0.01;
const Q_AREA_VEL = 1e-4;

/** First covariance slot of the (cx,vx), (cy,vy) and (s,vs) blocks. */
const BLOCKS = [7, 10, 13] as const;

/** Starts a filter at a measurement, with zero velocity. */
export function initState(out: Float64Array, cx: number, cy: number, s: number, r: number): Float64Array {
  out.fill(0, 0, STATE_LENGTH);
  out[0] = cx;
  out[1] = cy;
  out[2] = s;
  out[3] = r;
  for (const p of BLOCKS) {
    out[p] = P0_POS;
    out[p + 2] = P0_VEL;
  }
  out[16] = P0_POS;
  return out;
}

/** One constant-velocity step (x ← Fx, P ← FPFᵀ + Q), after the reference's guard on the area. */
export function predict(st: Float64Array): void {
  // An area that would go negative has no box: stop shrinking instead.
  if ((st[6] as number) + (st[2] as number) <= 0) st[6] = 0;
  st[0] = (st[0] as number) + (st[4] as number);
  st[1] = (st[1] as number) + (st[5] as number);
  st[2] = (st[2] as number) + (st[6] as number);
  predictBlock(st, 7, Q_VEL);
  predictBlock(st, 10, Q_VEL);
  predictBlock(st, 13, Q_AREA_VEL);
  st[16] = (st[16] as number) + Q_POS;
}

// [[a, b], [b, c]] ← F [[a, b], [b, c]] Fᵀ + diag(Q_POS, qVel) with F = [[1, 1], [0, 1]].
function predictBlock(st: Float64Array, p: number, qVel: number): void {
  const a = st[p] as number;
  const b = st[p + 1] as number;
  const c = st[p + 2] as number;
  st[p] = a + b + (b + c) + Q_POS;
  st[p + 1] = b + c;
  st[p + 2] = c + qVel;
}

/** Measurement update with z = [cx, cy, s, r]. */
export function update(st: Float64Array, cx: number, cy: number, s: number, r: number): void {
  updateBlock(st, 0, 4, 7, cx, R_CENTRE);
  updateBlock(st, 1, 5, 10, cy, R_CENTRE);
  updateBlock(st, 2, 6, 13, s, R_SHAPE);
  // r has no velocity: a scalar filter.
  const a = st[16] as number;
  const k = a * (1 / (a + R_SHAPE));
  st[3] = (st[3] as number) + k * (r - (st[3] as number));
  const m = 1 - k;
  st[16] = m * a * m + k * R_SHAPE * k;
}

// Scalar measurement z of position xi with velocity vi and covariance block [[a, b], [b, c]]:
// K = [a, b]/(a + rr); P ← (I - KH) P (I - KH)ᵀ + K rr Kᵀ (Joseph form).
function updateBlock(st: Float64Array, xi: number, vi: number, p: number, z: number, rr: number): void {
  const a = st[p] as number;
  const b = st[p + 1] as number;
  const c = st[p + 2] as number;
  const si = 1 / (a + rr);
  const k0 = a * si;
  const k1 = b * si;
  const y = z - (st[xi] as number);
  st[xi] = (st[xi] as number) + k0 * y;
  st[vi] = (st[vi] as number) + k1 * y;
  const m = 1 - k0;
  // (I - KH) P, rows: [m·a, m·b] and [b - k1·a, c - k1·b]
  const pa = m * a;
  const pb = m * b;
  const qa = b - k1 * a;
  const qb = c - k1 * b;
  st[p] = pa * m + k0 * rr * k0;
  st[p + 1] = pb - pa * k1 + k0 * rr * k1;
  st[p + 2] = qb - qa * k1 + k1 * rr * k1;
}

/** Indices (row-major in 7×7) of the covariance slots, in state order from slot 7. */
const COV_SLOTS: ReadonlyArray<readonly [number, number]> = [
  [0, 0], [0, 4], [4, 4],
  [1, 1], [1, 5], [5, 5],
  [2, 2], [2, 6], [6, 6],
  [3, 3],
];

/** The dense 7×7 covariance, row-major (49 numbers; entries outside the blocks are 0). */
export function covariance(st: Float64Array): number[] {
  const P = new Array<number>(49).fill(0);
  COV_SLOTS.forEach(([i, j], k) => {
    const value = st[7 + k] as number;
    P[i * 7 + j] = value;
    P[j * 7 + i] = value;
  });
  return P;
}

/**
 * Rebuilds a state from x (7) and a dense row-major P (49). Throws a RangeError naming the entry
 * when P is not one this filter can hold (non-finite, asymmetric, or non-zero outside the blocks).
 */
export function stateFrom(x: readonly number[], P: readonly number[], where: string): Float64Array {
  if (x.length !== 7) throw new RangeError(`${where}.x: expected 7 numbers, got ${x.length}`);
  if (P.length !== 49) throw new RangeError(`${where}.P: expected 49 numbers, got ${P.length}`);
  const st = new Float64Array(STATE_LENGTH);
  x.forEach((value, i) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new RangeError(`${where}.x[${i}] is not a finite number`);
    st[i] = value;
  });
  const inBlock = new Set(COV_SLOTS.flatMap(([i, j]) => [i * 7 + j, j * 7 + i]));
  P.forEach((value, k) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new RangeError(`${where}.P[${k}] is not a finite number`);
    if (!inBlock.has(k) && value !== 0) throw new RangeError(`${where}.P[${k}] must be 0 (constant-velocity blocks only)`);
    if (value !== P[(k % 7) * 7 + Math.floor(k / 7)]) throw new RangeError(`${where}.P[${k}] breaks symmetry`);
  });
  COV_SLOTS.forEach(([i, j], k) => {
    st[7 + k] = P[i * 7 + j] as number;
  });
  return st;
}
