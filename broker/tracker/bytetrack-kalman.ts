// ByteTrack's Kalman filter (the DeepSORT filter of ifzhang/ByteTrack's kalman_filter.py): a
// constant-velocity model on [cx, cy, a, h, vcx, vcy, va, vh] (box centre, aspect w/h, height
// and their velocities) measuring [cx, cy, a, h], with noise proportional to the height. Pure
// code.
//
// F, H, the noises and the initial covariance never mix the four (value, velocity) pairs, so the
// 8×8 covariance has exact zeros outside the 2×2 blocks of (cx,vcx), (cy,vcy), (a,va), (h,vh)
// and the filter runs as four 2-state filters. The arithmetic is the reference's, operation for
// operation, so that results are the same doubles: the measurement covariance is diagonal, its
// Cholesky factor is the square roots and the gain is solved as OpenBLAS's triangular solves do
// (multiplying twice by the reciprocal of the root); the covariance update is P - K·(S·Kᵀ), the
// order numpy's multi_dot picks. A block is not assumed symmetric: the update can make its two
// off-diagonal entries differ in the last bit, and the reference carries both.

/** Layout of one track's filter in a Float64Array: the mean, then per pair m its block. */
export const KF_LENGTH = 24;
/** Offset of pair m's block [P(m,m), P(m,m+4), P(m+4,m), P(m+4,m+4)]. */
const block = (m: number) => 8 + 4 * m;

const STD_POSITION = 1 / 20;
const STD_VELOCITY = 1 / 160;

/** A new track's state from its first measurement: zero velocities, covariance from the height. */
export function kfInitiate(st: Float64Array, cx: number, cy: number, a: number, h: number): Float64Array {
  st.fill(0);
  st[0] = cx;
  st[1] = cy;
  st[2] = a;
  st[3] = h;
  const pos = 2 * STD_POSITION * h;
  const vel = 10 * STD_VELOCITY * h;
  const aPos = 1e-2;
  const aVel = 1e-5;
  const stds = [pos, pos, aPos, pos];
  const velStds = [vel, vel, aVel, vel];
  for (let m = 0; m < 4; m++) {
    const b = block(m);
    const sp = stds[m] as number;
    const sv = velStds[m] as number;
    st[b] = sp * sp;
    st[b + 3] = sv * sv;
  }
  return st;
}

/** One frame of constant-velocity motion: x ← F x, P ← F P Fᵀ + Q(h). */
export function kfPredict(st: Float64Array): void {
  const h = st[3] as number;
  const pos = STD_POSITION * h;
  const vel = STD_VELOCITY * h;
  const aPos = 1e-2;
  const aVel = 1e-5;
  for (let m = 0; m < 4; m++) {
    st[m] = (st[m] as number) + (st[m + 4] as number);
    const b = block(m);
    const pp = st[b] as number;
    const pv = st[b + 1] as number;
    const vp = st[b + 2] as number;
    const vv = st[b + 3] as number;
    const qp = m === 2 ? aPos * aPos : pos * pos;
    const qv = m === 2 ? aVel * aVel : vel * vel;
    st[b] = pp + vp + (pv + vv) + qp;
    st[b + 1] = pv + vv;
    st[b + 2] = vp + vv;
    st[b + 3] = vv + qv;
  }
}

/** Corrects the state with the measurement [cx, cy, a, h]. */
export function kfUpdate(st: Float64Array, cx: number, cy: number, a: number, h: number): void {
  const r = STD_POSITION * (st[3] as number);
  for (let m = 0; m < 4; m++) {
    const b = block(m);
    const pp = st[b] as number;
    const pv = st[b + 1] as number;
    const vp = st[b + 2] as number;
    const vv = st[b + 3] as number;
    const noise = m === 2 ? 1e-1 * 1e-1 : r * r;
    const s = pp + noise;
    const inv = 1 / Math.sqrt(s);
    const k0 = pp * inv * inv;
    const k1 = vp * inv * inv;
    const innovation = (m === 0 ? cx : m === 1 ? cy : m === 2 ? a : h) - (st[m] as number);
    st[m] = (st[m] as number) + innovation * k0;
    st[m + 4] = (st[m + 4] as number) + innovation * k1;
    const t0 = s * k0;
    const t1 = s * k1;
    st[b] = pp - k0 * t0;
    st[b + 1] = pv - k0 * t1;
    st[b + 2] = vp - k1 * t0;
    st[b + 3] = vv - k1 * t1;
  }
}

/** The dense 8×8 covariance, row-major. */
export function kfCovariance(st: Float64Array): number[] {
  const P = new Array<number>(64).fill(0);
  for (let m = 0; m < 4; m++) {
    const b = block(m);
    P[m * 8 + m] = st[b] as number;
    P[m * 8 + m + 4] = st[b + 1] as number;
    P[(m + 4) * 8 + m] = st[b + 2] as number;
    P[(m + 4) * 8 + m + 4] = st[b + 3] as number;
  }
  return P;
}

/**
 * A state from a mean (8) and a dense row-major covariance (64); throws a RangeError naming
 * `where` when a value is not a finite number or the covariance has a non-zero entry outside
 * the (value, velocity) blocks, which this filter cannot represent.
 */
export function kfStateFrom(mean: unknown, covariance: unknown, where: string): Float64Array {
  if (!Array.isArray(mean) || mean.length !== 8) throw new RangeError(`${where}.mean: expected an array of 8 numbers`);
  if (!Array.isArray(covariance) || covariance.length !== 64) throw new RangeError(`${where}.covariance: expected an array of 64 numbers`);
  const st = new Float64Array(KF_LENGTH);
  mean.forEach((value: unknown, k) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new RangeError(`${where}.mean[${k}]: expected a finite number, got ${String(value)}`);
    st[k] = value;
  });
  covariance.forEach((value: unknown, k) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new RangeError(`${where}.covariance[${k}]: expected a finite number, got ${String(value)}`);
    const row = Math.floor(k / 8);
    const col = k % 8;
    if (row % 4 !== col % 4) {
      if (value !== 0) throw new RangeError(`${where}.covariance[${k}]: expected 0 outside the (value, velocity) blocks, got ${value}`);
      return;
    }
    const m = row % 4;
    st[block(m) + (row >= 4 ? 2 : 0) + (col >= 4 ? 1 : 0)] = value;
  });
  return st;
}
