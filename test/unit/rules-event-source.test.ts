import assert from 'node:assert/strict';
import type { TrackedFrame__Output } from '../../common/gen/vsp/v1/TrackedFrame.js';
import { createEventSource } from '../../consumer/rules/event-source.js';
import type { RuleEvent } from '../../consumer/rules/engine.js';

// One box walking right 10 px per frame (bottom-centre x = 10 seq), seq 1..30, 10 frames/s.
function frame(seq: number): TrackedFrame__Output {
  const ms = 1_700_000_000_000 + 100 * seq;
  return {
    cameraId: 'cam', seq, captureTime: { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 }, source: null, width: 640, height: 480,
    detections: [], tracks: [{ trackId: 4, x1: 10 * seq - 5, y1: 50, x2: 10 * seq + 5, y2: 100, classId: 0, label: 'dog', score: 0.8 }],
    processor: '', timings: null, status: 'OK', error: '',
  };
}

const config = {
  zones: { start: { polygon: [[0, 0], [50, 0], [50, 200], [0, 200]] }, yard: { polygon: [[150, 0], [400, 0], [400, 200], [150, 200]] } },
  lines: { fence: { from: [95, 0], to: [95, 200] } },
};

describe('event source API', () => {
  it('calls onTrack, onZoneEnter, onZoneExit, onLineCross and onEvent with the events', () => {
    const source = createEventSource({ config: { ...config, rules: [{ name: 'far', on: 'zone-exit', zone: 'yard' }] }, updateInterval: 1 });
    const got: string[] = [];
    const note = (tag: string) => (e: RuleEvent) => got.push(`${tag} ${e.type} ${e.track?.id}@${e.seq}`);
    source.onTrack(note('track'));
    source.onZoneEnter('yard', note('yard'));
    source.onLineCross('fence', note('fence'));
    source.onZoneExit('start', note('start'));
    const all: RuleEvent[] = [];
    source.onEvent((e) => all.push(e));
    const returned = [...Array.from({ length: 30 }, (_, i) => source.push(frame(i + 1))).flat(), ...source.flush()];
    assert.deepEqual(got, [
      'track new 4@1',
      'start zone-exit 4@6', // x 50 (edge, inside) → 60
      'fence line-cross 4@10', // x 90 → 100 across x = 95
      'track update 4@11',
      'yard zone-enter 4@15', // x = 150, on the edge
      'track update 4@21',
      'track end 4@30', // at flush
    ]);
    // The config's rule (zone-exit) stays quiet: at seq 30 the box is still in the yard.
    assert.deepEqual(all, returned);
    assert.deepEqual(all.map((e) => e.rule), ['@new', '@zone-exit:start', '@line-cross:fence', '@update', '@zone-enter:yard', '@update', '@end']);
  });

  it("fires the config's rules through onEvent", () => {
    const source = createEventSource({ config: { ...config, rules: [{ name: 'in-yard', on: 'dwell', zone: 'yard', seconds: 1 }] } });
    const all: RuleEvent[] = [];
    source.onEvent((e) => all.push(e));
    for (let seq = 1; seq <= 30; seq++) source.push(frame(seq));
    assert.deepEqual(all.map((e) => [e.rule, e.type, e.seq, e.dwellS]), [['in-yard', 'dwell', 25, 1]]);
  });

  it('refuses unknown zones and lines, and subscriptions after the first frame', () => {
    const source = createEventSource({ config });
    assert.throws(() => source.onZoneEnter('yrd', () => {}), /unknown zone 'yrd'/);
    assert.throws(() => source.onLineCross('fense', () => {}), /unknown line 'fense'/);
    source.push(frame(1));
    assert.throws(() => source.onTrack(() => {}), /subscribe before the first frame/);
  });

  it('validates its config like a rules file', () => {
    assert.throws(() => createEventSource({ config: { zones: { yard: { polygon: [] } } } }), { message: 'event source config: zones.yard.polygon: expected at least 3 points' });
  });
});
