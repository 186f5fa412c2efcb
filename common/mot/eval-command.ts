// `vsp eval`: CLEAR-MOT and identity metrics of a MOTChallenge tracker output against ground truth.
import { Command } from 'commander';
import { readMotFile } from './read-file.js';
import { evaluateMot, type MotMetrics } from './eval.js';

interface EvalOptions {
  gt: string;
  tracks: string;
  json?: boolean;
}

export function evalCommand(): Command {
  return new Command('eval')
    .description('score a MOTChallenge tracker output against ground truth (py-motmetrics semantics, IoU ≥ 0.5)')
    .requiredOption('--gt <file>', 'ground truth, MOTChallenge format')
    .requiredOption('--tracks <file>', 'tracker output, MOTChallenge format')
    .option('--json', 'print one JSON object instead of a table')
    .action((o: EvalOptions) => {
      const metrics = evaluateMot(readMotFile(o.gt, '--gt'), readMotFile(o.tracks, '--tracks'));
      process.stdout.write(o.json ? `${JSON.stringify(metrics)}\n` : renderTable(metrics));
    });
}

const percent = (v: number): string => (Number.isNaN(v) ? '-' : `${(v * 100).toFixed(1)}%`);

/** py-motmetrics' MOTChallenge summary columns, one header line and one value line. */
export function renderTable(m: MotMetrics): string {
  const columns: [string, string][] = [
    ['IDF1', percent(m.idf1)],
    ['IDP', percent(m.idp)],
    ['IDR', percent(m.idr)],
    ['Rcll', percent(m.recall)],
    ['Prcn', percent(m.precision)],
    ['GT', String(m.gt)],
    ['MT', String(m.mt)],
    ['PT', String(m.pt)],
    ['ML', String(m.ml)],
    ['FP', String(m.fp)],
    ['FN', String(m.fn)],
    ['IDs', String(m.idsw)],
    ['FM', String(m.fm)],
    ['MOTA', percent(m.mota)],
    ['MOTP', Number.isNaN(m.motp) ? '-' : m.motp.toFixed(3)],
  ];
  const widths = columns.map(([h, v]) => Math.max(h.length, v.length));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i] as number)).join(' ');
  return `${line(columns.map(([h]) => h))}\n${line(columns.map(([, v]) => v))}\n`;
}
