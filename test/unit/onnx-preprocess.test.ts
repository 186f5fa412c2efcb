import assert from 'node:assert/strict';
import sharp from 'sharp';
import type { Frame__Output } from '../../common/gen/vsp/v1/Frame.js';
import { inputSpec } from '../../processor/onnx/formats.js';
import { prepareFrame, toPlanar, type InputSpec } from '../../processor/onnx/preprocess.js';

const frame = (image: Buffer, encoding: Frame__Output['encoding'], width: number, height: number): Frame__Output => ({
  cameraId: 'c',
  seq: 1,
  captureTime: null,
  sourceTime: null,
  width,
  height,
  encoding,
  image,
  attributes: {},
});

describe('preprocessing', () => {
  it('normalises interleaved RGB into RGB planes', () => {
    const spec: InputSpec = { width: 2, height: 1, resize: 'stretch', pad: 0, channels: 'rgb', mean: [0, 0, 0], std: [255, 255, 255] };
    const planes = toPlanar(Uint8Array.from([255, 0, 51, 0, 102, 255]), spec);
    assert.deepEqual(Array.from(planes, (v) => Math.round(v * 100) / 100), [1, 0, 0, 0.4, 0.2, 1]);
  });

  it('puts B first for BGR models, each plane with its own mean and std', () => {
    const spec: InputSpec = { width: 1, height: 1, resize: 'stretch', pad: 0, channels: 'bgr', mean: [10, 20, 30], std: [1, 2, 4] };
    // R=70, G=60, B=50 → planes B, G, R = (50-10)/1, (60-20)/2, (70-30)/4.
    assert.deepEqual(Array.from(toPlanar(Uint8Array.from([70, 60, 50]), spec)), [40, 20, 10]);
  });

  it('letterboxes with grey 114 bands and reports where the image went, from the real image size', async () => {
    const red = await sharp({ create: { width: 200, height: 100, channels: 3, background: { r: 255, g: 0, b: 0 } } }).png().toBuffer();
    // The frame claims a wrong size: the decoded header wins.
    const { data, placement } = await prepareFrame(frame(red, 'PNG', 999, 999), inputSpec('yolov8', 64, 64));
    assert.deepEqual([placement.srcWidth, placement.srcHeight, placement.width, placement.height, placement.padX, placement.padY], [200, 100, 64, 32, 0, 16]);
    const at = (c: number, x: number, y: number): number => Math.round(data[c * 64 * 64 + y * 64 + x]! * 255);
    assert.deepEqual([at(0, 5, 2), at(1, 5, 2), at(2, 5, 2)], [114, 114, 114], 'top band');
    assert.deepEqual([at(0, 32, 32), at(1, 32, 32), at(2, 32, 32)], [255, 0, 0], 'image');
    assert.deepEqual([at(0, 5, 60), at(1, 5, 60), at(2, 5, 60)], [114, 114, 114], 'bottom band');
  });

  it('takes raw RGB24 frames and greyscale JPEGs', async () => {
    const rgb = Buffer.alloc(8 * 6 * 3, 200);
    const fromRaw = await prepareFrame(frame(rgb, 'RGB24', 8, 6), inputSpec('yolov5', 16, 16));
    assert.deepEqual([fromRaw.placement.width, fromRaw.placement.height], [16, 12]);
    const grey = await sharp({ create: { width: 10, height: 10, channels: 3, background: { r: 90, g: 90, b: 90 } } }).greyscale().jpeg().toBuffer();
    const fromGrey = await prepareFrame(frame(grey, 'JPEG', 10, 10), inputSpec('nanodet', 8, 8));
    assert.equal(fromGrey.data.length, 3 * 8 * 8);
  });

  it('rejects undecodable images and RGB24 frames of the wrong length', async () => {
    await assert.rejects(prepareFrame(frame(Buffer.from('garbage'), 'JPEG', 10, 10), inputSpec('nanodet', 8, 8)));
    await assert.rejects(prepareFrame(frame(Buffer.alloc(10), 'RGB24', 8, 6), inputSpec('nanodet', 8, 8)), /RGB24 frame is 10 bytes/);
  });
});
