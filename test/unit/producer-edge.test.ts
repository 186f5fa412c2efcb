// Edge mode's pure parts: --send-image and what an in-process detector's outcome becomes.
import assert from 'node:assert/strict';
import { detectAtEdge, parseSendImage, sendsImage, type EdgeDetector } from '../../producer/edge.js';
import type { Frame__Output } from '../../common/gen/vsp/v1/Frame.js';

const frame: Frame__Output = { cameraId: 'c', seq: 1, captureTime: null, sourceTime: null, width: 4, height: 4, encoding: 'JPEG', image: Buffer.from([0xff, 0xd8, 0xff]), attributes: {} };

describe('producer edge mode', () => {
  it('--send-image: always, never, every:N (the first frame included); anything else is refused', () => {
    const pattern = (spec: string) => Array.from({ length: 7 }, (_, i) => (sendsImage(parseSendImage(spec), i) ? 1 : 0)).join('');
    assert.equal(pattern('always'), '1111111');
    assert.equal(pattern('never'), '0000000');
    assert.equal(pattern('every:3'), '1001001');
    assert.equal(pattern('every:1'), '1111111');
    for (const bad of ['every:0', 'every:', 'sometimes', 'every:-2', 'every:1.5']) assert.throws(() => parseSendImage(bad), /always, never or every:N/, bad);
  });

  it('attaches the detector name, detections and time; a failed frame gets no detections but its reason', async () => {
    const detection = { x1: 1, y1: 2, x2: 3, y2: 4, score: 0.9, classId: 0, label: 'person' };
    const detector = (outcome: { detections: (typeof detection)[] } | { error: string }): EdgeDetector => ({ info: { name: 'fake' }, detect: async () => [outcome], close: async () => {} });
    const found = await detectAtEdge(detector({ detections: [detection] }), frame);
    assert.ok(!('error' in found));
    assert.equal(found.detector, 'fake');
    assert.deepEqual(found.detections, [detection]);
    assert.ok(Number(found.processMs) >= 0);
    assert.deepEqual(await detectAtEdge(detector({ error: 'corrupt JPEG' }), frame), { error: 'corrupt JPEG' });
  });
});
