// deploy/prometheus and deploy/grafana against a real Prometheus server (Debian's `prometheus`)
// scraping a running pipeline on 127.0.0.1 (Kafka, producer, processor, broker, consumer):
// every target up, the components' series present, every query of the Grafana dashboard
// answering with data, the dead-letter alert firing once dead letters appear, and the
// processor-down alert firing once the processor is stopped. Skipped where `prometheus` is not
// installed (.ci/run installs it).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import sharp from 'sharp';
import { startTestKafka, type TestKafka } from '../helpers/kafka.js';
import { REPO, stopAll, vsp } from '../helpers/processes.js';
import { startBroker, startProcessor, waitForStderr } from '../helpers/pipeline.js';
import { freePort } from '../../common/kafka/local.js';
import { createKafka } from '../../common/kafka/client.js';
import { kafkaConnection } from '../../common/kafka/connection.js';
import { topicNames } from '../../common/kafka/topics.js';
import { FrameCodec } from '../../common/proto.js';

const PROMETHEUS = process.env.VSP_PROMETHEUS ?? 'prometheus';
const CAMERA = 'prom-cam';
/** The jobs of deploy/prometheus/prometheus.yml, one per component. */
const JOBS = ['vsp-producer', 'vsp-broker', 'vsp-processor', 'vsp-consumer'];

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

async function onPath(tool: string): Promise<boolean> {
  return new Promise((resolve) => spawn('sh', ['-c', `command -v ${tool}`]).on('exit', (code) => resolve(code === 0)));
}

/**
 * A Grafana target's expression as Grafana sends it: its built-in interval variables replaced by
 * durations that suit a 1 s scrape, and template variables ($camera, ${instance}) by ".*" (all).
 */
function grafanaToPromQL(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('${__rate_interval}', '1m')
    .replaceAll('$__interval', '5s')
    .replaceAll('${__interval}', '5s')
    .replaceAll('$__range', '5m')
    .replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)/g, '.*');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Prometheus server scraping a running pipeline (deploy/prometheus, deploy/grafana)', function () {
  this.timeout(240_000);
  let kafka: TestKafka | undefined;
  let prometheus: ChildProcess | undefined;
  let prometheusLog = '';
  const work = mkdtempSync(path.join(os.tmpdir(), 'vsp-prometheus-'));

  before(async function () {
    assert.ok(await onPath(PROMETHEUS), `${PROMETHEUS} is not installed (Debian: apt-get install prometheus)`);
    kafka = await startTestKafka();
  });
  after(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((r) => prometheus!.once('exit', r));
      prometheus.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000).then(() => prometheus!.kill('SIGKILL'))]);
    }
    await stopAll();
    await kafka?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('sees every target and series, answers every dashboard query, and fires the dead-letter and processor-down alerts', async () => {
    const started = Date.now();
    const k = kafka!;
    const prefix = await k.topics(2);
    const topics = topicNames(prefix);
    const common = ['--brokers', k.bootstrap, '--prefix', prefix];
    const ports = { producer: await freePort(), broker: await freePort(), processor: await freePort(), consumer: await freePort(), prometheus: await freePort() };

    // The pipeline, each component serving /metrics.
    const processor = await startProcessor(['--impl', 'synthetic', '--metrics-port', String(ports.processor)]);
    const broker = await startBroker([...common, '--processor', processor.address, '--group', 'prom', '--window', '16', '--metrics-port', String(ports.broker)]);
    const consumer = vsp(['consumer', ...common, '--report', `jsonl:${path.join(work, 'tracks.jsonl')}`, '--metrics-port', String(ports.consumer)], { VSP_LOG_LEVEL: 'info' });
    const producer = vsp(['producer', ...common, '--camera', CAMERA, '--source', 'synthetic:320x240', '--fps', '10', '--frames', '100000', '--state-dir', path.join(work, 'state'), '--metrics-port', String(ports.producer)]);
    await waitForStderr(consumer, /"msg":"metrics on/);

    // Prometheus with the deploy config's jobs pointed at the local ports (the producer labels
    // its series with the camera id itself), a 1 s scrape and evaluation, and the project's alert rules. The copy of the
    // rules differs only in its `for:` durations, 2 s instead of minutes, so that an alert fires
    // within the test; every expression is the real one.
    const deployConfig = parse(await readFile(path.join(REPO, 'deploy/prometheus/prometheus.yml'), 'utf8')) as {
      rule_files: string[];
      scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[]; labels?: Record<string, string> }> }>;
    };
    assert.deepEqual(deployConfig.scrape_configs.map((s) => s.job_name).sort(), [...JOBS].sort(), 'deploy/prometheus/prometheus.yml scrapes every component');
    assert.deepEqual(deployConfig.rule_files, ['alerts.yml']);
    const portOf: Record<string, number> = { 'vsp-producer': ports.producer, 'vsp-broker': ports.broker, 'vsp-processor': ports.processor, 'vsp-consumer': ports.consumer };
    const config = {
      global: { scrape_interval: '1s', evaluation_interval: '1s', scrape_timeout: '1s' },
      rule_files: ['alerts.yml'],
      scrape_configs: deployConfig.scrape_configs.map((s) => ({
        ...s,
        static_configs: [{ targets: [`127.0.0.1:${portOf[s.job_name]}`] }],
      })),
    };
    const rules = await readFile(path.join(REPO, 'deploy/prometheus/alerts.yml'), 'utf8');
    const shortRules = rules.replace(/^(\s+for:) \d+[smh]$/gm, '$1 2s');
    assert.notEqual(shortRules, rules);
    await writeFile(path.join(work, 'alerts.yml'), shortRules);
    await writeFile(path.join(work, 'prometheus.yml'), stringify(config));
    prometheus = spawn(
      PROMETHEUS,
      [
        `--config.file=${path.join(work, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(work, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${ports.prometheus}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stdout!.on('data', (d: Buffer) => (prometheusLog += d.toString()));
    prometheus.stderr!.on('data', (d: Buffer) => (prometheusLog += d.toString()));

    const api = async <T>(what: string): Promise<T> => {
      const res = await fetch(`http://127.0.0.1:${ports.prometheus}/api/v1/${what}`);
      const body = (await res.json()) as { status: string; data: T; error?: string };
      assert.equal(body.status, 'success', `${what}: ${body.error ?? res.status}`);
      return body.data;
    };
    const query = async (promql: string): Promise<Sample[]> => (await api<{ result: Sample[] }>(`query?query=${encodeURIComponent(promql)}`)).result;
    /** Polls until check(…) passes (it throws an assertion error while it does not). */
    const eventually = async <T>(what: string, get: () => Promise<T>, check: (v: T) => void, timeoutMs = 60_000): Promise<T> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        let last: unknown;
        try {
          const v = await get();
          check(v);
          return v;
        } catch (err) {
          last = err;
        }
        if (prometheus!.exitCode !== null) throw new Error(`prometheus exited (${prometheus!.exitCode}): ${prometheusLog.slice(-2000)}`);
        if (Date.now() > deadline) throw new Error(`${what}: ${(last as Error).message}`);
        await sleep(500);
      }
    };

    // Every target up.
    type Target = { labels: Record<string, string>; health: string; lastError: string };
    await eventually(
      'every target up',
      () => api<{ activeTargets: Target[] }>('targets'),
      ({ activeTargets }) => {
        assert.deepEqual(activeTargets.map((t) => t.labels.job).sort(), [...JOBS].sort());
        for (const t of activeTargets) assert.equal(t.health, 'up', `${t.labels.job}: ${t.health} ${t.lastError}`);
      },
    );

    // Bad input, once Prometheus scrapes (so that the counters are seen going up): a record that
    // is no Frame (a broker dead letter), a frame whose JPEG is cut in half (a processor error,
    // the tracked frame marked FRAME_REJECTED) and a record on the tracks topic that is no
    // TrackedFrame (a consumer dead letter).
    const client = createKafka(kafkaConnection(k.bootstrap, 'vsp-test'));
    const raw = client.producer();
    await raw.connect();
    const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 90, g: 120, b: 150 } } }).jpeg().toBuffer();
    const cut = FrameCodec.encode({ cameraId: 'prom-bad', seq: 1, width: 64, height: 48, encoding: 'JPEG', image: jpeg.subarray(0, jpeg.length >> 1), captureTime: { seconds: Math.floor(Date.now() / 1000), nanos: 0 } });
    await raw.send({ topic: topics.frames, acks: -1, messages: [{ key: 'x', value: Buffer.from([0xff, 0x13, 0x37, 0x00, 0x42]) }, { key: 'prom-bad', value: Buffer.from(cut) }] });
    await raw.send({ topic: topics.tracks, acks: -1, messages: [{ key: 'x', value: Buffer.from([0xde, 0xad]) }] });
    await raw.disconnect();

    // The components' key series, with the values this pipeline must have.
    const value = (s: Sample) => Number(s.value[1]);
    const series: Array<[string, (v: Sample[]) => void]> = [
      [`vsp_producer_frames_published_total{job="vsp-producer",camera="${CAMERA}"}`, (v) => assert.ok(value(v[0]!) > 0)],
      ['sum(vsp_broker_frames_in_total{job="vsp-broker"})', (v) => assert.ok(value(v[0]!) > 0)],
      ['vsp_broker_frames_out_total{status="FRAME_REJECTED"}', (v) => assert.equal(value(v[0]!), 1)],
      ['vsp_broker_dead_letters_total', (v) => assert.equal(value(v[0]!), 1)],
      [`vsp_broker_under_replicated_partitions{topic="${topics.frames}"}`, (v) => assert.equal(value(v[0]!), 0, 'one Kafka node, RF 1: nothing under-replicated')],
      ['vsp_processor_frames_total{job="vsp-processor",outcome="ok"}', (v) => assert.ok(value(v[0]!) > 0)],
      ['vsp_processor_frames_total{outcome="error"}', (v) => assert.equal(value(v[0]!), 1)],
      [`vsp_consumer_frames_total{job="vsp-consumer",camera="${CAMERA}"}`, (v) => assert.ok(value(v[0]!) > 0)],
      ['vsp_consumer_dead_letters_total', (v) => assert.equal(value(v[0]!), 1)],
      [`max(vsp_consumer_tracked_objects{camera="${CAMERA}"})`, (v) => assert.ok(value(v[0]!) > 0, 'the synthetic scene has objects tracked')],
      ['vsp_consumer_e2e_latency_seconds_count', (v) => assert.ok(value(v[0]!) > 0)],
    ];
    for (const [promql, check] of series) {
      await eventually(promql, () => query(promql), (v) => {
        assert.ok(v.length > 0, 'no series');
        check(v);
      });
    }

    // Every query of the dashboard returns data: at least one series with a number (a latency
    // quantile over an empty rate is NaN, which a panel does not draw).
    const dashboard = JSON.parse(await readFile(path.join(REPO, 'deploy/grafana/vsp-dashboard.json'), 'utf8')) as { panels: Array<{ title: string; targets?: Array<{ expr: string }> }> };
    let queries = 0;
    for (const panel of dashboard.panels) {
      for (const target of panel.targets ?? []) {
        const promql = grafanaToPromQL(target.expr);
        await eventually(`panel "${panel.title}": ${promql}`, () => query(promql), (v) => {
          assert.ok(v.length > 0, 'no series');
          assert.ok(v.some((s) => Number.isFinite(value(s))), `only NaN: ${JSON.stringify(v)}`);
        });
        queries += 1;
      }
    }
    // The dead-letter panels show the dead letters.
    for (const job of ['broker', 'consumer']) assert.ok(value((await query(`sum(increase(vsp_${job}_dead_letters_total[5m]))`))[0]!) > 0);

    type Alert = { labels: Record<string, string>; state: string; value: string };
    const alerts = () => api<{ alerts: Alert[] }>('alerts').then((d) => d.alerts);
    // Dead letters appeared: VspDeadLetters fires, for the broker and for the consumer.
    await eventually('VspDeadLetters firing', alerts, (list) => {
      const firing = list.filter((a) => a.labels.alertname === 'VspDeadLetters' && a.state === 'firing').map((a) => a.labels.job).sort();
      assert.deepEqual(firing, ['vsp-broker', 'vsp-consumer']);
    });
    const before = await alerts();
    assert.ok(!before.some((a) => a.labels.alertname === 'VspProcessorDown'), 'no processor-down alert while it runs');

    // Stop the processor: VspProcessorDown fires for it.
    const downAt = Date.now();
    await processor.proc.stop();
    await eventually('VspProcessorDown firing', alerts, (list) => {
      const a = list.find((x) => x.labels.alertname === 'VspProcessorDown');
      assert.ok(a, 'VspProcessorDown is active');
      assert.equal(a.state, 'firing');
      assert.equal(a.labels.instance, `127.0.0.1:${ports.processor}`);
      assert.equal(a.labels.severity, 'critical');
    }, 30_000);
    console.log(`      ${series.length} series, ${queries} dashboard queries answered; processor-down alert firing ${((Date.now() - downAt) / 1000).toFixed(1)} s after the stop; ${((Date.now() - started) / 1000).toFixed(0)} s in all`);

    await producer.stop();
    await consumer.stop();
    await broker.stop('SIGKILL');
  });
});
