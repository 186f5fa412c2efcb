// The broker builds ProcessRequest bytes from already-encoded frames (no re-encoding of images):
// they must decode, with the server's own deserializer, to the frames and the min_score asked for.
import assert from 'node:assert/strict';
import { FrameCodec, loadProcessorPackage, processRequestFromEncodedFrames } from '../../common/proto.js';
import type { ProcessRequest__Output } from '../../common/gen/vsp/v1/ProcessRequest.js';

describe('ProcessRequest from encoded frames', () => {
  const decode = loadProcessorPackage().vsp.v1.Processor.service.Process.requestDeserialize as (b: Buffer) => ProcessRequest__Output;
  const frames = [1, 2].map((seq) => FrameCodec.encode({ cameraId: 'cam', seq, width: 4, height: 2, encoding: 'JPEG', image: Buffer.from([0xff, 0xd8, 0xff, seq]) }));

  it('carries the frames, and min_score only when one is asked for', () => {
    const plain = decode(processRequestFromEncodedFrames(frames));
    assert.deepEqual(plain.frames.map((f) => [f.cameraId, f.seq, [...f.image]]), [['cam', 1, [0xff, 0xd8, 0xff, 1]], ['cam', 2, [0xff, 0xd8, 0xff, 2]]]);
    assert.equal(plain.minScore, 0);
    const low = decode(processRequestFromEncodedFrames(frames, 0.1));
    assert.equal(low.frames.length, 2);
    assert.equal(low.minScore, Math.fround(0.1));
  });
});
