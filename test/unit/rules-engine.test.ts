import assert from 'node:assert/strict';
import type { TrackedFrame__Output } from '../../common/gen/vsp/v1/TrackedFrame.js';
import { parseRulesConfig } from '../../consumer/rules/config.js';
import { RuleEngine, type RuleEvent } from '../../consumer/rules/engine.js';

// Scripted scene at 10 frames/s (seq k captured at T0 + 100 k ms). Track 1, a person, walks right
// 10 px per frame with its bottom-centre at (10 k + 10, 100), for seq 1..35, then is gone. The
// gate (x = 105) is crossed between seq 9 (x = 100) and 10 (x = 110). The door zone spans
// x 200..300: the person enters at seq 19 (x = 200, on the edge) and leaves at seq 30 (x = 310).
// Track 2, a car, stands still inside the door zone for the whole run.
const T0 = 1_700_000_000_000;

interface TrackSpec {
  id: number;
  x: number; // bottom-centre x
  y?: number; // bottom-centre y
  label?: string;
  score?: number;
}

function frame(seq: number, tracks: TrackSpec[], o: { camera?: string; status?: TrackedFrame__Output['status']; ms?: number } = {}): TrackedFrame__Output {
  const ms = o.ms ?? T0 + 100 * seq;
  return {
    cameraId: o.camera ?? 'cam-1',
    seq,
    captureTime: { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 },
    source: null,
    width: 640,
    height: 480,
    detections: [],
    tracks: tracks.map((t) => ({
      trackId: t.id, x1: t.x - 10, y1: (t.y ?? 100) - 40, x2: t.x + 10, y2: t.y ?? 100, classId: 0, label: t.label ?? 'person', score: t.score ?? 0.9,
    })),
    processor: 'test',
    timings: null,
    status: o.status ?? 'OK',
    error: '',
  };
}

const person = (seq: number): TrackSpec => ({ id: 1, x: 10 * seq + 10 });
const car: TrackSpec = { id: 2, x: 250, label: 'car', score: 0.3 };

function scene(last = 45): TrackedFrame__Output[] {
  return Array.from({ length: last }, (_, i) => i + 1).map((seq) => frame(seq, [...(seq <= 35 ? [person(seq)] : []), car]));
}

const PLACES = {
  zones: { door: { polygon: [[200, 50], [300, 50], [300, 150], [200, 150]] } },
  lines: { gate: { from: [105, 0], to: [105, 200], direction: 'left-to-right' }, 'gate-back': { from: [105, 0], to: [105, 200], direction: 'right-to-left' } },
};

function engineFor(rules: unknown[], extra: object = {}): RuleEngine {
  return new RuleEngine(parseRulesConfig({ ...PLACES, ...extra, rules }));
}

function runAll(engine: RuleEngine, frames: TrackedFrame__Output[]): RuleEvent[] {
  return [...frames.flatMap((f) => engine.onFrame(f)), ...engine.flush()];
}

/** [rule, type, track id, seq] per event. */
const brief = (events: RuleEvent[]) => events.map((e) => [e.rule, e.type, e.track?.id ?? null, e.seq]);

describe('rule engine', () => {
  it('fires exactly the expected lifecycle, line, zone and dwell events, once each, in order', () => {
    const engine = engineFor([
      { name: 'people', on: 'new', labels: ['person'] },
      { name: 'crossing', on: 'line-cross', line: 'gate' },
      { name: 'crossing-back', on: 'line-cross', line: 'gate-back' },
      { name: 'enter', on: 'zone-enter', zone: 'door' },
      { name: 'exit', on: 'zone-exit', zone: 'door' },
      { name: 'loiter', on: 'dwell', zone: 'door', seconds: 2 },
      { name: 'car-update', on: 'update', labels: ['car'], interval: 1 },
      { name: 'gone', on: 'end' },
    ]);
    assert.deepEqual(brief(runAll(engine, scene())), [
      ['people', 'new', 1, 1],
      ['enter', 'zone-enter', 2, 1], // the car is first seen inside: it has entered
      ['crossing', 'line-cross', 1, 10],
      ['car-update', 'update', 2, 11],
      ['enter', 'zone-enter', 1, 19],
      ['loiter', 'dwell', 2, 21], // in the zone since seq 1: 2 s at seq 21
      ['car-update', 'update', 2, 21],
      ['exit', 'zone-exit', 1, 30], // the person was in the zone 1.1 s: no dwell
      ['car-update', 'update', 2, 31],
      ['gone', 'end', 1, 41], // last seen at 35, missing from 6 > 5 frames at 41
      ['car-update', 'update', 2, 41],
      ['gone', 'end', 2, 45], // at flush
    ]);
    assert.deepEqual(engine.stats, { frames: 45, duplicates: 0, events: 12, suppressed: 0 });
  });

  it('describes the event fully, with a stable id and the capture time', () => {
    const engine = engineFor([{ name: 'crossing', on: 'line-cross', line: 'gate' }]);
    const events = runAll(engine, scene(12));
    assert.deepEqual(events[0], {
      id: 'crossing:cam-1:1:10',
      rule: 'crossing',
      type: 'line-cross',
      camera: 'cam-1',
      seq: 10,
      time: new Date(T0 + 1000).toISOString(),
      line: 'gate',
      direction: 'left-to-right',
      track: {
        id: 1, label: 'person', score: 0.9, box: { x1: 100, y1: 60, x2: 120, y2: 100 }, point: [110, 100],
        firstSeq: 1, lastSeq: 10, firstTime: new Date(T0 + 100).toISOString(), lastTime: new Date(T0 + 1000).toISOString(), frames: 10, zones: [],
      },
    });
    assert.equal(events.length, 1);
  });

  it('ignores a (camera, seq) it has already processed: replays give no new events', () => {
    const frames = scene();
    const replayed = [...frames.slice(0, 25), ...frames.slice(5, 25), frames[24]!, ...frames.slice(25)];
    const rules = [
      { name: 'crossing', on: 'line-cross', line: 'gate' },
      { name: 'enter', on: 'zone-enter', zone: 'door' },
      { name: 'gone', on: 'end' },
    ];
    const clean = runAll(engineFor(rules), frames);
    const engine = engineFor(rules);
    assert.deepEqual(runAll(engine, replayed), clean);
    assert.equal(engine.stats.duplicates, 21);
    assert.equal(clean.length, 5);
  });

  describe('cooldown and de-duplication', () => {
    // Track 3 jitters across the pad's edge: inside on odd seqs, outside on even ones.
    const pad = { pad: { polygon: [[0, 0], [100, 0], [100, 200], [0, 200]] } };
    const jitter = Array.from({ length: 30 }, (_, i) => frame(i + 1, [{ id: 3, x: i % 2 === 0 ? 99 : 101 }, { id: 4, x: i % 2 === 0 ? 99 : 101 }]));

    it('fires an entry per visit, and a per-track cooldown keeps a jittering track to one per period', () => {
      const engine = engineFor([
        { name: 'every', on: 'zone-enter', zone: 'pad', labels: ['person'], cameras: ['cam-1'] },
        { name: 'calm', on: 'zone-enter', zone: 'pad', cooldown: 1 },
      ], { zones: pad });
      const events = runAll(engine, jitter);
      const of = (rule: string, id: number) => events.filter((e) => e.rule === rule && e.track?.id === id).map((e) => e.seq);
      assert.deepEqual(of('every', 3), [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29]);
      // 1 s = 10 frames: allowed again at seq 11 (exactly 1 s later), then 21.
      assert.deepEqual(of('calm', 3), [1, 11, 21]);
      assert.deepEqual(of('calm', 4), [1, 11, 21], 'each track has its own cooldown');
      assert.equal(engine.stats.suppressed, 2 * 12);
    });

    it('a per-rule cooldown is shared by all tracks and cameras; per-camera by the tracks of a camera', () => {
      const engine = engineFor([
        { name: 'rule-wide', on: 'zone-enter', zone: 'pad', cooldown: 1, cooldownPer: 'rule' },
        { name: 'camera-wide', on: 'zone-enter', zone: 'pad', cooldown: 1, cooldownPer: 'camera' },
      ], { zones: pad });
      const frames = jitter.flatMap((f) => [f, { ...f, cameraId: 'cam-2' }]);
      const events = runAll(engine, frames);
      const fired = (rule: string) => events.filter((e) => e.rule === rule).map((e) => `${e.camera}/${e.track?.id}@${e.seq}`);
      assert.deepEqual(fired('rule-wide'), ['cam-1/3@1', 'cam-1/3@11', 'cam-1/3@21']);
      assert.deepEqual(fired('camera-wide'), ['cam-1/3@1', 'cam-2/3@1', 'cam-1/3@11', 'cam-2/3@11', 'cam-1/3@21', 'cam-2/3@21']);
    });
  });

  describe('filters', () => {
    it('label, minimum score, minimum age and camera', () => {
      const engine = engineFor([
        { name: 'confident', on: 'zone-enter', zone: 'door', minScore: 0.5 },
        { name: 'cars', on: 'zone-enter', zone: 'door', labels: ['car', 'truck'] },
        { name: 'settled', on: 'zone-enter', zone: 'door', minAge: 5 },
        { name: 'other-camera', on: 'zone-enter', zone: 'door', cameras: ['cam-9'] },
      ]);
      assert.deepEqual(brief(runAll(engine, scene())), [
        ['cars', 'zone-enter', 2, 1],
        ['settled', 'zone-enter', 2, 5], // seen by the rule from its 5th frame on, already inside
        ['confident', 'zone-enter', 1, 19],
        ['settled', 'zone-enter', 1, 19],
      ]);
    });

    it("a zone's or line's camera limits its rules to that camera", () => {
      const engine = engineFor([{ name: 'enter', on: 'zone-enter', zone: 'door' }], { zones: { door: { camera: 'cam-2', polygon: PLACES.zones.door.polygon } } });
      const events = runAll(engine, [...scene(20), ...scene(20).map((f) => ({ ...f, cameraId: 'cam-2' }))]);
      assert.deepEqual(events.map((e) => `${e.camera}/${e.track?.id}@${e.seq}`), ['cam-2/2@1', 'cam-2/1@19']);
    });

    it('a frame where the track fails the filter is not seen by the rule: state holds across it', () => {
      const engine = engineFor([{ name: 'crossing', on: 'line-cross', line: 'gate', minScore: 0.5 }]);
      // The person's score dips below 0.5 from seq 8 to 12, across the crossing.
      const frames = scene(20).map((f) => ({ ...f, tracks: f.tracks.map((t) => (t.trackId === 1 && f.seq >= 8 && f.seq <= 12 ? { ...t, score: 0.2 } : t)) }));
      assert.deepEqual(brief(runAll(engine, frames)), [['crossing', 'line-cross', 1, 13]]);
    });
  });

  describe('track end', () => {
    const rules = [{ name: 'gone', on: 'end' }, { name: 'hello', on: 'new' }];
    const seqs = (present: number[], last: number, status: (seq: number) => TrackedFrame__Output['status'] = () => 'OK') =>
      Array.from({ length: last }, (_, i) => i + 1).map((seq) => frame(seq, present.includes(seq) ? [{ id: 7, x: 50 }] : [], { status: status(seq) }));

    it('a track missing from K frames lives on; from K + 1 it has ended', () => {
      const engine = engineFor(rules, { endAfterFrames: 3 });
      // Gone 2..4 (3 frames), back at 5; gone 6..9, ended at 9 (4 > 3 frames); back at 10 as a new track.
      assert.deepEqual(brief(runAll(engine, seqs([1, 5, 10], 10))), [
        ['hello', 'new', 7, 1],
        ['gone', 'end', 7, 9],
        ['hello', 'new', 7, 10],
        ['gone', 'end', 7, 10],
      ]);
    });

    it('frames no detector looked at (status not OK) do not count as absence', () => {
      const engine = engineFor(rules, { endAfterFrames: 1 });
      // Seen at 1 and 8 with six failed frames between: alive. Missing from 9 and 10: ended at 10.
      const events = runAll(engine, seqs([1, 8], 11, (seq) => (seq >= 2 && seq <= 7 ? 'PROCESSOR_FAILED' : 'OK')));
      assert.deepEqual(brief(events), [['hello', 'new', 7, 1], ['gone', 'end', 7, 10]]);
      assert.equal(events[1]!.track!.lastSeq, 8);
    });

    it('endAfterFrames 0 ends a track at the first frame without it', () => {
      const engine = engineFor(rules, { endAfterFrames: 0 });
      assert.deepEqual(brief(runAll(engine, seqs([1, 2], 4))), [['hello', 'new', 7, 1], ['gone', 'end', 7, 3]]);
    });
  });

  describe('count', () => {
    it('counts distinct tracks per label per window, closed by the first frame past it and at flush', () => {
      const engine = engineFor([{ name: 'census', on: 'count', interval: 1 }]);
      const events = runAll(engine, scene());
      assert.deepEqual(
        events.map((e) => [e.seq, e.interval!.start, e.counts]),
        [
          // seq 1..9 fill [T0, T0 + 1 s); seq 10 closes it.
          [10, new Date(T0).toISOString(), { car: 1, person: 1 }],
          [20, new Date(T0 + 1000).toISOString(), { car: 1, person: 1 }],
          [30, new Date(T0 + 2000).toISOString(), { car: 1, person: 1 }],
          [40, new Date(T0 + 3000).toISOString(), { car: 1, person: 1 }], // the person until seq 35
          [45, new Date(T0 + 4000).toISOString(), { car: 1, person: 0 }], // at flush; gone labels stay, at 0
        ],
      );
      assert.equal(events[0]!.id, `census:cam-1:count:${T0}`);
      assert.equal(events[0]!.time, new Date(T0 + 1000).toISOString());
    });

    it('counts tracks in a zone, or crossings of a line in its direction', () => {
      const engine = engineFor([
        { name: 'in-door', on: 'count', interval: 2, zone: 'door' },
        { name: 'through-gate', on: 'count', interval: 2, line: 'gate' },
        { name: 'back-through-gate', on: 'count', interval: 2, line: 'gate-back' },
      ]);
      const events = runAll(engine, scene(39));
      const of = (rule: string) => events.filter((e) => e.rule === rule).map((e) => e.counts);
      // Windows [0, 2 s) = seq 1..19, [2, 4 s) = seq 20..39.
      assert.deepEqual(of('in-door'), [{ car: 1, person: 1 }, { car: 1, person: 1 }]);
      assert.deepEqual(of('through-gate'), [{ person: 1 }, { person: 0 }]);
      assert.deepEqual(of('back-through-gate'), [{}, {}]);
      assert.deepEqual(events.filter((e) => e.rule === 'in-door').map((e) => e.zone), ['door', 'door']);
    });
  });

  it('orders events of one frame: count windows, ended tracks, then present tracks by id, each by rule order', () => {
    const engine = engineFor([
      { name: 'a-new', on: 'new' },
      { name: 'b-gone', on: 'end' },
      { name: 'c-count', on: 'count', interval: 0.5 },
      { name: 'd-new', on: 'new' },
    ], { endAfterFrames: 0 });
    const events = [
      ...engine.onFrame(frame(1, [{ id: 9, x: 1 }])),
      ...engine.onFrame(frame(6, [{ id: 5, x: 1 }, { id: 3, x: 1 }])),
    ];
    assert.deepEqual(brief(events), [
      ['a-new', 'new', 9, 1],
      ['d-new', 'new', 9, 1],
      ['c-count', 'count', null, 6],
      ['b-gone', 'end', 9, 6],
      ['a-new', 'new', 3, 6],
      ['d-new', 'new', 3, 6],
      ['a-new', 'new', 5, 6],
      ['d-new', 'new', 5, 6],
    ]);
  });
});
