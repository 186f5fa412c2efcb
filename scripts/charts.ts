// `npm run bench:charts`: from docs/bench-results.json (written by `npm run bench`), draws the
// PNG charts of docs/benchmarks.md and rewrites its generated tables (between the
// `<!-- results:begin -->` and `<!-- results:end -->` markers), so a re-run updates the page.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { lineChartSvg, type Series } from '../bench/svg-chart.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const docs = path.join(root, 'docs');

type Row = Record<string, string | number>;
interface BenchResult {
  bench: string;
  error?: string;
  rows?: Row[];
  [key: string]: unknown;
}
interface Results {
  startedAt: string;
  note: string;
  machine: { cpus: number; cpuModel: string; memGiB: number; os: string; node: string; java: string; kafka: string; loadAverage: number[] };
  results: BenchResult[];
}
interface Target {
  value: number;
  target: number;
  [key: string]: number;
}
interface ClientTargets {
  sustainedNullFps?: Target;
  kafkaLimitShare?: Target;
  p50At8x30?: Target;
  p99At8x30?: Target;
  replay50Window64Fps?: Target;
  delivery?: Record<string, number>;
}
interface KafkaRate {
  framesPerS: number;
  mibPerS: number;
}

const results = JSON.parse(readFileSync(path.join(docs, 'bench-results.json'), 'utf8')) as Results;
const bench = (name: string) => results.results.find((r) => r.bench === name && !r.error);
const pipeline = bench('pipeline');
const pipelineRows = pipeline?.rows ?? [];
const throughput = pipelineRows.filter((r) => r.scenario === 'throughput');
const load = pipelineRows.filter((r) => r.scenario === 'load');
const kafkaLimit = pipeline?.kafkaLimit as { produceConsume: KafkaRate } | undefined;
/** The Kafka client libraries of the pipeline runs, in run order (older results have none: one unnamed). */
const clients = [...new Set(pipelineRows.map((r) => String(r.client ?? '')))];
const named = (client: string, text: string) => (client ? `${client}: ${text}` : text);
const when = `${results.startedAt.slice(0, 10)}, ${results.machine.cpus} cores, load average ${results.machine.loadAverage.join(' → ')}`;

async function writePng(name: string, svg: string): Promise<void> {
  await sharp(Buffer.from(svg)).png().toFile(path.join(docs, name));
  console.error(`wrote docs/${name}`);
}

// Throughput vs window: one line per (processor latency, batch); the window's ideal for a
// processor with latency L is window × partitions / L.
if (throughput.length > 0) {
  const series: Series[] = [];
  const keys = [...new Set(throughput.map((r) => `${r.latencyMs}/${r.batch}`))];
  for (const client of clients) {
    for (const key of keys) {
      const [latency, batch] = key.split('/').map(Number) as [number, number];
      const rows = throughput.filter((r) => String(r.client ?? '') === client && r.latencyMs === latency && r.batch === batch);
      const processor = latency === 0 ? 'null processor' : `replay ${latency} ms`;
      series.push({ name: named(client, `pipeline, ${processor}, batch ${batch}`), points: rows.map((r) => [Number(r.window), Number(r.fps)]) });
    }
  }
  const broker = bench('broker-window');
  const windows = [...new Set([...throughput, ...(broker?.rows ?? [])].map((r) => Number(r.window)))].sort((a, b) => a - b);
  const cameras = Number(throughput[0]!.cameras);
  for (const latency of [...new Set(throughput.map((r) => Number(r.latencyMs)))].filter((l) => l > 0)) {
    series.push({ name: `ideal for replay ${latency} ms (window × ${cameras} partitions / ${latency} ms)`, dashed: true, points: windows.map((w) => [w, (w * cameras * 1000) / latency]) });
  }
  if (broker?.rows) {
    series.push({ name: `broker bench: 1 camera from a backlog, replay ${String(broker.latencyMs)} ms, batch 1`, points: broker.rows.map((r) => [Number(r.window), Number(r.fps)]) });
  }
  const references = [{ y: 2500, label: 'target: 2,500 frames/s sustained (null processor)' }, { y: 1800, label: 'target: 1,800 frames/s (replay 50 ms, window 64)' }];
  if (kafkaLimit) references.unshift({ y: Math.round(kafkaLimit.produceConsume.framesPerS), label: 'kafka-limit: Kafka alone, produce+consume' });
  // The ideal lines grow far past the measurements: the axis ends near what was measured.
  const yMax = Math.max(...series.filter((s) => !s.dashed).flatMap((s) => s.points.map((p) => p[1])), ...references.map((r) => r.y)) * 1.1;
  await writePng('bench-throughput-vs-window.png', lineChartSvg({
    title: `Frames/s end to end vs window (${cameras} cameras, unthrottled, 640x480 JPEG)`,
    subtitle: when,
    xLabel: 'window (frames of a partition in flight)',
    yLabel: 'frames/s',
    xLog2Ticks: windows,
    series,
    references,
    yMax,
  }));
}

// Latency percentiles vs offered load (cameras × fps), null processor.
if (load.length > 0) {
  const points = (client: string, k: string): Array<[number, number]> => load.filter((r) => String(r.client ?? '') === client).map((r) => [Number(r.offeredFps), Number(r[k])]);
  await writePng('bench-latency-vs-load.png', lineChartSvg({
    title: `End-to-end latency vs load (${String(load[0]!.cameras)} cameras, null processor, window ${String(load[0]!.window)})`,
    subtitle: when,
    xLabel: 'offered load (frames/s, all cameras)',
    yLabel: 'latency capture → tracks consumer (ms, log scale)',
    yLog10: true,
    series: clients.flatMap((c) => ['p50', 'p95', 'p99'].map((k) => ({ name: named(c, k), points: points(c, k) }))),
    references: [{ y: 25, label: 'target: p99 ≤ 25 ms at 8 × 30 fps' }],
  }));
}

writeFileSync(path.join(docs, 'benchmarks.md'), withTables(readFileSync(path.join(docs, 'benchmarks.md'), 'utf8')));
console.error('updated the tables of docs/benchmarks.md');

function withTables(page: string): string {
  const begin = '<!-- results:begin -->';
  const end = '<!-- results:end -->';
  const a = page.indexOf(begin);
  const b = page.indexOf(end);
  if (a < 0 || b < a) throw new Error(`docs/benchmarks.md has no ${begin} … ${end} block`);
  return `${page.slice(0, a + begin.length)}\n${tables()}\n${page.slice(b)}`;
}

function tables(): string {
  const m = results.machine;
  const out: string[] = [];
  out.push(`Run of ${results.startedAt.replace('T', ' ').slice(0, 16)} UTC${results.note ? ` — **${results.note}**` : ''}.`);
  out.push(`Machine: ${m.cpus} × ${m.cpuModel}, ${m.memGiB} GiB, ${m.os}; Node ${m.node}; ${m.java}; Kafka ${m.kafka}. ` +
    `1-minute load average ${m.loadAverage[0]} at the start, ${m.loadAverage[1]} at the end.`);
  const failed = results.results.filter((r) => r.error);
  if (failed.length > 0) out.push(`\nFailed: ${failed.map((r) => `${r.bench} (${String(r.error)})`).join('; ')}`);

  const targets = pipeline?.targets as Record<string, ClientTargets | undefined> | undefined;
  const withTargets = clients.filter((c) => targets?.[c]);
  if (targets && withTargets.length > 0) {
    out.push('\n### Targets\n');
    const cell = (x: Target | undefined, unit: string, atMost: boolean, detail = '') => {
      if (!x) return 'not run';
      const met = atMost ? x.value <= x.target : x.value >= x.target;
      const miss = atMost ? `missed: ${(x.value / x.target).toFixed(1)} × the limit` : `missed: ${Math.round((x.value / x.target) * 100)} % of the target`;
      return `${x.value}${unit}${detail}: ${met ? 'met' : miss}`;
    };
    const row = (what: string, wanted: string, f: (t: ClientTargets) => string) => `| ${what} | ${wanted} | ${withTargets.map((c) => f(targets[c]!)).join(' | ')} |`;
    const delivery = (t: ClientTargets) => {
      const d = t.delivery ?? {};
      return `${d.lost ?? '—'} / ${d.duplicated ?? '—'} / ${d.outOfOrder ?? '—'} / ${d.failed ?? '—'}: ${Object.values(d).every((v) => v === 0) ? 'met' : 'MISSED'}`;
    };
    out.push(`| target | wanted | ${withTargets.join(' | ')} |`, `|---|---|${withTargets.map(() => '---|').join('')}`,
      row('null processor, producers running: frames/s sustained', '≥ 2500', (t) => cell(t.sustainedNullFps, '', false, t.sustainedNullFps ? ` (window ${t.sustainedNullFps.window}, batch ${t.sustainedNullFps.batch})` : '')),
      row('… as a share of kafka-limit', '≥ 0.35', (t) => cell(t.kafkaLimitShare, '', false, t.kafkaLimitShare ? ` (Kafka alone: ${t.kafkaLimitShare.kafkaLimitFps} frames/s)` : '')),
      row('8 cameras × 30 fps, null processor: p50 latency', '≤ 8 ms', (t) => cell(t.p50At8x30, ' ms', true)),
      row('8 cameras × 30 fps, null processor: p99 latency', '≤ 25 ms', (t) => cell(t.p99At8x30, ' ms', true)),
      row('replay 50 ms, window 64: frames/s', '≥ 1800', (t) => cell(t.replay50Window64Fps, '', false, t.replay50Window64Fps ? ` (batch ${t.replay50Window64Fps.batch})` : '')),
      row('lost / duplicated / out of order / failed, all runs', '0', delivery));
    out.push('\n### Backends side by side\n');
    out.push(sideBySide());
  }
  if (throughput.length > 0) {
    out.push('\n### Pipeline, unthrottled (`bench:pipeline`, throughput)\n');
    out.push(table(throughput, ['client', 'latencyMs', 'window', 'batch', 'frames', 'steady', 'sustained', 'fps', 'cpuMsPerFrame', 'p50', 'p99', 'lost', 'dup', 'ooo', 'procMs', 'reorderMs', 'cpuKafka', 'cpuBroker', 'cpuProcessor', 'cpuProducers', 'cpuConsumer', 'cpuOther']));
  }
  if (load.length > 0) {
    out.push('\n### Pipeline, paced cameras (`bench:pipeline`, load)\n');
    out.push(table(load, ['client', 'cameras', 'offeredFps', 'steady', 'fps', 'cpuMsPerFrame', 'p50', 'p95', 'p99', 'lost', 'dup', 'ooo', 'procMs', 'reorderMs', 'cpuKafka', 'cpuBroker', 'cpuProcessor', 'cpuProducers', 'cpuConsumer', 'cpuOther']));
  }
  const limits = [['in the pipeline run', kafkaLimit], ['`bench:kafka-limit`', bench('kafka-limit')]] as const;
  const limitRows = limits.flatMap(([where, l]) => {
    const k = l as { records?: number; recordBytes?: number; produce?: KafkaRate; consume?: KafkaRate; produceConsume?: KafkaRate } | undefined;
    if (!k?.produce || !k.consume || !k.produceConsume) return [];
    const cell = (r: KafkaRate) => `${Math.round(r.framesPerS)} (${r.mibPerS.toFixed(1)} MiB/s)`;
    return [`| ${where} | ${k.records} × ${k.recordBytes} B | ${cell(k.produce)} | ${cell(k.consume)} | ${cell(k.produceConsume)} |`];
  });
  if (limitRows.length > 0) {
    out.push('\n### Kafka alone (Apache Kafka perf tools), frames/s\n');
    out.push('| run | records | produce | consume | produce+consume |', '|---|---|---|---|---|', ...limitRows);
  }
  const broker = bench('broker-window');
  if (broker?.rows) {
    out.push(`\n### Broker window (\`bench:broker\`: 1 camera, replay ${String(broker.latencyMs)} ms, from a backlog)\n`);
    out.push(table(broker.rows, ['window', 'frames', 'fps', 'idealFps', 'speedup']));
  }
  const tracker = bench('tracker');
  const total = tracker?.total as Row | undefined;
  if (total) {
    out.push('\n### Tracker (`bench:tracker`, 11 MOT15 sequences)\n');
    out.push(table([total], ['frames', 'detections', 'trackerMs', 'trackerFps', 'processMs', 'processFps']));
  }
  const processor = bench('processor');
  if (processor?.results) {
    out.push(`\n### ONNX processor (\`bench:processor\`: ${String(processor.model)}, ${String(processor.frame)}, ms per frame)\n`);
    out.push(table(processor.results as Row[], ['batch', 'preprocessMs', 'inferenceMs', 'postprocessMs', 'totalMs', 'framesPerSecond']));
  }
  const producer = bench('producer');
  if (producer?.rows) {
    out.push('\n### Producer (`bench:producer`)\n');
    out.push(table(producer.rows, Object.keys(producer.rows[0] ?? {})));
  }
  return out.join('\n');
}

/**
 * One row per client library: the sustained null-processor rate (producers running), the
 * latency at 8 × 30 fps, and that run's CPU per frame of each process (ms).
 */
function sideBySide(): string {
  const groups = ['kafka', 'broker', 'processor', 'producers', 'consumer'];
  const lines = [`| client | sustained frames/s | best frames/s (draining) | p50 / p99 at 8 × 30 fps (ms) | CPU ms per frame at 8 × 30: ${groups.join(' / ')} |`, '|---|---:|---:|---:|---:|'];
  for (const client of clients) {
    const rows = pipelineRows.filter((r) => String(r.client ?? '') === client);
    const nullRuns = rows.filter((r) => r.scenario === 'throughput' && r.latencyMs === 0).sort((a, b) => Number(b.fps) - Number(a.fps));
    const sustained = nullRuns.find((r) => r.sustained === 'yes');
    // Producers done before the steady interval ended: the broker drained a backlog with their CPU free.
    const draining = nullRuns.find((r) => r.sustained !== 'yes');
    const paced = rows.find((r) => r.scenario === 'load' && r.cameras === 8 && Number(r.offeredFps) === 240);
    const perFrame = paced ? groups.map((g) => (Number(paced[`cpu${g[0]!.toUpperCase()}${g.slice(1)}`]) * 10 / Number(paced.fps)).toFixed(2)).join(' / ') : '—';
    lines.push(`| ${client || '—'} | ${sustained?.fps ?? '—'} | ${draining?.fps ?? '—'} | ${paced ? `${paced.p50} / ${paced.p99}` : '—'} | ${perFrame} |`);
  }
  return lines.join('\n');
}

function table(rows: Row[], cols: string[]): string {
  const cell = (v: string | number | undefined) => (v === undefined ? '' : typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(1) : String(v));
  return [`| ${cols.join(' | ')} |`, `|${cols.map(() => '---:').join('|')}|`, ...rows.map((r) => `| ${cols.map((c) => cell(r[c])).join(' | ')} |`)].join('\n');
}
