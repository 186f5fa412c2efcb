// Every benchmark in one go (`npm run bench`): each bench's script runs as its own process with
// --json, one after another (they would compete for the two cores otherwise), and their JSON lines
// are gathered, with the machine they ran on, into docs/bench-results.json, from which
// `npm run bench:charts` draws the charts and tables of docs/benchmarks.md. A bench that fails is
// recorded with its error and the others still run; the exit code says whether all passed.
// Env: BENCH_ONLY=a,b runs only those and replaces only their entries in the results file;
// BENCH_NOTE is stored with the results (e.g. "preliminary: shared machine").
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KAFKA_VERSION } from '../common/kafka/jars.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const scripts = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
// Order: the quick in-process benches first; producer only once a bench:producer exists.
const BENCHES = ['tracker', 'processor', 'producer', 'broker', 'pipeline', 'kafka-limit']
  .filter((name) => scripts[`bench:${name}`] && existsSync(path.join(root, 'dist/bench', `${name}.js`)))
  .filter((name) => !process.env.BENCH_ONLY || process.env.BENCH_ONLY.split(',').includes(name));
const OUT = path.join(root, 'docs/bench-results.json');

function runBench(name: string): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [path.join(root, 'dist/bench', `${name}.js`), '--json'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => {
      const seconds = Math.round((Date.now() - started) / 1000);
      const line = out.trim().split('\n').reverse().find((l) => l.startsWith('{'));
      const finishedAt = new Date().toISOString();
      if (code === 0 && line) resolve({ ...(JSON.parse(line) as Record<string, unknown>), seconds, finishedAt });
      else resolve({ bench: name, seconds, finishedAt, error: `exited ${code}: ${errorLine(err || out)}` });
    });
  });
}

/** The thrown error's message line (Node prints it above the stack), else the last lines. */
function errorLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines.find((l) => /^\w*Error\b/.test(l)) ?? lines.slice(-3).join(' | ');
}

function javaVersion(): string {
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  return (r.stderr || '').split('\n')[0]?.trim() ?? 'unknown';
}

const startedAt = new Date().toISOString();
const loadBefore = os.loadavg()[0]!;
const results: Array<Record<string, unknown>> = [];
for (const name of BENCHES) {
  console.error(`bench ${name} …`);
  const r = await runBench(name);
  console.error(r.error ? `bench ${name}: FAILED ${String(r.error)}` : `bench ${name}: done in ${String(r.seconds)} s`);
  console.log(JSON.stringify(r));
  results.push(r);
}
// With BENCH_ONLY, the other benches' last results stay.
const kept = process.env.BENCH_ONLY && existsSync(OUT)
  ? (JSON.parse(readFileSync(OUT, 'utf8')) as { results: Array<Record<string, unknown>> }).results.filter((r) => !BENCHES.includes(String(r.bench)))
  : [];
const doc = {
  startedAt,
  finishedAt: new Date().toISOString(),
  note: process.env.BENCH_NOTE ?? '',
  machine: {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    java: javaVersion(),
    kafka: KAFKA_VERSION,
    // 1-minute load averages at the start and end: well above the core count means other work shared the machine.
    loadAverage: [Math.round(loadBefore * 100) / 100, Math.round(os.loadavg()[0]! * 100) / 100],
  },
  results: [...kept, ...results],
};
writeFileSync(OUT, `${JSON.stringify(doc, null, 2)}\n`);
console.error(`wrote ${path.relative(root, OUT)}`);
process.exitCode = results.some((r) => r.error) ? 1 : 0;
