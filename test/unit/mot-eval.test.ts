import assert from 'node:assert/strict';
import { evaluateMot } from '../../common/mot/eval.js';
import { parseMot, type MotRow } from '../../common/mot/format.js';
import { readFixture } from './tracker-helpers.js';

const row = (frame: number, id: number, x: number, y = 0, w = 10, h = 10): MotRow => ({ frame, id, x, y, w, h, score: 1 });

describe('MOT evaluation', () => {
  it('reproduces the published py-motmetrics values on TUD-Campus (sample tracker)', () => {
    const m = evaluateMot(parseMot(readFixture('gt/TUD-Campus.txt')), parseMot(readFixture('gt/TUD-Campus.sample-tracker.txt')));
    assert.deepEqual(
      { gt: m.gt, mt: m.mt, pt: m.pt, ml: m.ml, fp: m.fp, fn: m.fn, idsw: m.idsw, fm: m.fm },
      { gt: 8, mt: 1, pt: 6, ml: 1, fp: 13, fn: 150, idsw: 7, fm: 7 },
    );
    const published = { idf1: 0.557659, idp: 0.72973, idr: 0.451253, recall: 0.582173, precision: 0.941441, mota: 0.526462, motp: 0.277201 };
    for (const [key, value] of Object.entries(published)) {
      const got = m[key as keyof typeof published];
      assert.ok(Math.abs(got - value) <= 1e-3, `${key}: ${got} vs ${value}`);
    }
  });

  it('scores a perfect tracker as perfect', () => {
    const gt = [row(1, 1, 0), row(1, 2, 50), row(2, 1, 2), row(2, 2, 52), row(3, 1, 4)];
    const m = evaluateMot(gt, gt.map((r) => ({ ...r, id: r.id + 100 })));
    assert.deepEqual(
      [m.mota, m.motp, m.idf1, m.idp, m.idr, m.recall, m.precision, m.fp, m.fn, m.idsw, m.fm, m.mt, m.frames],
      [1, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 2, 3],
    );
  });

  it('counts a switch when an object is matched to a different hypothesis', () => {
    const gt = [row(1, 1, 0), row(2, 1, 0), row(3, 1, 0)];
    const tracks = [row(1, 10, 0), row(2, 10, 0), row(3, 20, 0)];
    const m = evaluateMot(gt, tracks);
    assert.deepEqual([m.idsw, m.fp, m.fn, m.matches], [1, 0, 0, 3]);
    assert.ok(Math.abs(m.mota - 2 / 3) < 1e-12);
    // IDF1: object 1 ↔ hypothesis 10 for 2 of its 3 frames.
    assert.deepEqual([m.idtp, m.idfp, m.idfn], [2, 1, 1]);
  });

  it("keeps last frame's correspondence while it is within the threshold, even if another is closer", () => {
    const gt = [row(1, 1, 0), row(2, 1, 0)];
    // Frame 2: hypothesis 10 overlaps with IoU 0.6 (distance 0.4), hypothesis 20 exactly.
    const tracks = [row(1, 10, 0), row(2, 10, 0, 0, 10, 10 / 0.6), row(2, 20, 0)];
    const m = evaluateMot(gt, tracks);
    assert.deepEqual([m.idsw, m.fp, m.matches], [0, 1, 2]);
    assert.ok(Math.abs(m.motp - 0.4 / 2) < 1e-12, `motp ${m.motp}`);
  });

  it('matches at IoU exactly 0.5 and not below', () => {
    const at = evaluateMot([row(1, 1, 0)], [row(1, 9, 0, 0, 10, 20)]); // IoU = 100 / 200
    assert.deepEqual([at.matches, at.fp, at.fn], [1, 0, 0]);
    const below = evaluateMot([row(1, 1, 0)], [row(1, 9, 0, 0, 10, 20.5)]);
    assert.deepEqual([below.matches, below.fp, below.fn], [0, 1, 1]);
  });

  it('counts fragmentations only between tracked stretches, and MT/PT/ML by tracked ratio', () => {
    // Object 1 tracked, lost, tracked, lost (at the end): one fragmentation.
    const gt = [1, 2, 3, 4, 5].map((f) => row(f, 1, 0));
    const tracks = [row(1, 10, 0), row(3, 10, 0), row(4, 10, 0)];
    const m = evaluateMot(gt, tracks);
    assert.deepEqual([m.fm, m.fn, m.mt, m.pt, m.ml, m.frames], [1, 2, 0, 1, 0, 5]);
    const lost = evaluateMot(gt, [row(1, 10, 0)]);
    assert.deepEqual([lost.fm, lost.mt, lost.pt, lost.ml], [0, 0, 1, 0]);
    const none = evaluateMot(gt, []);
    assert.deepEqual([none.fm, none.mt, none.pt, none.ml, none.fn], [0, 0, 0, 1, 5]);
  });

  it('counts frames present in only one file: tracker-only boxes are FP, gt-only boxes FN', () => {
    const m = evaluateMot([row(1, 1, 0)], [row(2, 5, 0)]);
    assert.deepEqual([m.frames, m.fp, m.fn, m.matches], [2, 1, 1, 0]);
    assert.equal(m.idf1, 0);
  });

  it('gives NaN ratios when there is nothing to score', () => {
    const m = evaluateMot([], []);
    assert.deepEqual([m.frames, m.gt, m.fp, m.fn], [0, 0, 0, 0]);
    assert.ok(Number.isNaN(m.mota) && Number.isNaN(m.motp) && Number.isNaN(m.idf1));
  });
});
