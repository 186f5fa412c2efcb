import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../../common/errors.js';
import { parseRulesConfig } from '../../consumer/rules/config.js';
import { loadRulesConfig } from '../../consumer/rules/load.js';

const tri = [[0, 0], [10, 0], [0, 10]];
const ok = { name: 'r', on: 'new' };

function rejects(raw: unknown, message: string): void {
  assert.throws(() => parseRulesConfig(raw, 'rules.yaml'), (err: unknown) => {
    assert.ok(err instanceof UsageError);
    assert.equal(err.message, message);
    return true;
  });
}

describe('rules config', () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'vsp-rules-config-'));

  it('loads YAML, with defaults filled in and an inline zone named after its rule', () => {
    const file = path.join(work, 'ok.yaml');
    writeFileSync(file, [
      'zones:',
      '  door: { camera: cam-1, polygon: [[0, 0], [10, 0], [10, 10], [0, 10]] }',
      'lines:',
      '  gate: { from: [5, 0], to: [5, 10], direction: left-to-right }',
      'targets:',
      '  hook: { type: webhook, url: "http://127.0.0.1:9/x", secret: s3cret }',
      'rules:',
      '  - { name: at-door, on: zone-enter, zone: door, labels: [person], cooldown: 30, targets: [hook] }',
      '  - { name: pad, on: dwell, seconds: 5, zone: { polygon: [[1, 1], [2, 1], [2, 2]] } }',
      '  - { name: crossing, on: line-cross, line: gate }',
      '',
    ].join('\n'));
    const c = loadRulesConfig(file);
    assert.equal(c.endAfterFrames, 5);
    assert.deepEqual(c.zones.map((z) => [z.name, z.camera]), [['door', 'cam-1'], ['pad', undefined]]);
    assert.equal(c.rules[0]!.zone, c.zones[0], 'a named zone resolves to the zone itself');
    assert.deepEqual(c.rules[0], {
      name: 'at-door', on: 'zone-enter', cameras: undefined, labels: ['person'], minScore: 0, minAge: 1,
      cooldown: 30, cooldownPer: 'track', targets: ['hook'], zone: c.zones[0],
    });
    assert.deepEqual(c.rules[2]!.line, { name: 'gate', from: [5, 0], to: [5, 10], direction: 'left-to-right' });
    assert.deepEqual(c.targets.hook, {
      type: 'webhook', url: 'http://127.0.0.1:9/x', secret: 's3cret', headers: {}, retries: 3, backoffMs: 500, maxBackoffMs: 30_000,
      timeoutS: 10, queueSize: 1000, concurrency: 1,
    });
  });

  it('loads JSON as well', () => {
    const file = path.join(work, 'ok.json');
    writeFileSync(file, JSON.stringify({ endAfterFrames: 2, rules: [{ name: 'c', on: 'count', interval: 60 }] }));
    const c = loadRulesConfig(file);
    assert.equal(c.endAfterFrames, 2);
    assert.equal(c.rules[0]!.interval, 60);
  });

  it('names the file and the field of the first problem, on one line', () => {
    const file = path.join(work, 'rules.yaml');
    writeFileSync(file, ['rules:', '  - { name: a, on: new }', '  - { name: b, on: end }', '  - name: c', '    on: zone-enter', '    zone: { polygon: [[0, 0], [1, 1]] }', ''].join('\n'));
    assert.throws(() => loadRulesConfig(file), { name: 'UsageError', message: `${file}: rules[2].zone.polygon: expected at least 3 points` });
  });

  it('reports YAML syntax errors and unreadable files', () => {
    const file = path.join(work, 'broken.yaml');
    writeFileSync(file, 'rules: [\n');
    assert.throws(() => loadRulesConfig(file), (err: unknown) => {
      assert.ok(err instanceof UsageError);
      assert.match(err.message, new RegExp(`^${file}: .*line 2`));
      assert.ok(!err.message.includes('\n'), 'one line');
      return true;
    });
    assert.throws(() => loadRulesConfig(path.join(work, 'nope.yaml')), { name: 'UsageError', message: /^--rules: cannot read .*nope\.yaml: ENOENT/ });
  });

  const cases: Array<[string, unknown, string]> = [
    ['no rules', {}, 'rules: expected at least one rule'],
    ['not an object', 5, '(top level): expected object, received number'],
    ['an unknown top-level field', { rules: [ok], zonez: {} }, 'zonez: unknown field'],
    ['a field the trigger does not use', { rules: [{ name: 'a', on: 'new', zone: 'x' }] }, 'rules[0].zone: unknown field'],
    ['an unknown trigger', { rules: [{ name: 'a', on: 'nw' }] }, 'rules[0].on: expected one of new, update, end, zone-enter, zone-exit, line-cross, dwell, count'],
    ['a missing trigger', { rules: [{ name: 'a' }] }, 'rules[0].on: required'],
    ['two rules of one name', { rules: [ok, ok] }, "rules[1].name: another rule is already named 'r'"],
    ['an unknown zone', { zones: { door: { polygon: tri } }, rules: [ok, { name: 'b', on: 'zone-enter', zone: 'dor' }] }, "rules[1].zone: unknown zone 'dor' (known: door)"],
    ['an unknown target', { rules: [{ ...ok, targets: ['hook'] }] }, "rules[0].targets[0]: unknown target 'hook' (none defined)"],
    ['a missing zone', { rules: [{ name: 'c', on: 'zone-exit' }] }, 'rules[0].zone: required'],
    ['a zone of the wrong type', { rules: [{ name: 'c', on: 'zone-exit', zone: 7 }] }, 'rules[0].zone: expected a zone name or { camera?, polygon }'],
    ['a dwell without seconds', { rules: [{ name: 'a', on: 'dwell', zone: { polygon: tri } }] }, 'rules[0].seconds: required'],
    ['a count without interval', { rules: [{ name: 'c', on: 'count' }] }, 'rules[0].interval: required'],
    ['a zero interval', { rules: [{ name: 'c', on: 'update', interval: 0 }] }, 'rules[0].interval: expected a number of seconds > 0'],
    ['a count in a zone and on a line', { rules: [{ name: 'c', on: 'count', interval: 5, zone: { polygon: tri }, line: { from: [0, 0], to: [1, 1] } }] }, 'rules[0].line: a count rule counts in a zone or on a line, not both'],
    ['a zone on a camera the rule excludes', { zones: { door: { camera: 'a', polygon: tri } }, rules: [{ name: 'c', on: 'zone-exit', zone: 'door', cameras: ['b'] }] }, "rules[0].cameras: zone 'door' is on camera 'a', which is not listed"],
    ['a bad cooldownPer', { rules: [{ ...ok, cooldownPer: 'x' }] }, 'rules[0].cooldownPer: expected one of "track"|"camera"|"rule"'],
    ['a score above 1', { rules: [{ ...ok, minScore: 2 }] }, 'rules[0].minScore: expected number to be <=1'],
    ['a fractional age', { rules: [{ ...ok, minAge: 0.5 }] }, 'rules[0].minAge: expected an integer'],
    ['a bad point', { zones: { door: { polygon: [[0, 0], [1], [0, 1]] } }, rules: [ok] }, 'zones.door.polygon[1]: expected a point [x, y]'],
    ['a flat polygon', { zones: { door: { polygon: [[0, 0], [1, 1], [2, 2]] } }, rules: [ok] }, 'zones.door.polygon: the polygon has no area'],
    ['a bad zone name', { zones: { 'front door': { polygon: tri } }, rules: [ok] }, `zones["front door"]: invalid name: expected a name of letters, digits, '_', '.' or '-'`],
    ['a line of one point', { lines: { gate: { from: [0, 0], to: [0, 0] } }, rules: [ok] }, 'lines.gate.to: from and to must differ'],
    ['a direction across a steep line', { lines: { gate: { from: [0, 0], to: [0, 10], direction: 'top-to-bottom' } }, rules: [ok] }, 'lines.gate.direction: this line is steep, its sides are left and right: expected any, left-to-right or right-to-left'],
    ['a direction across a flat line', { lines: { gate: { from: [0, 0], to: [10, 0], direction: 'left-to-right' } }, rules: [ok] }, 'lines.gate.direction: this line is flat, its sides are top and bottom: expected any, top-to-bottom or bottom-to-top'],
    ['a webhook URL that is not http', { targets: { hook: { type: 'webhook', url: 'ftp://x' } }, rules: [ok] }, 'targets.hook.url: expected an http(s) URL'],
    ['an unknown target type', { targets: { hook: { type: 'webhok', url: 'http://x' } }, rules: [ok] }, 'targets.hook.type: expected type webhook, mqtt, kafka or exec'],
    ['a target without type', { targets: { hook: { url: 'http://x' } }, rules: [ok] }, 'targets.hook.type: required'],
    ['an empty exec command', { targets: { e: { type: 'exec', command: [] } }, rules: [ok] }, 'targets.e.command: expected [program, ...args]'],
    ['an mqtt URL that is not mqtt', { targets: { m: { type: 'mqtt', url: 'http://x' } }, rules: [ok] }, 'targets.m.url: expected an mqtt://, mqtts://, ws:// or wss:// URL'],
  ];
  for (const [what, raw, message] of cases) {
    it(`rejects ${what}`, () => rejects(raw, `rules.yaml: ${message}`));
  }
});
