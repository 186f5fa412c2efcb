import assert from 'node:assert/strict';
import { STATE_LENGTH, covariance, initState, predict, stateFrom, update } from '../../broker/tracker/kalman.js';
import { rng } from './tracker-helpers.js';

// A plain dense 7×7 Kalman filter written straight from the textbook equations, with the
// reference SORT matrices, to check the block-wise filter against.
type M = number[][];
const zeros = (r: number, c: number): M => Array.from({ length: r }, () => new Array<number>(c).fill(0));
const eye = (n: number): M => zeros(n, n).map((row, i) => row.map((_, j) => (i === j ? 1 : 0)));
const diag = (d: number[]): M => d.map((v, i) => d.map((_, j) => (i === j ? v : 0)));
const mul = (a: M, b: M): M => a.map((row) => (b[0] as number[]).map((_, j) => row.reduce((s, v, k) => s + v * (b[k]?.[j] as number), 0)));
const add = (a: M, b: M): M => a.map((row, i) => row.map((v, j) => v + (b[i]?.[j] as number)));
const sub = (a: M, b: M): M => a.map((row, i) => row.map((v, j) => v - (b[i]?.[j] as number)));
const tr = (a: M): M => (a[0] as number[]).map((_, j) => a.map((row) => row[j] as number));
function inv(a: M): M {
  const n = a.length;
  const m = a.map((row, i) => [...row, ...(eye(n)[i] as number[])]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]?.[c] as number) > Math.abs(m[p]?.[c] as number)) p = r;
    [m[c], m[p]] = [m[p] as number[], m[c] as number[]];
    const pivot = m[c]?.[c] as number;
    m[c] = (m[c] as number[]).map((v) => v / pivot);
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]?.[c] as number;
      m[r] = (m[r] as number[]).map((v, k) => v - f * (m[c]?.[k] as number));
    }
  }
  return m.map((row) => row.slice(n));
}

const F = eye(7);
F[0]![4] = 1;
F[1]![5] = 1;
F[2]![6] = 1;
const H = zeros(4, 7).map((row, i) => row.map((_, j) => (i === j ? 1 : 0)));
const R = diag([1, 1, 10, 10]);
const Q = diag([1, 1, 1, 1, 0.01, 0.01, 1e-4]);

class DenseFilter {
  x: M;
  P = diag([10, 10, 10, 10, 1e4, 1e4, 1e4]);
  constructor(z: number[]) {
    this.x = [...z, 0, 0, 0].map((v) => [v]);
  }
  predict(): void {
    if ((this.x[6]![0] as number) + (this.x[2]![0] as number) <= 0) this.x[6]![0] = 0;
    this.x = mul(F, this.x);
    this.P = add(mul(mul(F, this.P), tr(F)), Q);
  }
  update(z: number[]): void {
    const y = sub(z.map((v) => [v]), mul(H, this.x));
    const PHt = mul(this.P, tr(H));
    const K = mul(PHt, inv(add(mul(H, PHt), R)));
    this.x = add(this.x, mul(K, y));
    const IKH = sub(eye(7), mul(K, H));
    this.P = add(mul(mul(IKH, this.P), tr(IKH)), mul(mul(K, R), tr(K)));
  }
}

function assertClose(actual: number[], expected: number[], what: string): void {
  actual.forEach((v, i) => {
    const e = expected[i] as number;
    assert.ok(Math.abs(v - e) <= 1e-9 * Math.max(1, Math.abs(e)), `${what}[${i}]: ${v} vs ${e}`);
  });
}

describe('tracker Kalman filter', () => {
  it('equals a dense 7×7 filter (Joseph form) over random predict/update sequences', () => {
    const random = rng(7);
    for (let trial = 0; trial < 10; trial++) {
      const z0 = [random() * 600, random() * 400, 500 + random() * 5000, 0.3 + random()];
      const dense = new DenseFilter(z0);
      const st = initState(new Float64Array(STATE_LENGTH), z0[0]!, z0[1]!, z0[2]!, z0[3]!);
      for (let step = 0; step < 30; step++) {
        dense.predict();
        predict(st);
        if (random() < 0.8) {
          const z = [random() * 600, random() * 400, 100 + random() * 5000, 0.3 + random()];
          dense.update(z);
          update(st, z[0]!, z[1]!, z[2]!, z[3]!);
        }
        assertClose([...st.subarray(0, 7)], dense.x.map((r) => r[0] as number), `trial ${trial} step ${step} x`);
        assertClose(covariance(st), dense.P.flat(), `trial ${trial} step ${step} P`);
      }
    }
  });

  it('stops a shrinking area before it would turn negative, as the reference does', () => {
    const st = initState(new Float64Array(STATE_LENGTH), 0, 0, 100, 1);
    st[6] = -150; // vs + s ≤ 0
    predict(st);
    assert.equal(st[6], 0);
    assert.equal(st[2], 100);
  });

  it('round-trips through the dense covariance and refuses a P it cannot hold', () => {
    const st = initState(new Float64Array(STATE_LENGTH), 1, 2, 3, 4);
    predict(st);
    update(st, 2, 3, 4, 5);
    const x = [...st.subarray(0, 7)];
    assert.deepEqual(stateFrom(x, covariance(st), 's'), st);
    const P = covariance(st);
    P[1] = 0.5;
    assert.throws(() => stateFrom(x, P, 's'), /s\.P\[1\] must be 0/);
    const Q2 = covariance(st);
    Q2[4] = (Q2[4] as number) + 1; // P[0][4] ≠ P[4][0]
    assert.throws(() => stateFrom(x, Q2, 's'), /s\.P\[4\] breaks symmetry/);
    assert.throws(() => stateFrom([1, 2, 3], covariance(st), 's'), /s\.x: expected 7 numbers/);
    assert.throws(() => stateFrom([...x.slice(0, 6), Number.NaN], covariance(st), 's'), /s\.x\[6\] is not a finite number/);
  });
});
