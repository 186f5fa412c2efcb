// The --report formats, by kind, and the parsing of `--report KIND:TARGET`. A new format is one
// file next to this one exporting a ReportFormat, listed here.
import { UsageError } from '../../common/errors.js';
import { alternatives } from '../../common/lists.js';
import { annotatedFormat } from './annotated.js';
import { csvFormat } from './csv.js';
import { jsonlFormat } from './jsonl.js';
import { motFormat } from './mot.js';
import type { ImageReport, Report, ReportContext, ReportFormat } from './report.js';

/** In the order --help and error messages list them. */
export const REPORT_FORMATS: readonly ReportFormat[] = [jsonlFormat, motFormat, annotatedFormat, csvFormat];

/** The --report flag's help: each format with what it writes. */
export function reportHelp(): string {
  return `${REPORT_FORMATS.map((f) => `${f.kind}:${f.target} (${f.help})`).join(' | ')}; repeatable`;
}

/** A --report value, checked: its format and what follows the colon. */
export interface ReportSpec {
  format: ReportFormat;
  target: string;
}

/** Parses a --report value (jsonl:FILE | mot:FILE | annotated:DIR | csv:FILE); throws a UsageError for a bad one. */
export function parseReportSpec(spec: string): ReportSpec {
  const colon = spec.indexOf(':');
  const kind = colon > 0 ? spec.slice(0, colon) : '';
  const target = spec.slice(colon + 1);
  if (!target) throw new UsageError(`--report: '${spec}' needs a file, e.g. jsonl:out.jsonl`);
  const format = REPORT_FORMATS.find((f) => f.kind === kind);
  if (!format) {
    const expected = alternatives(REPORT_FORMATS.map((f) => `${f.kind}:${f.target}`));
    throw new UsageError(`--report: unknown kind '${kind}' in '${spec}' (expected ${expected})`);
  }
  return { format, target };
}

/** The report a --report value asks for (a spec already parsed, or one to parse). */
export function createReport(spec: string | ReportSpec, ctx: ReportContext = {}): Report | ImageReport {
  const { format, target } = typeof spec === 'string' ? parseReportSpec(spec) : spec;
  return format.create(target, ctx);
}
