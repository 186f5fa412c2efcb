// Shared by the tracker and MOT tests: fixture paths, a seeded PRNG, reference comparison.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Repository root (tests run from dist/test/unit). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const MOT15 = `${ROOT}test/fixtures/mot15`;
export const REFERENCE_SEQUENCES = ['ETH-Sunnyday', 'KITTI-17', 'PETS09-S2L1', 'TUD-Campus'] as const;

export function readFixture(relative: string): string {
  return readFileSync(`${MOT15}/${relative}`, 'utf8');
}

/** Small deterministic PRNG in [0, 1). */
export { mulberry32 as rng } from '../../common/prng.js';

/**
 * Asserts that MOT output lines equal the reference: the same rows per frame in the same order,
 * the same ids, boxes within 0.01 px, the constant trailing fields.
 */
export function assertMatchesReference(actual: readonly string[], reference: readonly string[], name: string): void {
  const group = (lines: readonly string[]) => {
    const byFrame = new Map<number, number[][]>();
    for (const line of lines) {
      const f = line.split(',').map(Number);
      assert.deepEqual(f.slice(6), [1, -1, -1, -1], `${name}: trailing fields of '${line}'`);
      const list = byFrame.get(f[0] as number) ?? [];
      list.push(f);
      byFrame.set(f[0] as number, list);
    }
    return byFrame;
  };
  const got = group(actual);
  const want = group(reference);
  assert.deepEqual([...got.keys()], [...want.keys()], `${name}: frames with output`);
  for (const [frame, rows] of want) {
    const mine = got.get(frame) as number[][];
    assert.deepEqual(
      mine.map((r) => r[1]),
      rows.map((r) => r[1]),
      `${name} frame ${frame}: ids in order`,
    );
    rows.forEach((r, i) => {
      for (let k = 2; k < 6; k++) {
        const diff = Math.abs((mine[i]?.[k] as number) - (r[k] as number));
        assert.ok(diff <= 0.01 + 1e-9, `${name} frame ${frame} id ${r[1]}: field ${k} is ${mine[i]?.[k]}, reference ${r[k]}`);
      }
    });
  }
}

export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}
