import assert from 'node:assert/strict';
import { AssignmentSolver, minCostMatching, solveAssignment } from '../../common/assignment.js';
import { rng } from './tracker-helpers.js';

/** Least total cost over all assignments of min(rows, cols) pairs, by enumeration. */
function bruteForce(cost: Float64Array, rows: number, cols: number): number {
  const usedCols = new Uint8Array(cols);
  const usedRows = new Uint8Array(rows);
  const pairs = Math.min(rows, cols);
  let best = Infinity;
  // Walk the smaller side; each element takes a distinct partner on the other side.
  const walk = (k: number, sum: number) => {
    if (k === pairs) {
      best = Math.min(best, sum);
      return;
    }
    if (rows <= cols) {
      for (let j = 0; j < cols; j++) {
        if (usedCols[j]) continue;
        usedCols[j] = 1;
        walk(k + 1, sum + (cost[k * cols + j] as number));
        usedCols[j] = 0;
      }
    } else {
      for (let i = 0; i < rows; i++) {
        if (usedRows[i]) continue;
        usedRows[i] = 1;
        walk(k + 1, sum + (cost[i * cols + k] as number));
        usedRows[i] = 0;
      }
    }
  };
  walk(0, 0);
  return best;
}

/** Checks the assignment is one-to-one with min(rows, cols) pairs and returns its cost. */
function costOf(colForRow: Int32Array, cost: Float64Array, rows: number, cols: number): number {
  assert.equal(colForRow.length, rows);
  const seen = new Set<number>();
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const j = colForRow[i] as number;
    if (j === -1) continue;
    assert.ok(j >= 0 && j < cols, `column ${j} out of range`);
    assert.ok(!seen.has(j), `column ${j} assigned twice`);
    seen.add(j);
    total += cost[i * cols + j] as number;
  }
  assert.equal(seen.size, Math.min(rows, cols));
  return total;
}

describe('assignment solver', () => {
  it('finds the optimum of random integer matrices with many ties (all shapes up to 6×6)', () => {
    const random = rng(1);
    for (let rows = 1; rows <= 6; rows++) {
      for (let cols = 1; cols <= 6; cols++) {
        for (let trial = 0; trial < 15; trial++) {
          const cost = Float64Array.from({ length: rows * cols }, () => Math.floor(random() * 4) - 2);
          assert.equal(costOf(solveAssignment(cost, rows, cols), cost, rows, cols), bruteForce(cost, rows, cols), `${rows}×${cols} #${trial}`);
        }
      }
    }
  });

  it('finds the optimum of random real matrices, including tall and wide ones up to 7', () => {
    const random = rng(2);
    const solver = new AssignmentSolver(); // one instance: reused work arrays must not leak between calls
    for (let trial = 0; trial < 300; trial++) {
      const rows = 1 + Math.floor(random() * 7);
      const cols = 1 + Math.floor(random() * 7);
      const cost = Float64Array.from({ length: rows * cols }, () => (random() - 0.5) * 1000);
      const got = costOf(solver.solve(cost, rows, cols), cost, rows, cols);
      const want = bruteForce(cost, rows, cols);
      assert.ok(Math.abs(got - want) <= 1e-9 * Math.max(1, Math.abs(want)), `${rows}×${cols}: ${got} vs ${want}`);
    }
  });

  it('breaks ties deterministically: a constant matrix gives the identity, in any shape', () => {
    assert.deepEqual([...solveAssignment(new Float64Array(9), 3, 3)], [0, 1, 2]);
    assert.deepEqual([...solveAssignment(new Float64Array(6), 2, 3)], [0, 1]);
    assert.deepEqual([...solveAssignment(new Float64Array(6), 3, 2)], [0, 1, -1]);
    const random = rng(3);
    const cost = Float64Array.from({ length: 30 }, () => Math.floor(random() * 2));
    assert.deepEqual([...solveAssignment(cost, 5, 6)], [...solveAssignment(cost, 5, 6)]);
  });

  it('handles empty problems and rejects bad input', () => {
    assert.deepEqual([...solveAssignment(new Float64Array(0), 0, 4)], []);
    assert.deepEqual([...solveAssignment(new Float64Array(0), 3, 0)], [-1, -1, -1]);
    assert.throws(() => solveAssignment([0, Number.NaN, 1, 2], 2, 2), /cost\[0\]\[1\] is not finite/);
    assert.throws(() => solveAssignment([0, 1, 2], 2, 2), /cost has 3 entries, need 4/);
    assert.throws(() => solveAssignment([], -1, 2), /bad shape/);
  });
});

/** Most pairs over allowed (finite) entries, then least cost: by enumeration of partial matchings. */
function bruteForceMatching(cost: Float64Array, rows: number, cols: number): { pairs: number; total: number } {
  const used = new Uint8Array(cols);
  let best = { pairs: 0, total: 0 };
  const walk = (i: number, pairs: number, total: number) => {
    if (i === rows) {
      if (pairs > best.pairs || (pairs === best.pairs && total < best.total)) best = { pairs, total };
      return;
    }
    walk(i + 1, pairs, total);
    for (let j = 0; j < cols; j++) {
      const c = cost[i * cols + j] as number;
      if (used[j] || !Number.isFinite(c)) continue;
      used[j] = 1;
      walk(i + 1, pairs + 1, total + c);
      used[j] = 0;
    }
  };
  walk(0, 0, 0);
  return best;
}

describe('min-cost matching with forbidden pairs', () => {
  it('matches as many allowed pairs as possible, then at least cost (random, up to 5×5)', () => {
    const random = rng(4);
    for (let trial = 0; trial < 400; trial++) {
      const rows = 1 + Math.floor(random() * 5);
      const cols = 1 + Math.floor(random() * 5);
      const cost = Float64Array.from({ length: rows * cols }, () => (random() < 0.4 ? Number.NaN : Math.round(random() * 20) / 4));
      const colForRow = minCostMatching(cost, rows, cols);
      const seen = new Set<number>();
      let pairs = 0;
      let total = 0;
      colForRow.forEach((j, i) => {
        if (j < 0) return;
        assert.ok(Number.isFinite(cost[i * cols + j]), 'a forbidden pair was returned');
        assert.ok(!seen.has(j));
        seen.add(j);
        pairs++;
        total += cost[i * cols + j] as number;
      });
      assert.deepEqual({ pairs, total }, bruteForceMatching(cost, rows, cols), `trial ${trial}`);
    }
  });

  it('prefers two allowed pairs to one cheap pair that blocks them', () => {
    // Row 0 could take column 0 at cost -100, but then row 1 (only column 0 allowed) stays alone.
    const X = Number.POSITIVE_INFINITY;
    assert.deepEqual([...minCostMatching([-100, 5, 1, X], 2, 2)], [1, 0]);
  });
});
