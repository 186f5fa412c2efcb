import assert from 'node:assert/strict';
import { letterbox, stretch, toSource } from '../../processor/onnx/letterbox.js';

describe('letterbox / stretch placement', () => {
  it('letterboxes 768x576 into 640x640: scaled to 640x480, centred with 80 px bands', () => {
    const p = letterbox(768, 576, 640, 640);
    assert.deepEqual([p.width, p.height, p.padX, p.padY], [640, 480, 0, 80]);
    assert.equal(p.scaleX, 640 / 768);
    assert.equal(p.scaleY, 480 / 576);
  });

  it('letterboxes a portrait image with side bands', () => {
    const p = letterbox(480, 640, 416, 416);
    assert.deepEqual([p.width, p.height, p.padX, p.padY], [312, 416, 52, 0]);
  });

  it('stretches to fill the input', () => {
    const p = stretch(768, 576, 416, 416);
    assert.deepEqual([p.width, p.height, p.padX, p.padY, p.scaleX, p.scaleY], [416, 416, 0, 0, 416 / 768, 416 / 576]);
  });

  it('maps input-pixel boxes back to source pixels', () => {
    const p = letterbox(768, 576, 640, 640);
    const b = toSource({ x1: 64, y1: 80 + 48, x2: 128, y2: 80 + 96, score: 0.5 }, p)!;
    assert.deepEqual([b.x1, b.y1, b.x2, b.y2].map((v) => Math.round(v * 1e6) / 1e6), [76.8, 57.6, 153.6, 115.2]);
    assert.equal(b.score, 0.5);
    const s = toSource({ x1: 208, y1: 208, x2: 416, y2: 416 }, stretch(768, 576, 416, 416))!;
    assert.deepEqual([s.x1, s.y1, s.x2, s.y2].map((v) => Math.round(v * 1e6) / 1e6), [384, 288, 768, 576]);
  });

  it('clips to the image and drops boxes left with no area', () => {
    const p = letterbox(768, 576, 640, 640);
    const b = toSource({ x1: -20, y1: 40, x2: 700, y2: 200 }, p)!;
    assert.deepEqual([b.x1, b.y1, b.x2], [0, 0, 768]);
    assert.equal(toSource({ x1: 10, y1: 0, x2: 50, y2: 70 }, p), null); // wholly in the top band
  });
});
