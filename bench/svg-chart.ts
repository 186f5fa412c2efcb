// A small line chart as SVG (rendered to PNG with sharp by scripts/charts.ts): axes with ticks
// and labels, one polyline per series, optional horizontal reference lines, and a legend.

export interface Series {
  name: string;
  points: Array<[number, number]>;
  /** Dashed line, for ideals and ceilings rather than measurements. */
  dashed?: boolean;
}

export interface ReferenceLine {
  y: number;
  label: string;
}

export interface LineChart {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Log2 x axis with a tick at each of these values (windows 1, 4, 16, 64 …); linear otherwise. */
  xLog2Ticks?: number[];
  /** Horizontal reference lines (targets, ceilings). */
  references?: ReferenceLine[];
  /** Top of the y axis (default: the highest point); lines above it are clipped. */
  yMax?: number;
  /** Log10 y axis, for values spanning decades (latencies from ms to s). */
  yLog10?: boolean;
  width?: number;
  height?: number;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const REFERENCE_DASHES = ['2 3', '12 4', '6 3 1 3'];
const FONT = 'DejaVu Sans, Arial, sans-serif';
const MARGIN = { left: 80, right: 24, top: 64, bottom: 64 };
const LEGEND_ROW = 20;

export function lineChartSvg(c: LineChart): string {
  const width = c.width ?? 860;
  const legendRows = c.series.length + (c.references?.length ?? 0);
  const plotHeight = (c.height ?? 480) - MARGIN.top - MARGIN.bottom;
  const height = MARGIN.top + plotHeight + MARGIN.bottom + legendRows * LEGEND_ROW + 8;
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const xs = c.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = [...c.series.flatMap((s) => s.points.map((p) => p[1])), ...(c.references ?? []).map((r) => r.y)].filter(Number.isFinite);

  const tx = c.xLog2Ticks ? (x: number) => Math.log2(x) : (x: number) => x;
  const xTicks = c.xLog2Ticks ?? niceTicks(0, Math.max(...xs, 1));
  const [x0, x1] = [Math.min(...xTicks.map(tx)), Math.max(...xTicks.map(tx))];
  const yTop = c.yMax ?? Math.max(...ys, 1);
  const yTicks = c.yLog10 ? logTicks(Math.min(...ys.filter((y) => y > 0)), yTop) : niceTicks(0, yTop);
  const yMax = yTicks.at(-1)!;
  const ty = c.yLog10 ? (y: number) => Math.log10(Math.max(y, yTicks[0]!)) : (y: number) => y;
  const [y0, y1] = [ty(yTicks[0]!), ty(yMax)];
  const px = (x: number) => MARGIN.left + ((tx(x) - x0) / (x1 - x0 || 1)) * plotWidth;
  const py = (y: number) => MARGIN.top + plotHeight - ((ty(y) - y0) / (y1 - y0 || 1)) * plotHeight;

  const out: string[] = [];
  const text = (x: number, y: number, s: string, attrs = '') =>
    out.push(`<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-family="${FONT}" ${attrs}>${escape(s)}</text>`);
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  out.push(`<clipPath id="plot"><rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotWidth}" height="${plotHeight}"/></clipPath>`);
  text(width / 2, 26, c.title, 'font-size="18" font-weight="bold" text-anchor="middle"');
  if (c.subtitle) text(width / 2, 46, c.subtitle, 'font-size="12" fill="#555" text-anchor="middle"');
  for (const t of yTicks) {
    out.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${py(t)}" y2="${py(t)}" stroke="#e5e5e5"/>`);
    text(MARGIN.left - 8, py(t) + 4, formatNumber(t), 'font-size="12" text-anchor="end"');
  }
  for (const t of xTicks) {
    out.push(`<line x1="${px(t)}" x2="${px(t)}" y1="${MARGIN.top + plotHeight}" y2="${MARGIN.top + plotHeight + 5}" stroke="#333"/>`);
    text(px(t), MARGIN.top + plotHeight + 20, formatNumber(t), 'font-size="12" text-anchor="middle"');
  }
  out.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#333"/>`);
  text(MARGIN.left + plotWidth / 2, MARGIN.top + plotHeight + 44, c.xLabel, 'font-size="14" text-anchor="middle"');
  const yMid = MARGIN.top + plotHeight / 2;
  text(20, yMid, c.yLabel, `font-size="14" text-anchor="middle" transform="rotate(-90 20 ${yMid})"`);

  let legendY = MARGIN.top + plotHeight + MARGIN.bottom + 6;
  const legend = (stroke: string, dash: string, label: string) => {
    out.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + 32}" y1="${legendY}" y2="${legendY}" stroke="${stroke}" stroke-width="2.5" ${dash}/>`);
    text(MARGIN.left + 40, legendY + 4, label, 'font-size="13"');
    legendY += LEGEND_ROW;
  };
  // Reference lines: thin, grey, each its own dash pattern, named in the legend.
  (c.references ?? []).filter((r) => r.y <= yMax).forEach((r, i) => {
    const dash = `stroke-dasharray="${REFERENCE_DASHES[i % REFERENCE_DASHES.length]}"`;
    out.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${py(r.y)}" y2="${py(r.y)}" stroke="#666" stroke-width="1.5" ${dash}/>`);
    legend('#666', dash, r.label);
  });
  c.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const dash = s.dashed ? 'stroke-dasharray="8 5"' : '';
    const pts = [...s.points].sort((a, b) => a[0] - b[0]).filter((p) => Number.isFinite(p[1]));
    out.push(`<polyline clip-path="url(#plot)" fill="none" stroke="${color}" stroke-width="2.5" ${dash} points="${pts.map((p) => `${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join(' ')}"/>`);
    if (!s.dashed) for (const p of pts.filter((q) => q[1] <= yMax)) out.push(`<circle cx="${px(p[0]).toFixed(1)}" cy="${py(p[1]).toFixed(1)}" r="4" fill="${color}"/>`);
    legend(color, dash, s.name);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">\n${out.join('\n')}\n</svg>\n`;
}

/** About 5 round tick values from lo to at least hi (steps of 1, 2 or 5 × 10^n). */
export function niceTicks(lo: number, hi: number): number[] {
  const raw = (hi - lo) / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let t = Math.floor(lo / step) * step; t < hi + step; t += step) {
    ticks.push(Number(t.toPrecision(12)));
    if (t >= hi) break;
  }
  return ticks;
}

/** The 1, 2, 5 × 10^n values from the largest at or below lo to the first at or above hi. */
export function logTicks(lo: number, hi: number): number[] {
  const all: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); all.length === 0 || all.at(-1)! < hi; e++) {
    for (const m of [1, 2, 5]) all.push(Number((m * 10 ** e).toPrecision(12)));
  }
  const first = all.filter((t) => t <= lo).at(-1) ?? all[0]!;
  const last = all.find((t) => t >= hi)!;
  return all.filter((t) => t >= first && t <= last);
}

function formatNumber(n: number): string {
  return n >= 10000 ? n.toLocaleString('en-US') : String(n);
}

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
