import assert from 'node:assert/strict';
import { LapjvSolver, lapjv } from '../../common/assignment.js';
import { rng } from './tracker-helpers.js';

/**
 * Least total cost of a matching where each row or column left unmatched costs limit / 2, by
 * enumeration (the problem lapjv with a cost limit solves).
 */
function bruteForce(cost: Float64Array, rows: number, cols: number, limit: number): number {
  const used = new Uint8Array(cols);
  let best = Infinity;
  const walk = (i: number, sum: number, matched: number) => {
    if (i === rows) {
      best = Math.min(best, sum + (rows - matched + cols - matched) * (limit / 2));
      return;
    }
    walk(i + 1, sum, matched);
    for (let j = 0; j < cols; j++) {
      if (used[j]) continue;
      used[j] = 1;
      walk(i + 1, sum + (cost[i * cols + j] as number), matched + 1);
      used[j] = 0;
    }
  };
  walk(0, 0, 0);
  return best;
}

describe('lapjv with a cost limit (the lap package)', () => {
  it('returns what lap 0.5.13 returns, ties included', () => {
    // Expected values: lap.lapjv(cost, extend_cost=True, cost_limit=limit) of lap 0.5.13.
    const cases: [number[][], number, number[], number[]][] = [
      [[[0, 0], [0, 0]], 0.8, [1, 0], [1, 0]],
      [[[0, 0, 0], [0, 0, 0]], 0.8, [2, 0], [1, -1, 0]],
      [[[0.1, 0.9], [0.2, 0.1]], 0.8, [0, 1], [0, 1]],
      [[[0.9, 0.85], [0.95, 0.7]], 0.8, [-1, 1], [-1, 1]],
      [[[0.8, 0.5]], 0.8, [1], [-1, 0]],
      [[[0.8]], 0.8, [0], [0]], // a pair costing exactly the limit is taken
      [[[0.81]], 0.8, [-1], [-1]],
      [[[0.4, 0.4, 0.4], [0.4, 0.4, 0.4]], 0.8, [2, 0], [1, -1, 0]],
      [[[0.3, 0.2, 0.9], [0.25, 0.6, 0.1], [0.5, 0.5, 0.5]], 0.5, [1, 2, 0], [2, 0, 1]],
      [[[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]], 0.7, [0, -1, 1], [0, 2]],
      [[[1, 0], [0, 1]], Infinity, [1, 0], [1, 0]],
      [[[0.3, 0.3, 0.2], [0.3, 0.3, 0.2]], Infinity, [2, 1], [-1, 1, 0]],
    ];
    for (const [matrix, limit, x, y] of cases) {
      const rows = matrix.length;
      const cols = (matrix[0] as number[]).length;
      const r = lapjv(matrix.flat(), rows, cols, limit);
      assert.deepEqual([Array.from(r.colForRow), Array.from(r.rowForCol)], [x, y], JSON.stringify([matrix, limit]));
    }
  });

  it('finds an optimal matching under the limit on random matrices (reusing one solver)', () => {
    const random = rng(11);
    const solver = new LapjvSolver();
    for (let t = 0; t < 300; t++) {
      const rows = 1 + Math.floor(random() * 6);
      const cols = 1 + Math.floor(random() * 6);
      const limit = [0.3, 0.5, 0.8, 1.2][t % 4] as number;
      const cost = new Float64Array(rows * cols);
      for (let k = 0; k < cost.length; k++) cost[k] = t % 2 ? random() : Math.round(random() * 5) / 5;
      const x = new Int32Array(rows);
      const y = new Int32Array(cols);
      solver.solve(cost, rows, cols, limit, x, y);
      let total = 0;
      let matched = 0;
      x.forEach((j, i) => {
        if (j < 0) return;
        assert.equal(y[j], i, 'x and y agree');
        total += cost[i * cols + j] as number;
        matched++;
      });
      y.forEach((i, j) => assert.ok(i < 0 || x[i] === j));
      total += (rows - matched + cols - matched) * (limit / 2);
      assert.ok(Math.abs(total - bruteForce(cost, rows, cols, limit)) < 1e-9, `case ${t}`);
    }
  });

  it('handles empty sides and refuses bad input', () => {
    assert.deepEqual(lapjv([], 0, 3, 0.8), { colForRow: new Int32Array(0), rowForCol: new Int32Array([-1, -1, -1]) });
    assert.deepEqual(lapjv([], 2, 0, 0.8), { colForRow: new Int32Array([-1, -1]), rowForCol: new Int32Array(0) });
    assert.throws(() => lapjv([0, Number.NaN], 1, 2, 0.8), /lapjv: cost\[0\]\[1\] is not finite/);
    assert.throws(() => lapjv([0], 1, 2, 0.8), /lapjv: cost has 1 entries, need 2/);
    assert.throws(() => lapjv([0], 1, 1, Number.NaN), /lapjv: costLimit must be a number/);
    assert.throws(() => lapjv([0], -1, 1, 0.8), /lapjv: bad shape/);
  });
});
