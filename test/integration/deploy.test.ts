// The server deployment files of deploy/: Prometheus scrape config and alert rules (promtool),
// the Grafana dashboard (valid JSON over series the code exports) and the systemd units
// (systemd-analyze verify). A missing tool fails its check (CI installs them: .ci/run).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { REPO } from '../helpers/processes.js';

const run = promisify(execFile);
const DEPLOY = join(REPO, 'deploy');

async function has(tool: string): Promise<boolean> {
  return run('sh', ['-c', `command -v ${tool}`]).then(
    () => true,
    () => false,
  );
}

/** Metric names the components register (counter/gauge/histogram calls in their sources). */
async function exportedMetrics(): Promise<Set<string>> {
  const names = new Set<string>(['up']);
  for (const dir of ['broker', 'producer', 'processor', 'consumer', 'common']) {
    for (const file of (await readdir(join(REPO, dir), { recursive: true })).filter((f) => f.endsWith('.ts'))) {
      const text = await readFile(join(REPO, dir, file), 'utf8');
      for (const [, kind, name] of text.matchAll(/\b(counter|gauge|histogram)\('(vsp_\w+)'/g)) {
        names.add(name!);
        if (kind === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name! + s);
      }
    }
  }
  return names;
}

const metricsIn = (expr: string) => [...expr.matchAll(/\b(vsp_\w+|up)\b(?=\s*[{[)])/g)].map((m) => m[1]!);

describe('deploy/ (Prometheus, Grafana, systemd)', function () {
  it('alert rules and scrape config pass promtool, and the rule unit tests pass', async function () {
    assert.ok(await has('promtool'), 'promtool is not installed (Debian: apt-get install prometheus)');
    const dir = join(DEPLOY, 'prometheus');
    await run('promtool', ['check', 'rules', 'alerts.yml'], { cwd: dir });
    await run('promtool', ['check', 'config', 'prometheus.yml'], { cwd: dir });
    const { stdout } = await run('promtool', ['test', 'rules', 'alerts.test.yml'], { cwd: dir });
    assert.match(stdout, /SUCCESS/);
  });

  it('alerts and the Grafana dashboard use only series the code exports', async () => {
    const known = await exportedMetrics();
    const rules = await readFile(join(DEPLOY, 'prometheus/alerts.yml'), 'utf8');
    const dashboard = JSON.parse(await readFile(join(DEPLOY, 'grafana/vsp-dashboard.json'), 'utf8')) as {
      uid: string;
      panels: { title: string; targets: { expr: string }[] }[];
    };
    assert.ok(dashboard.uid && dashboard.panels.length >= 8);
    const exprs = [...rules.matchAll(/^\s+expr: (.*)$/gm)].map((m) => m[1]!);
    for (const p of dashboard.panels) exprs.push(...p.targets.map((t) => t.expr));
    const used = exprs.flatMap(metricsIn);
    assert.ok(used.length > 20);
    for (const name of used) assert.ok(known.has(name), `${name} is not exported by any component`);
    for (const title of ['Frames/s per camera', 'End-to-end latency', 'Consumer lag', 'Processor call latency', 'Processor errors', 'Dead letters', 'Tracked objects by class', 'Under-replicated partitions']) {
      assert.ok(dashboard.panels.some((p) => p.title.startsWith(title)), `a panel "${title}"`);
    }
  });

  it('the scrape config covers every component, and every alert has a promtool unit test', async () => {
    const config = parse(await readFile(join(DEPLOY, 'prometheus/prometheus.yml'), 'utf8')) as { scrape_configs: { job_name: string }[] };
    assert.deepEqual(config.scrape_configs.map((s) => s.job_name).sort(), ['vsp-broker', 'vsp-consumer', 'vsp-processor', 'vsp-producer']);
    const rules = parse(await readFile(join(DEPLOY, 'prometheus/alerts.yml'), 'utf8')) as { groups: { rules: { alert: string }[] }[] };
    const alerts = rules.groups.flatMap((g) => g.rules.map((r) => r.alert));
    // The alerts of issue #18: lag growing, processor unhealthy, dead letters, e2e p99, under-replicated partitions, producer dropping frames.
    for (const name of ['VspConsumerLagGrowing', 'VspProcessorDown', 'VspDeadLetters', 'VspEndToEndLatencyHigh', 'VspUnderReplicatedPartitions', 'VspProducerDroppingFrames']) {
      assert.ok(alerts.includes(name), `alert ${name}`);
    }
    const unit = parse(await readFile(join(DEPLOY, 'prometheus/alerts.test.yml'), 'utf8')) as { tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[] };
    const firing = new Set(unit.tests.flatMap((t) => t.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)));
    for (const name of alerts) assert.ok(firing.has(name), `alerts.test.yml has a case where ${name} fires`);
  });

  it('systemd units: settings from their env file examples, hardened, and systemd-analyze verify is clean', async () => {
    const dir = join(DEPLOY, 'systemd');
    const units = (await readdir(dir)).filter((f) => f.endsWith('.service'));
    assert.deepEqual(units.sort(), ['vsp-broker.service', 'vsp-consumer.service', 'vsp-kafka.service', 'vsp-processor-gpu.service', 'vsp-processor.service']);
    assert.ok(await has('systemd-analyze'), 'systemd-analyze is not installed (Debian: apt-get install systemd)');
    const tmp = await mkdtemp(join(tmpdir(), 'vsp-units-'));
    try {
      for (const unit of units) {
        const text = await readFile(join(dir, unit), 'utf8');
        for (const line of ['User=vsp', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'ProtectHome=yes', 'PrivateTmp=yes']) {
          assert.match(text, new RegExp(`^${line}$`, 'm'), `${unit}: ${line}`);
        }
        const env = /^EnvironmentFile=\/etc\/vsp\/(\w+)\.env$/m.exec(text)?.[1];
        assert.ok(env, `${unit} reads /etc/vsp/<name>.env`);
        const defined = new Set([...(await readFile(join(dir, `${env}.env.example`), 'utf8')).matchAll(/^(VSP_\w+)=/gm)].map((m) => m[1]));
        for (const [, name] of text.matchAll(/\$\{?(VSP_\w+)\}?/g)) assert.ok(defined.has(name!), `${unit}: ${name} missing from ${env}.env.example`);
        // systemd's own check, with the commands pointing at a program that exists here.
        await writeFile(join(tmp, unit), text.replaceAll('/usr/bin/vsp', '/bin/true'));
        const { stderr } = await run('systemd-analyze', ['verify', join(tmp, unit)]);
        assert.equal(stderr.trim(), '', `${unit}: systemd-analyze verify has no complaints`);
      }
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
