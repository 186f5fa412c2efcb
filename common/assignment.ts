// Rectangular min-cost linear assignment: shortest augmenting paths with dual potentials
// (Jonker-Volgenant family, as laid out by Crouse, "On implementing 2D rectangular assignment
// algorithms", 2016). O(n²·m) for an n×m problem with n ≤ m. Pure code, no I/O.
//
// Tie-breaking is deterministic and follows the same rules as SciPy's linear_sum_assignment
// (columns scanned from the last to the first, a free column wins a tie on path length, a tall
// matrix is solved transposed). SORT relies on that: which zero-overlap pairs the solver picks
// decides the order in which unmatched detections become new tracks, hence their ids.

/** Reusable solver: keeps its work arrays between calls, so that a hot loop does not allocate. */
export class AssignmentSolver {
  private capRows = 0;
  private capCols = 0;
  private u = new Float64Array(0);
  private v = new Float64Array(0);
  private pathCost = new Float64Array(0);
  private path = new Int32Array(0);
  private colForRow = new Int32Array(0);
  private rowForCol = new Int32Array(0);
  private remaining = new Int32Array(0);
  private rowVisited = new Uint8Array(0);
  private colVisited = new Uint8Array(0);
  private transposed = new Float64Array(0);

  /**
   * Minimises the total cost of assigning min(rows, cols) rows to distinct columns.
   * `cost` is row-major (rows × cols) and must be finite. Writes the column of each row into
   * `out[0..rows)` (-1 for a row left unassigned, which happens only when rows > cols) and
   * returns `out`.
   */
  solve(cost: ArrayLike<number>, rows: number, cols: number, out?: Int32Array): Int32Array {
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
      throw new RangeError(`assignment: bad shape ${rows}×${cols}`);
    }
    out ??= new Int32Array(rows);
    if (cost.length < rows * cols) throw new RangeError(`assignment: cost has ${cost.length} entries, need ${rows * cols}`);
    if (out.length < rows) throw new RangeError(`assignment: out has ${out.length} entries, need ${rows}`);
    for (let k = 0; k < rows * cols; k++) {
      if (!Number.isFinite(cost[k])) throw new RangeError(`assignment: cost[${Math.floor(k / cols)}][${k % cols}] is not finite`);
    }
    out.fill(-1, 0, rows);
    if (rows === 0 || cols === 0) return out;

    if (rows <= cols) {
      this.reserve(rows, cols);
      this.run(cost, rows, cols);
      out.set(this.colForRow.subarray(0, rows));
      return out;
    }
    // Tall: solve the transpose, where every (original) column gets a row.
    this.reserve(cols, rows);
    const t = this.transposed;
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = cost[i * cols + j] as number;
    this.run(t, cols, rows);
    for (let j = 0; j < cols; j++) out[this.colForRow[j] as number] = j;
    return out;
  }

  private reserve(rows: number, cols: number): void {
    if (rows > this.capRows || cols > this.capCols) {
      this.capRows = Math.max(rows, this.capRows);
      this.capCols = Math.max(cols, this.capCols);
      const r = this.capRows;
      const c = this.capCols;
      this.u = new Float64Array(r);
      this.v = new Float64Array(c);
      this.pathCost = new Float64Array(c);
      this.path = new Int32Array(c);
      this.colForRow = new Int32Array(r);
      this.rowForCol = new Int32Array(c);
      this.remaining = new Int32Array(c);
      this.rowVisited = new Uint8Array(r);
      this.colVisited = new Uint8Array(c);
      this.transposed = new Float64Array(r * c);
    }
  }

  /** rows ≤ cols: every row is assigned, one augmenting path per row. */
  private run(cost: ArrayLike<number>, rows: number, cols: number): void {
    const { u, v, pathCost, path, colForRow, rowForCol, remaining, rowVisited, colVisited } = this;
    u.fill(0, 0, rows);
    v.fill(0, 0, cols);
    colForRow.fill(-1, 0, rows);
    rowForCol.fill(-1, 0, cols);

    for (let start = 0; start < rows; start++) {
      // Dijkstra over reduced costs from the free row `start` to the nearest free column.
      rowVisited.fill(0, 0, rows);
      colVisited.fill(0, 0, cols);
      pathCost.fill(Infinity, 0, cols);
      let left = cols;
      for (let k = 0; k < cols; k++) remaining[k] = cols - 1 - k;
      let i = start;
      let dist = 0;
      let sink = -1;
      while (sink < 0) {
        rowVisited[i] = 1;
        let best = Infinity;
        let bestAt = -1;
        const base = i * cols;
        const ui = u[i] as number;
        for (let k = 0; k < left; k++) {
          const j = remaining[k] as number;
          const reduced = dist + (cost[base + j] as number) - ui - (v[j] as number);
          if (reduced < (pathCost[j] as number)) {
            path[j] = i;
            pathCost[j] = reduced;
          }
          const pc = pathCost[j] as number;
          if (pc < best || (pc === best && rowForCol[j] === -1)) {
            best = pc;
            bestAt = k;
          }
        }
        dist = best;
        const j = remaining[bestAt] as number;
        colVisited[j] = 1;
        remaining[bestAt] = remaining[--left] as number;
        if (rowForCol[j] === -1) sink = j;
        else i = rowForCol[j] as number;
      }

      // Update potentials so that reduced costs stay ≥ 0 and tight along the path.
      u[start] = (u[start] as number) + dist;
      for (let r = 0; r < rows; r++) {
        if (rowVisited[r] && r !== start) u[r] = (u[r] as number) + dist - (pathCost[colForRow[r] as number] as number);
      }
      for (let c = 0; c < cols; c++) {
        if (colVisited[c]) v[c] = (v[c] as number) - (dist - (pathCost[c] as number));
      }

      // Flip the path: every column on it takes the row it was reached from.
      let j = sink;
      for (;;) {
        const r = path[j] as number;
        rowForCol[j] = r;
        const prev = colForRow[r] as number;
        colForRow[r] = j;
        j = prev;
        if (r === start) break;
      }
    }
  }
}

/** One-off min-cost assignment; see AssignmentSolver.solve. */
export function solveAssignment(cost: ArrayLike<number>, rows: number, cols: number): Int32Array {
  return new AssignmentSolver().solve(cost, rows, cols);
}

/**
 * Min-cost matching where non-finite costs (NaN, ±Infinity) mark pairs that may not be matched:
 * first as many pairs as possible, then the least total cost among those. Returns the column of
 * each row, -1 where the row stays unmatched. (Forbidden pairs get a cost so large that one of
 * them outweighs any set of allowed ones; a pair the solver still picks with it is dropped.)
 */
export function minCostMatching(cost: ArrayLike<number>, rows: number, cols: number): Int32Array {
  const n = rows * cols;
  let maxAbs = 0;
  let anyForbidden = false;
  for (let k = 0; k < n; k++) {
    const c = cost[k] as number;
    if (Number.isFinite(c)) maxAbs = Math.max(maxAbs, Math.abs(c));
    else anyForbidden = true;
  }
  if (!anyForbidden) return solveAssignment(cost, rows, cols);
  // With r = min(rows, cols) pairs of cost in [-c, c], one forbidden pair plus r-1 allowed ones
  // must cost more than r allowed ones: big > (2r - 1)·c.
  const big = 2 * Math.min(rows, cols) * (maxAbs + 1) + 1;
  const finite = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const c = cost[k] as number;
    finite[k] = Number.isFinite(c) ? c : big;
  }
  const out = solveAssignment(finite, rows, cols);
  for (let i = 0; i < rows; i++) {
    const j = out[i] as number;
    if (j >= 0 && !Number.isFinite(cost[i * cols + j] as number)) out[i] = -1;
  }
  return out;
}
