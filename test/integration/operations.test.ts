// What an operator sees: Prometheus metrics of the running components and `vsp status`.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestKafka, type TestKafka } from '../helpers/kafka.js';
import { stopAll, vsp, vspRun } from '../helpers/processes.js';
import { startBroker, startProcessor, waitForGroupDone } from '../helpers/pipeline.js';
import { freePort } from '../../common/kafka/local.js';

async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(res.status, 200);
  return res.text();
}

/** The value of one sample line, e.g. sample(text, 'vsp_broker_frames_in_total{partition="0"}'). */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  assert.ok(line, `series ${series} is exported`);
  return Number(line.slice(series.length + 1));
}

describe('operations: metrics and status', function () {
  let kafka: TestKafka;
  const work = mkdtempSync(path.join(os.tmpdir(), 'vsp-ops-'));

  before(async () => {
    kafka = await startTestKafka();
  });
  after(async () => {
    await stopAll();
    await kafka?.stop();
  });

  it('exports the broker and processor series, and vsp status shows the group with its lag', async () => {
    const prefix = await kafka.topics(2);
    const common = ['--brokers', kafka.bootstrap, '--prefix', prefix];
    const [processorMetrics, brokerMetricsPort] = [await freePort(), await freePort()];
    const processor = await startProcessor(['--impl', 'synthetic', '--metrics-port', String(processorMetrics)]);
    const broker = await startBroker([...common, '--processor', processor.address, '--group', 'ops', '--metrics-port', String(brokerMetricsPort)]);
    const produced = await vspRun(['producer', ...common, '--camera', 'ops-cam', '--source', 'synthetic:160x120', '--frames', '20', '--state-dir', path.join(work, 's')]);
    assert.equal(produced.code, 0, produced.stderr);
    await waitForGroupDone(kafka.bootstrap, prefix, 'ops');

    const b = await scrape(brokerMetricsPort);
    const inByPartition = [...b.matchAll(/^vsp_broker_frames_in_total\{partition="\d"\} (\d+)$/gm)].map((m) => Number(m[1]));
    assert.deepEqual(inByPartition, [20], 'one camera: all frames in its one partition');
    assert.equal(sample(b, 'vsp_broker_frames_out_total{status="OK"}'), 20);
    assert.equal(sample(b, 'vsp_broker_dead_letters_total'), 0);
    assert.equal(sample(b, 'vsp_broker_processor_retries_total'), 0);
    assert.ok(sample(b, 'vsp_broker_processor_latency_seconds_count{processor="synthetic"}') >= 1);
    assert.equal(sample(b, 'vsp_broker_e2e_latency_seconds_count'), 20);
    assert.match(b, /^vsp_broker_inflight_frames\{partition="\d"\} 0$/m);
    assert.match(b, /^vsp_broker_consumer_lag\{partition="\d"\} 0$/m);
    assert.match(b, /^vsp_process_cpu_seconds_total /m);

    const p = await scrape(processorMetrics);
    assert.equal(sample(p, 'vsp_processor_frames_total{outcome="ok"}'), 20);
    assert.ok(sample(p, 'vsp_processor_detect_seconds_count') >= 1);

    const status = await vspRun(['status', ...common]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^group ops \(Stable\), lag 0$/m);
    assert.match(status.stdout, new RegExp(`member vsp-broker-\\d+ @ .*${prefix}\\.frames\\[0\\] ${prefix}\\.frames\\[1\\]`));
    const json = await vspRun(['status', ...common, '--json']);
    const groups = JSON.parse(json.stdout) as Array<{ group: string; lag: Array<{ lag: number; committed: number }> }>;
    const ops = groups.find((g) => g.group === 'ops')!;
    assert.equal(ops.lag.reduce((a, l) => a + l.committed, 0), 20);

    // The producer and the consumer serve their series too (scraped while they run).
    const [producerPort, consumerPort] = [await freePort(), await freePort()];
    const live = vsp(['producer', ...common, '--camera', 'ops-cam', '--source', 'synthetic:160x120', '--fps', '10', '--frames', '40', '--state-dir', path.join(work, 's'), '--metrics-port', String(producerPort)]);
    const reader = vsp(['consumer', ...common, '--report', `jsonl:${path.join(work, 'ops.jsonl')}`, '--metrics-port', String(consumerPort)]);
    const until = async (port: number, test: (text: string) => boolean) => {
      for (const deadline = Date.now() + 60_000; ; ) {
        const text = await scrape(port).catch(() => '');
        if (test(text)) return text;
        assert.ok(Date.now() < deadline, `metrics on ${port} never satisfied the test: ${text.slice(0, 400)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const pm = await until(producerPort, (t) => /^vsp_producer_frames_published_total\{camera="ops-cam"\} [1-9]/m.test(t));
    assert.match(pm, /^vsp_producer_frames_captured_total\{camera="ops-cam"\} \d+/m);
    assert.match(pm, /^vsp_producer_frames_dropped_total\{camera="ops-cam"\} 0$/m);
    assert.match(pm, /^vsp_producer_buffer_bytes\{camera="ops-cam"\} \d+/m);
    const cm = await until(consumerPort, (t) => /^vsp_consumer_frames_total\{camera="ops-cam"\} ([2-9]\d)/m.test(t));
    assert.match(cm, /^vsp_consumer_e2e_latency_seconds_count \d+/m);
    assert.match(cm, /^vsp_consumer_dead_letters_total 0$/m);
    await live.stop();
    await reader.stop();
    await broker.stop();
  });
});
