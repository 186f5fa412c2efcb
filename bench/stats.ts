// Shared by the benchmarks: order statistics and the table + JSON output every bench prints.

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (s.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return s[lo]! + (s[hi]! - s[lo]!) * (rank - lo);
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Prints rows as an aligned text table (unless jsonOnly), then the JSON line. */
export function report(name: string, rows: Array<Record<string, string | number>>, extra: Record<string, unknown>, jsonOnly: boolean): void {
  if (!jsonOnly && rows.length > 0) {
    const cols = Object.keys(rows[0]!);
    const cell = (v: string | number) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : v);
    const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c] ?? '').length)));
    const line = (values: string[]) => values.map((v, i) => v.padStart(widths[i]!)).join('  ');
    console.log(line(cols));
    for (const r of rows) console.log(line(cols.map((c) => cell(r[c] ?? ''))));
  }
  console.log(JSON.stringify({ bench: name, node: process.version, ...extra, rows }));
}
