// What the server sends the page over the WebSocket (documented in docs/viewer.md):
//  - JSON text messages: `status` (cameras, join counters, this client's dropped frames) and
//    `tracks` (one frame's tracks, sent just before that frame's image);
//  - binary messages, one per frame: a 4-byte big-endian header length, a JSON header
//    {camera, seq, mime, width, height}, then the image bytes as the camera sent them.
// And what the page sends: {"type": "watch", "camera": ID}.
import type { Frame__Output } from '../../common/gen/vsp/v1/Frame.js';
import type { TrackedFrame__Output } from '../../common/gen/vsp/v1/TrackedFrame.js';
import type { JoinCounters } from '../join.js';

export interface CameraInfo {
  id: string;
  width: number;
  height: number;
  lastSeq: number;
  /** Joined frames per second over the last status interval. */
  fps: number;
  /** Capture to this server, ms, of the last frame. */
  latencyMs: number;
  tracks: number;
}

export interface StatusMessage {
  type: 'status';
  cameras: CameraInfo[];
  join: JoinCounters;
  /** Frames this client was too slow to take (a newer one replaced them). */
  dropped: number;
}

export interface TracksMessage {
  type: 'tracks';
  camera: string;
  seq: number;
  width: number;
  height: number;
  captureMs: number;
  latencyMs: number;
  status: string;
  tracks: Array<{ id: number; x1: number; y1: number; x2: number; y2: number; classId: number; label: string; score: number }>;
}

const MIME = { JPEG: 'image/jpeg', PNG: 'image/png', RGB24: 'application/x-rgb24', ENCODING_UNSPECIFIED: '' } as const;

export function tracksMessage(tracked: TrackedFrame__Output, captureMs: number, latencyMs: number): TracksMessage {
  return {
    type: 'tracks',
    camera: tracked.cameraId,
    seq: tracked.seq,
    width: tracked.width,
    height: tracked.height,
    captureMs,
    latencyMs,
    status: tracked.status,
    tracks: tracked.tracks.map((t) => ({ id: t.trackId, x1: t.x1, y1: t.y1, x2: t.x2, y2: t.y2, classId: t.classId, label: t.label, score: t.score })),
  };
}

export function frameMessage(frame: Frame__Output): Buffer {
  const header = Buffer.from(JSON.stringify({ camera: frame.cameraId, seq: frame.seq, mime: MIME[frame.encoding], width: frame.width, height: frame.height }));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(header.length);
  return Buffer.concat([length, header, frame.image]);
}

/** The camera a page asks to watch, or undefined for anything else. */
export function parseWatch(data: string): string | undefined {
  try {
    const m = JSON.parse(data) as { type?: unknown; camera?: unknown };
    return m.type === 'watch' && typeof m.camera === 'string' ? m.camera : undefined;
  } catch {
    return undefined;
  }
}
