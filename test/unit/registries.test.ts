// The consumer's and the processor's registries, and the consumer's wiring called without
// commander: what each declares reaches the command line unchanged.
import assert from 'node:assert/strict';
import { UsageError } from '../../common/errors.js';
import { REPORT_FORMATS, parseReportSpec, reportHelp } from '../../consumer/reports/registry.js';
import { runConsumer } from '../../consumer/run.js';
import { TARGET_TYPES } from '../../consumer/hooks/targets.js';
import { processorCommand } from '../../processor/cli.js';
import { IMPLS, createDetector } from '../../processor/impls.js';

describe('consumer reports registry', () => {
  it('lists every format once, in the help and in the errors', () => {
    assert.deepEqual(REPORT_FORMATS.map((f) => f.kind), ['jsonl', 'mot', 'annotated', 'csv']);
    assert.equal(
      reportHelp(),
      'jsonl:FILE (one JSON line per frame) | mot:FILE (MOTChallenge rows; {camera} in FILE for one file per camera) | annotated:DIR (DIR/<camera>/<seq>.jpg with the tracks drawn) | csv:FILE (one row per track); repeatable',
    );
    assert.throws(() => parseReportSpec('xml:a'), { message: "--report: unknown kind 'xml' in 'xml:a' (expected jsonl:FILE, mot:FILE, annotated:DIR or csv:FILE)" });
    assert.equal(parseReportSpec('mot:out/{camera}.txt').target, 'out/{camera}.txt');
  });
});

describe('consumer hook target types', () => {
  it('each declares a strict schema tagged with its type', () => {
    assert.deepEqual(TARGET_TYPES.map((t) => t.schema.shape.type.value), ['webhook', 'mqtt', 'kafka', 'exec']);
  });
});

describe('runConsumer', () => {
  const base = { brokers: '127.0.0.1:9', prefix: 'vsp', webHost: '127.0.0.1', report: [] as string[] };

  it('rejects options that ask for nothing before reaching Kafka', async () => {
    await assert.rejects(runConsumer(base), (err: unknown) => err instanceof UsageError && /^nothing to do/.test(err.message));
  });

  it('rejects a bad report or --from before reaching Kafka', async () => {
    await assert.rejects(runConsumer({ ...base, report: ['bogus:x'] }), UsageError);
    await assert.rejects(runConsumer({ ...base, report: ['jsonl:/dev/null'], from: 'yesterday' }), /--from: expected earliest, latest or an ISO time/);
  });
});

describe('processor implementations', () => {
  it('gives vsp processor each implementation and its own flags, named after it', () => {
    const cmd = processorCommand();
    const impl = cmd.options.find((o) => o.long === '--impl');
    assert.deepEqual(impl?.argChoices, ['synthetic', 'opencv-hog', 'onnx', 'kserve', 'replay']);
    for (const i of IMPLS) {
      for (const f of i.flags) {
        const option = cmd.options.find((o) => o.long === f.flags.split(' ')[0]);
        assert.ok(option, `${f.flags} of ${i.name}`);
        // Its help names it before its description, also when other implementations share the flag.
        const named = new RegExp(`(^|; )([a-z-]+, )*${i.name}(, [a-z-]+)*: `).test(option.description);
        assert.ok(named && option.description.includes(f.description), `${f.flags}: ${option.description}`);
      }
    }
  });

  it('declares a flag shared by several implementations once (kserve takes onnx\'s detection flags)', () => {
    const cmd = processorCommand();
    const help = (long: string) => cmd.options.filter((o) => o.long === long).map((o) => o.description);
    assert.deepEqual(help('--score'), ['onnx, kserve: minimum score']);
    assert.deepEqual(help('--model'), ['onnx: model file (default: NanoDet-m COCO, converted once into models/); kserve: model name on the inference server']);
  });

  it('creates a detector from parsed flags, and checks them', async () => {
    const synthetic = await createDetector('synthetic', {});
    assert.equal(synthetic.info.name, 'synthetic');
    await synthetic.close();
    await assert.rejects(createDetector('replay', { latencyMs: '0', seed: 1 }), { message: '--impl replay needs --mot-dets DIR' });
    assert.throws(() => createDetector('nope', {}), /unknown processor implementation 'nope'/);
  });
});
