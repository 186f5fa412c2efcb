// The benches' camera input: synthetic-scene 640x480 JPEGs rendered once into a folder per camera,
// so `vsp producer --source images:DIR --loop` can send them far faster than it could render them
// (about 4 ms a frame), and the size of the Kafka record each becomes.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FrameCodec } from '../common/proto.js';
import { nowTimestamp } from '../common/time.js';
import { renderFrame } from '../common/synthetic/render.js';

export const WIDTH = 640;
export const HEIGHT = 480;
/** Distinct frames per camera; the producer loops over them. */
const FRAMES_PER_CAMERA = 60;

export interface CameraFrames {
  /** Folder of the camera's JPEGs. */
  dir: string;
  /** Mean size of the encoded vsp.v1.Frame records its producer will write. */
  recordBytes: number;
}

/** Renders FRAMES_PER_CAMERA frames of the scene with this seed into root/camera/. */
export async function renderCameraFrames(root: string, camera: string, seed: number): Promise<CameraFrames> {
  const dir = path.join(root, camera);
  mkdirSync(dir, { recursive: true });
  let bytes = 0;
  for (let seq = 1; seq <= FRAMES_PER_CAMERA; seq++) {
    const image = await renderFrame({ width: WIDTH, height: HEIGHT, seed }, seq);
    writeFileSync(path.join(dir, `${String(seq).padStart(4, '0')}.jpg`), image);
    // The record as publishFrames (producer/publish.ts) encodes it.
    bytes += FrameCodec.encode({
      cameraId: camera, seq, captureTime: nowTimestamp(), sourceTime: null, width: WIDTH, height: HEIGHT,
      encoding: 'JPEG', image, attributes: { source: `images:${dir}` },
    }).length;
  }
  return { dir, recordBytes: Math.round(bytes / FRAMES_PER_CAMERA) };
}
