// Replaying a MOTChallenge file: `mot:` sources number their frames as the file does, and the
// replay processor refuses frames the file does not have.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createReplayDetector } from '../../processor/replay-detector.js';
import { motBlankSource } from '../../producer/sources/mot-blank.js';
import type { Frame__Output } from '../../common/gen/vsp/v1/Frame.js';

const frame = (cameraId: string, seq: number) => ({ cameraId, seq }) as Frame__Output;

describe('MOT replay', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vsp-mot-replay-'));
  writeFileSync(path.join(dir, 'cam.txt'), '1,-1,10,20,30,40,0.9,-1,-1,-1\n3,-1,11,21,31,41,0.8,-1,-1,-1\n3,-1,50,60,10,10,0.7,-1,-1,-1\n');
  writeFileSync(path.join(dir, 'empty.txt'), '');

  it('mot: gives each frame its frame number in the file as its seq, frames without rows included', async () => {
    const seqs: Array<number | undefined> = [];
    for await (const f of motBlankSource(path.join(dir, 'cam.txt')).frames(new AbortController().signal)) seqs.push(f.seq);
    assert.deepEqual(seqs, [1, 2, 3]);
  });

  it('replay answers the frame numbers of its file, and an error beyond the last one', async () => {
    const detector = createReplayDetector({ dir, latencyMs: [0, 0], seed: 1 });
    const [one, two, three, four] = await detector.detect([1, 2, 3, 4].map((seq) => frame('cam', seq)));
    assert.deepEqual(one, { detections: [{ x1: 10, y1: 20, x2: 40, y2: 60, score: 0.9, classId: 0, label: 'person' }] });
    assert.deepEqual(two, { detections: [] }, 'a frame of the file without rows has no detections');
    assert.equal('detections' in three! && three.detections.length, 2);
    assert.deepEqual(four, { error: `frame 4 is beyond the last frame (3) of ${path.join(dir, 'cam.txt')}` });
  });

  it('replay of an empty file answers every frame with no detections (a null processor)', async () => {
    const detector = createReplayDetector({ dir, latencyMs: [0, 0], seed: 1 });
    assert.deepEqual(await detector.detect([frame('empty', 1), frame('empty', 5000)]), [{ detections: [] }, { detections: [] }]);
  });
});
