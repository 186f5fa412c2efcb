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

// ---------------------------------------------------------------------------------------------
// lapjv with a cost limit: the solver ByteTrack uses (the `lap` package's
// `lapjv(cost, extend_cost=True, cost_limit=L)`), reproduced step for step so that ties, hence
// which pairs are matched, come out the same. Jonker & Volgenant, "A shortest augmenting path
// algorithm for dense and sparse linear assignment problems", 1987: column reduction with
// reduction transfer, two rounds of augmenting row reduction, then augmentation by Dijkstra.

/** A pair's cost must stay below LARGE (the `lap` package's sentinel) for the solver to be exact. */
const LAPJV_LARGE = 1000000;

/** Reusable lapjv solver: keeps its work arrays between calls. */
export class LapjvSolver {
  private cap = 0;
  private cost = new Float64Array(0);
  private x = new Int32Array(0);
  private y = new Int32Array(0);
  private v = new Float64Array(0);
  private freeRows = new Int32Array(0);
  private unique = new Uint8Array(0);
  private pred = new Int32Array(0);
  private cols = new Int32Array(0);
  private d = new Float64Array(0);

  /**
   * Min-cost matching of a rows × cols matrix (row-major, finite) where a row or column may stay
   * unmatched at a price of costLimit / 2, as `lap.lapjv(cost, extend_cost=True,
   * cost_limit=costLimit)`: the problem is extended to a square (rows + cols) matrix (the
   * original top left, costLimit / 2 top right and bottom left, 0 bottom right), so a pair
   * costing more than costLimit is never worth taking. With costLimit = Infinity the matrix is
   * only padded with zeros to a square, as extend_cost alone does. Writes the column of each
   * row into colForRow[0..rows) and the row of each column into rowForCol[0..cols) (-1:
   * unmatched) and returns colForRow.
   */
  solve(
    cost: ArrayLike<number>,
    rows: number,
    cols: number,
    costLimit: number,
    colForRow: Int32Array = new Int32Array(rows),
    rowForCol: Int32Array = new Int32Array(cols),
  ): Int32Array {
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) throw new RangeError(`lapjv: bad shape ${rows}×${cols}`);
    if (cost.length < rows * cols) throw new RangeError(`lapjv: cost has ${cost.length} entries, need ${rows * cols}`);
    if (colForRow.length < rows || rowForCol.length < cols) throw new RangeError('lapjv: output arrays too short');
    if (typeof costLimit !== 'number' || Number.isNaN(costLimit)) throw new RangeError(`lapjv: costLimit must be a number, got ${String(costLimit)}`);
    for (let k = 0; k < rows * cols; k++) {
      if (!Number.isFinite(cost[k])) throw new RangeError(`lapjv: cost[${Math.floor(k / cols)}][${k % cols}] is not finite`);
    }
    colForRow.fill(-1, 0, rows);
    rowForCol.fill(-1, 0, cols);
    const limited = costLimit < Infinity;
    const n = limited ? rows + cols : Math.max(rows, cols);
    if (n === 0) return colForRow;
    this.reserve(n);
    const c = this.cost;
    const outside = limited ? costLimit / 2 : 0;
    for (let i = 0; i < n; i++) {
      const base = i * n;
      if (i < rows) {
        for (let j = 0; j < cols; j++) c[base + j] = cost[i * cols + j] as number;
        c.fill(outside, base + cols, base + n);
      } else {
        c.fill(outside, base, base + cols);
        c.fill(0, base + cols, base + n);
      }
    }
    this.run(n);
    const { x, y } = this;
    for (let i = 0; i < rows; i++) {
      const j = x[i] as number;
      colForRow[i] = j < cols ? j : -1;
    }
    for (let j = 0; j < cols; j++) {
      const i = y[j] as number;
      rowForCol[j] = i < rows ? i : -1;
    }
    return colForRow;
  }

  private reserve(n: number): void {
    if (n <= this.cap) return;
    const cap = Math.max(n, this.cap * 2, 16);
    this.cap = cap;
    this.cost = new Float64Array(cap * cap);
    this.x = new Int32Array(cap);
    this.y = new Int32Array(cap);
    this.v = new Float64Array(cap);
    this.freeRows = new Int32Array(cap);
    this.unique = new Uint8Array(cap);
    this.pred = new Int32Array(cap);
    this.cols = new Int32Array(cap);
    this.d = new Float64Array(cap);
  }

  /** The square n × n problem in this.cost: column reduction, two rounds of row reduction, augmentation. */
  private run(n: number): void {
    let free = this.columnReduction(n);
    for (let round = 0; round < 2 && free > 0; round++) free = this.augmentingRowReduction(n, free);
    if (free > 0) this.augment(n, free);
  }

  /** Column reduction and reduction transfer; returns the number of free rows (in freeRows). */
  private columnReduction(n: number): number {
    const { cost, x, y, v, freeRows, unique } = this;
    for (let i = 0; i < n; i++) {
      x[i] = -1;
      v[i] = LAPJV_LARGE;
      y[i] = 0;
    }
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const cij = cost[i * n + j] as number;
        if (cij < (v[j] as number)) {
          v[j] = cij;
          y[j] = i;
        }
      }
    }
    unique.fill(1, 0, n);
    for (let j = n - 1; j >= 0; j--) {
      const i = y[j] as number;
      if ((x[i] as number) < 0) x[i] = j;
      else {
        unique[i] = 0;
        y[j] = -1;
      }
    }
    let nFree = 0;
    for (let i = 0; i < n; i++) {
      if ((x[i] as number) < 0) freeRows[nFree++] = i;
      else if (unique[i]) {
        const j = x[i] as number;
        let min = LAPJV_LARGE;
        for (let j2 = 0; j2 < n; j2++) {
          if (j2 === j) continue;
          const reduced = (cost[i * n + j2] as number) - (v[j2] as number);
          if (reduced < min) min = reduced;
        }
        v[j] = (v[j] as number) - min;
      }
    }
    return nFree;
  }

  /** One round of augmenting row reduction over the nFree free rows; returns how many stay free. */
  private augmentingRowReduction(n: number, nFree: number): number {
    const { cost, x, y, v, freeRows } = this;
    let current = 0;
    let newFree = 0;
    let rrCount = 0;
    while (current < nFree) {
      rrCount++;
      const freeI = freeRows[current++] as number;
      const base = freeI * n;
      let j1 = 0;
      let v1 = (cost[base] as number) - (v[0] as number);
      let j2 = -1;
      let v2 = LAPJV_LARGE;
      for (let j = 1; j < n; j++) {
        const reduced = (cost[base + j] as number) - (v[j] as number);
        if (reduced < v2) {
          if (reduced >= v1) {
            v2 = reduced;
            j2 = j;
          } else {
            v2 = v1;
            v1 = reduced;
            j2 = j1;
            j1 = j;
          }
        }
      }
      let i0 = y[j1] as number;
      const v1New = (v[j1] as number) - (v2 - v1);
      const v1Lowers = v1New < (v[j1] as number);
      if (rrCount < current * n) {
        if (v1Lowers) v[j1] = v1New;
        else if (i0 >= 0 && j2 >= 0) {
          j1 = j2;
          i0 = y[j2] as number;
        }
        if (i0 >= 0) {
          if (v1Lowers) freeRows[--current] = i0;
          else freeRows[newFree++] = i0;
        }
      } else if (i0 >= 0) {
        freeRows[newFree++] = i0;
      }
      x[freeI] = j1;
      y[j1] = freeI;
    }
    return newFree;
  }

  /** Augments from each remaining free row along a shortest path to a free column. */
  private augment(n: number, nFree: number): void {
    const { x, y, freeRows, pred } = this;
    for (let f = 0; f < nFree; f++) {
      const start = freeRows[f] as number;
      let j = this.findPath(n, start);
      let i = -1;
      while (i !== start) {
        i = pred[j] as number;
        y[j] = i;
        const previous = x[i] as number;
        x[i] = j;
        j = previous;
      }
    }
  }

  /** Dijkstra over reduced costs from row `start`; updates the column potentials, returns the free column reached. */
  private findPath(n: number, start: number): number {
    const { cost, y, v, pred, cols, d } = this;
    const scan = { lo: 0, hi: 0 };
    let finalJ = -1;
    let nReady = 0;
    for (let j = 0; j < n; j++) {
      cols[j] = j;
      pred[j] = start;
      d[j] = (cost[start * n + j] as number) - (v[j] as number);
    }
    while (finalJ === -1) {
      if (scan.lo === scan.hi) {
        nReady = scan.lo;
        scan.hi = this.findMinimum(n, scan.lo);
        for (let k = scan.lo; k < scan.hi; k++) {
          const j = cols[k] as number;
          if ((y[j] as number) < 0) finalJ = j;
        }
      }
      if (finalJ === -1) finalJ = this.scanColumns(n, scan);
    }
    const mind = d[cols[scan.lo] as number] as number;
    for (let k = 0; k < nReady; k++) {
      const j = cols[k] as number;
      v[j] = (v[j] as number) + ((d[j] as number) - mind);
    }
    return finalJ;
  }

  /** Moves the columns of cols[lo..n) with the least d to cols[lo..hi); returns hi. */
  private findMinimum(n: number, lo: number): number {
    const { cols, d } = this;
    let hi = lo + 1;
    let mind = d[cols[lo] as number] as number;
    for (let k = hi; k < n; k++) {
      const j = cols[k] as number;
      const dj = d[j] as number;
      if (dj <= mind) {
        if (dj < mind) {
          hi = lo;
          mind = dj;
        }
        cols[k] = cols[hi] as number;
        cols[hi++] = j;
      }
    }
    return hi;
  }

  /**
   * Scans the columns of cols[lo..hi), lowering d of the columns not yet reached (cols[hi..n));
   * returns a free column reached at the current minimum distance, else -1 (lo, hi updated).
   */
  private scanColumns(n: number, scan: { lo: number; hi: number }): number {
    const { cost, cols, d, pred, y, v } = this;
    let { lo, hi } = scan;
    while (lo !== hi) {
      let j = cols[lo++] as number;
      const i = y[j] as number;
      const mind = d[j] as number;
      const h = (cost[i * n + j] as number) - (v[j] as number) - mind;
      for (let k = hi; k < n; k++) {
        j = cols[k] as number;
        const reduced = (cost[i * n + j] as number) - (v[j] as number) - h;
        if (reduced < (d[j] as number)) {
          d[j] = reduced;
          pred[j] = i;
          if (reduced === mind) {
            if ((y[j] as number) < 0) return j;
            cols[k] = cols[hi] as number;
            cols[hi++] = j;
          }
        }
      }
    }
    scan.lo = lo;
    scan.hi = hi;
    return -1;
  }
}

/** One-off lapjv with a cost limit; see LapjvSolver.solve. */
export function lapjv(cost: ArrayLike<number>, rows: number, cols: number, costLimit: number): { colForRow: Int32Array; rowForCol: Int32Array } {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) throw new RangeError(`lapjv: bad shape ${rows}×${cols}`);
  const colForRow = new Int32Array(rows);
  const rowForCol = new Int32Array(cols);
  new LapjvSolver().solve(cost, rows, cols, costLimit, colForRow, rowForCol);
  return { colForRow, rowForCol };
}
