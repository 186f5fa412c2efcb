import assert from 'node:assert/strict';
import { Trails } from '../../consumer/display/trails.js';

const box = (trackId: number, x: number, y: number) => ({ trackId, x1: x - 10, x2: x + 10, y1: y - 40, y2: y });

describe('window display trails', () => {
  it('keeps the last N bottom-centres of each track, oldest first', () => {
    const trails = new Trails(3, 30);
    let last = new Map<number, readonly { x: number; y: number }[]>();
    for (let seq = 1; seq <= 5; seq++) last = trails.update('cam', seq, [box(1, seq * 10, 100), box(2, 50, seq)]);
    assert.deepEqual(last.get(1), [{ x: 30, y: 100 }, { x: 40, y: 100 }, { x: 50, y: 100 }]);
    assert.deepEqual(last.get(2), [{ x: 50, y: 3 }, { x: 50, y: 4 }, { x: 50, y: 5 }]);
  });

  it('returns copies: a later frame does not change the trail of an earlier one', () => {
    const trails = new Trails(5, 30);
    const first = trails.update('cam', 1, [box(1, 10, 10)]);
    trails.update('cam', 2, [box(1, 20, 20)]);
    assert.deepEqual(first.get(1), [{ x: 10, y: 10 }]);
  });

  it('continues a track that skipped a few frames, forgets one gone for longer', () => {
    const trails = new Trails(10, 2);
    trails.update('cam', 1, [box(1, 10, 10), box(2, 90, 90)]);
    trails.update('cam', 2, [box(2, 91, 90)]);
    trails.update('cam', 3, [box(2, 92, 90)]);
    assert.equal(trails.update('cam', 4, [box(1, 14, 10), box(2, 93, 90)]).get(1)?.length, 1, 'track 1 absent 3 frames: a new trail');
    const again = trails.update('cam', 6, [box(1, 16, 10), box(2, 95, 90)]);
    assert.equal(again.get(1)?.length, 2, 'absent 2 frames (seq 5 missing): still the same trail');
    assert.equal(again.get(2)?.length, 5);
  });

  it('keeps cameras apart and starts over when a camera restarts its seq numbering', () => {
    const trails = new Trails(10, 30);
    trails.update('a', 1, [box(1, 10, 10)]);
    trails.update('b', 1, [box(1, 50, 50)]);
    assert.deepEqual(trails.update('a', 2, [box(1, 11, 10)]).get(1), [{ x: 10, y: 10 }, { x: 11, y: 10 }]);
    assert.deepEqual(trails.update('b', 1, [box(1, 60, 60)]).get(1), [{ x: 60, y: 60 }], 'seq 1 again: a new run');
  });
});
