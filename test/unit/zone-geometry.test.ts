import assert from 'node:assert/strict';
import { bottomCentre, crossingOf, doubleArea, isSteep, onSegment, pointInPolygon, segmentsIntersect, sideOf, type Point } from '../../consumer/rules/geometry.js';

describe('zone/line geometry', () => {
  describe('pointInPolygon', () => {
    const square: Point[] = [[0, 0], [10, 0], [10, 10], [0, 10]];
    // A "U": the notch x 4..6, y 0..6 is outside.
    const u: Point[] = [[0, 0], [4, 0], [4, 6], [6, 6], [6, 0], [10, 0], [10, 10], [0, 10]];

    it('tells inside from outside', () => {
      assert.equal(pointInPolygon([5, 5], square), true);
      assert.equal(pointInPolygon([11, 5], square), false);
      assert.equal(pointInPolygon([-0.001, 5], square), false);
      assert.equal(pointInPolygon([5, 10.5], square), false);
    });

    it('counts points on an edge or a vertex as inside', () => {
      for (const p of [[0, 5], [10, 5], [5, 0], [5, 10], [0, 0], [10, 10], [10, 0]] as Point[]) {
        assert.equal(pointInPolygon(p, square), true, `${p}`);
      }
      assert.equal(pointInPolygon([3, 3], [[0, 0], [6, 6], [0, 6]]), true, 'on a diagonal edge');
    });

    it('handles a concave polygon, with the ray through vertices and along horizontal edges', () => {
      assert.equal(pointInPolygon([5, 3], u), false, 'in the notch');
      assert.equal(pointInPolygon([5, 8], u), true, 'above the notch');
      assert.equal(pointInPolygon([2, 3], u), true, 'left arm');
      assert.equal(pointInPolygon([8, 3], u), true, 'right arm');
      assert.equal(pointInPolygon([2, 6], u), true, 'ray along the notch floor (a horizontal edge)');
      assert.equal(pointInPolygon([-1, 6], u), false, 'ray through two vertices, from outside');
      assert.equal(pointInPolygon([5, 6], u), true, 'on the notch floor');
    });

    it('uses the even-odd rule for a self-intersecting polygon', () => {
      const bowtie: Point[] = [[0, 0], [10, 10], [10, 0], [0, 10]];
      assert.equal(pointInPolygon([2, 5], bowtie), true);
      assert.equal(pointInPolygon([5, 2], bowtie), false);
      assert.equal(pointInPolygon([5, 5], bowtie), true, 'the crossing point is on an edge');
    });

    it('does not depend on the winding order', () => {
      const reversed = [...u].reverse();
      for (const p of [[5, 3], [5, 8], [2, 3], [-1, 6]] as Point[]) assert.equal(pointInPolygon(p, reversed), pointInPolygon(p, u), `${p}`);
    });
  });

  it('doubleArea is signed and zero for a degenerate polygon', () => {
    assert.equal(doubleArea([[0, 0], [10, 0], [10, 10], [0, 10]]), 200);
    assert.equal(doubleArea([[0, 10], [10, 10], [10, 0], [0, 0]]), -200);
    assert.equal(doubleArea([[0, 0], [5, 5], [10, 10]]), 0);
  });

  it('sideOf gives opposite signs to the two sides and 0 on the line', () => {
    assert.equal(sideOf([5, 5], [0, 0], [10, 0]), 1);
    assert.equal(sideOf([5, -5], [0, 0], [10, 0]), -1);
    assert.equal(sideOf([5, 5], [10, 0], [0, 0]), -1, 'reversing the line swaps the signs');
    assert.equal(sideOf([20, 0], [0, 0], [10, 0]), 0, 'on the line beyond the segment');
  });

  it('onSegment and segmentsIntersect, including touching and collinear cases', () => {
    assert.equal(onSegment([5, 0], [0, 0], [10, 0]), true);
    assert.equal(onSegment([11, 0], [0, 0], [10, 0]), false);
    assert.equal(segmentsIntersect([0, 0], [10, 10], [0, 10], [10, 0]), true, 'X');
    assert.equal(segmentsIntersect([0, 0], [4, 4], [0, 10], [10, 0]), false, 'stops short');
    assert.equal(segmentsIntersect([0, 0], [5, 5], [0, 10], [10, 0]), true, 'end touches');
    assert.equal(segmentsIntersect([0, 0], [5, 0], [3, 0], [8, 0]), true, 'collinear overlap');
    assert.equal(segmentsIntersect([0, 0], [2, 0], [3, 0], [8, 0]), false, 'collinear apart');
    assert.equal(segmentsIntersect([0, 1], [10, 1], [0, 0], [10, 0]), false, 'parallel');
  });

  describe('crossingOf', () => {
    const from: Point = [100, 0];
    const to: Point = [100, 200];

    it('names the direction of a crossing as on the screen, whatever the order of the points', () => {
      for (const [a, b] of [[from, to], [to, from]] as Array<[Point, Point]>) {
        assert.equal(crossingOf(a, b, [90, 50], [110, 52]), 'left-to-right');
        assert.equal(crossingOf(a, b, [110, 50], [90, 52]), 'right-to-left');
      }
      // A flat line (|dy| < |dx|), drawn either way, has a top and a bottom side.
      for (const [a, b] of [[[0, 100], [200, 120]], [[200, 120], [0, 100]]] as Array<[Point, Point]>) {
        assert.equal(crossingOf(a, b, [50, 90], [52, 120]), 'top-to-bottom');
        assert.equal(crossingOf(a, b, [50, 120], [52, 90]), 'bottom-to-top');
      }
      // At 45° the line counts as steep.
      assert.equal(crossingOf([0, 0], [100, 100], [60, 40], [40, 60]), 'right-to-left');
      assert.equal(isSteep([0, 0], [100, 100]), true);
      assert.equal(isSteep([0, 0], [100, 99]), false);
    });

    it('ignores moves that stay on one side, start or end on the line, or pass beyond its ends', () => {
      assert.equal(crossingOf(from, to, [90, 50], [95, 50]), undefined);
      assert.equal(crossingOf(from, to, [90, 50], [100, 50]), undefined, 'onto the line');
      assert.equal(crossingOf(from, to, [100, 50], [110, 50]), undefined, 'off the line');
      assert.equal(crossingOf(from, to, [90, 250], [110, 250]), undefined, 'below the segment');
      assert.equal(crossingOf(from, to, [90, -10], [110, 10]), 'left-to-right', 'through the end point');
    });
  });

  it('bottomCentre is the middle of the bottom edge', () => {
    assert.deepEqual(bottomCentre({ x1: 10, x2: 30, y2: 50 }), [20, 50]);
  });
});
