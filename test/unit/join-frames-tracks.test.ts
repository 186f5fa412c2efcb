import assert from 'node:assert/strict';
import { FrameJoin } from '../../consumer/join.js';

interface F {
  cameraId: string;
  seq: number;
  image: string;
}
interface T {
  cameraId: string;
  seq: number;
  tracks: string;
}

const f = (cameraId: string, seq: number, image = `img${seq}`): F => ({ cameraId, seq, image });
const t = (cameraId: string, seq: number, tracks = `trk${seq}`): T => ({ cameraId, seq, tracks });

describe('FrameJoin', () => {
  it('pairs a frame and its tracked frame whichever comes first, by camera and seq', () => {
    const join = new FrameJoin<F, T>();
    assert.equal(join.addFrame(f('a', 1)), undefined);
    assert.deepEqual(join.addTracks(t('a', 1)), { frame: f('a', 1), tracks: t('a', 1) });
    assert.equal(join.addTracks(t('a', 2)), undefined);
    assert.equal(join.addFrame(f('b', 2)), undefined, 'same seq, other camera: no pair');
    assert.deepEqual(join.addFrame(f('a', 2)), { frame: f('a', 2), tracks: t('a', 2) });
    assert.deepEqual(join.addTracks(t('b', 2)), { frame: f('b', 2), tracks: t('b', 2) });
    assert.equal(join.counters.joined, 3);
    assert.deepEqual(join.waiting(), { frames: 0, tracks: 0 });
  });

  it('emits pairs in the order they complete, not in seq order', () => {
    const join = new FrameJoin<F, T>();
    for (const seq of [1, 2, 3]) join.addFrame(f('a', seq));
    const order = [3, 1, 2].map((seq) => join.addTracks(t('a', seq))?.frame.seq);
    assert.deepEqual(order, [3, 1, 2]);
  });

  it('evicts the oldest frame past the bound and counts it as a frame without tracks', () => {
    const join = new FrameJoin<F, T>({ maxFramesPerCamera: 3 });
    for (let seq = 1; seq <= 5; seq++) join.addFrame(f('a', seq));
    join.addFrame(f('b', 1));
    assert.equal(join.counters.framesWithoutTracks, 2);
    assert.deepEqual(join.waiting(), { frames: 4, tracks: 0 }, 'three for a (the bound is per camera), one for b');
    assert.equal(join.addTracks(t('a', 1)), undefined, 'seq 1 was evicted');
    assert.equal(join.addTracks(t('a', 2)), undefined, 'seq 2 was evicted');
    assert.equal(join.addTracks(t('a', 3))?.frame.seq, 3, 'seq 3 was kept');
  });

  it('evicts the oldest tracked frame past the bound and counts it as tracks without a frame', () => {
    const join = new FrameJoin<F, T>({ maxTracksPerCamera: 2 });
    for (let seq = 1; seq <= 4; seq++) join.addTracks(t('a', seq));
    assert.equal(join.counters.tracksWithoutFrames, 2);
    assert.equal(join.addFrame(f('a', 2)), undefined);
    assert.equal(join.addFrame(f('a', 4))?.tracks.seq, 4);
  });

  it('stays bounded however long one side never comes', () => {
    const join = new FrameJoin<F, T>({ maxFramesPerCamera: 8, maxTracksPerCamera: 16 });
    for (let seq = 1; seq <= 10_000; seq++) {
      join.addFrame(f(`cam${seq % 3}`, seq));
      join.addTracks(t(`cam${seq % 3}`, seq + 1_000_000));
    }
    assert.deepEqual(join.waiting(), { frames: 3 * 8, tracks: 3 * 16 });
    assert.equal(join.counters.framesWithoutTracks, 10_000 - 3 * 8);
    assert.equal(join.counters.tracksWithoutFrames, 10_000 - 3 * 16);
    assert.equal(join.counters.joined, 0);
  });

  it('ignores a tracked frame delivered again after its pair was emitted (at-least-once)', () => {
    const join = new FrameJoin<F, T>();
    join.addFrame(f('a', 1));
    assert.ok(join.addTracks(t('a', 1)));
    assert.equal(join.addTracks(t('a', 1, 'again')), undefined);
    assert.equal(join.addFrame(f('a', 1, 'again')), undefined);
    assert.deepEqual(join.waiting(), { frames: 0, tracks: 0 }, 'duplicates of a joined pair are not kept');
    assert.equal(join.counters.duplicateTracks, 1);
    assert.equal(join.counters.duplicateFrames, 1);
    assert.equal(join.counters.joined, 1);
  });

  it('lets the latest copy of a waiting record win, without a second pair', () => {
    const join = new FrameJoin<F, T>();
    join.addTracks(t('a', 7, 'first'));
    join.addTracks(t('a', 7, 'second'));
    assert.deepEqual(join.addFrame(f('a', 7))?.tracks, t('a', 7, 'second'));
    assert.equal(join.addFrame(f('a', 7)), undefined);
    assert.equal(join.counters.joined, 1);
    assert.equal(join.counters.duplicateTracks, 1);
  });

  it('forgets joined seqs past its memory bound, so that memory is bounded too', () => {
    const join = new FrameJoin<F, T>({ rememberPerCamera: 2 });
    for (let seq = 1; seq <= 3; seq++) {
      join.addFrame(f('a', seq));
      join.addTracks(t('a', seq));
    }
    assert.equal(join.addTracks(t('a', 3)), undefined);
    assert.equal(join.counters.duplicateTracks, 1, 'seq 3 is remembered');
    join.addTracks(t('a', 1));
    assert.equal(join.counters.duplicateTracks, 1, 'seq 1 is forgotten: taken as new');
    assert.deepEqual(join.waiting(), { frames: 0, tracks: 1 });
  });

  it('rejects bounds that are not positive integers', () => {
    assert.throws(() => new FrameJoin({ maxFramesPerCamera: 0 }), /maxFramesPerCamera/);
    assert.throws(() => new FrameJoin({ rememberPerCamera: 1.5 }), /rememberPerCamera/);
  });
});
