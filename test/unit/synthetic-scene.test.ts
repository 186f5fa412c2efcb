import assert from 'node:assert/strict';
import {
  checkSceneParams,
  MIN_SIZE,
  PALETTE,
  SCENE_LABELS,
  sceneAt,
  type SceneObject,
  type SceneParams,
} from '../../common/synthetic/scene.js';

const CASES: SceneParams[] = [
  { width: 640, height: 480, seed: 1 },
  { width: 1280, height: 720, seed: 2, objects: 5 },
  { width: 640, height: 480, seed: -7, objects: 8 },
  // The smallest frame that takes 8 objects: lanes of 29 rows.
  { width: 96, height: 232, seed: 3, objects: 8 },
];

function separated(a: SceneObject, b: SceneObject): boolean {
  return a.x2 <= b.x1 || b.x2 <= a.x1 || a.y2 <= b.y1 || b.y2 <= a.y1;
}

describe('synthetic scene', () => {
  it('is a pure function of (params, seq)', () => {
    const p = { width: 640, height: 480, seed: 42 };
    assert.deepEqual(sceneAt(p, 17), sceneAt({ ...p }, 17));
    // Order of evaluation does not matter: frame 17 computed after 900 others is the same.
    const first = sceneAt(p, 17);
    for (let seq = 0; seq < 900; seq++) sceneAt(p, seq);
    assert.deepEqual(sceneAt(p, 17), first);
    assert.notDeepEqual(sceneAt({ ...p, seed: 43 }, 17), first);
  });

  it('has 3 objects by default, ids 1..n, distinct palette colours and labels', () => {
    const objects = sceneAt({ width: 640, height: 480, seed: 5 }, 1);
    assert.deepEqual(objects.map((o) => o.id), [1, 2, 3]);
    assert.equal(new Set(objects.map((o) => o.classId)).size, 3);
    for (const o of objects) {
      assert.equal(o.label, SCENE_LABELS[o.classId]);
      assert.deepEqual(o.color, PALETTE[o.classId]?.color);
    }
  });

  for (const p of CASES) {
    it(`keeps objects inside ${p.width}x${p.height}, at least ${MIN_SIZE} px, of constant size, moving, never touching (seed ${p.seed})`, () => {
      const first = sceneAt(p, 0);
      assert.equal(first.length, p.objects ?? 3);
      const moved = new Set<number>();
      let previous = first;
      for (let seq = 1; seq <= 600; seq++) {
        const objects = sceneAt(p, seq);
        objects.forEach((o, i) => {
          const f = first[i] as SceneObject;
          const prev = previous[i] as SceneObject;
          assert.equal(o.id, f.id);
          assert.equal(o.classId, f.classId);
          assert.ok(o.x1 >= 0 && o.y1 >= 0 && o.x2 <= p.width && o.y2 <= p.height, `seq ${seq}: ${JSON.stringify(o)} outside`);
          assert.equal(o.x2 - o.x1, f.x2 - f.x1);
          assert.equal(o.y2 - o.y1, f.y2 - f.y1);
          assert.ok(o.x2 - o.x1 >= MIN_SIZE && o.y2 - o.y1 >= MIN_SIZE);
          // Speed is at most 1% of the width and 0.4% of the height per frame (+1 for rounding).
          assert.ok(Math.abs(o.x1 - prev.x1) <= p.width * 0.01 + 1, `seq ${seq}: x jumped`);
          assert.ok(Math.abs(o.y1 - prev.y1) <= p.height * 0.004 + 1, `seq ${seq}: y jumped`);
          if (o.x1 !== f.x1 || o.y1 !== f.y1) moved.add(o.id);
          for (const other of objects.slice(i + 1)) assert.ok(separated(o, other), `seq ${seq}: ${o.id} touches ${other.id}`);
        });
        previous = objects;
      }
      assert.equal(moved.size, first.length);
    });
  }

  it('bounces off the edges: an object reaches both sides of the frame and turns back', () => {
    const p = { width: 320, height: 240, seed: 9, objects: 1 };
    const xs = Array.from({ length: 2000 }, (_, seq) => (sceneAt(p, seq)[0] as SceneObject).x1);
    const w = (sceneAt(p, 0)[0] as SceneObject).x2 - (sceneAt(p, 0)[0] as SceneObject).x1;
    // Steps are at most 1% of the width (3.2 px), so some frame lands within 2 px of each wall.
    assert.ok(Math.min(...xs) <= 2);
    assert.ok(Math.max(...xs) >= p.width - w - 2);
    assert.ok(xs.every((x) => x >= 0 && x <= p.width - w));
  });

  it('rejects parameters no scene fits, saying why', () => {
    const base = { width: 640, height: 480, seed: 1 };
    assert.throws(() => checkSceneParams({ ...base, objects: 0 }), /objects must be an integer in 1\.\.8, got 0/);
    assert.throws(() => checkSceneParams({ ...base, objects: 9 }), /objects must be an integer in 1\.\.8, got 9/);
    assert.throws(() => checkSceneParams({ ...base, width: 95 }), /width must be at least 96, got 95/);
    assert.throws(() => checkSceneParams({ ...base, objects: 8, height: 231 }), /8 objects need a height of at least 232, got 231/);
    assert.throws(() => checkSceneParams({ ...base, width: 640.5 }), /width must be an integer/);
    assert.throws(() => checkSceneParams({ ...base, seed: 0.5 }), /seed must be an integer/);
    assert.throws(() => sceneAt(base, -1), /seq must be an integer >= 0, got -1/);
    assert.throws(() => sceneAt(base, 1.5), /seq must be an integer >= 0, got 1.5/);
    checkSceneParams({ width: 96, height: 232, seed: 0, objects: 8 });
  });
});
