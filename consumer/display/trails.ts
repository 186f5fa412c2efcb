// Short trails behind tracks: the last few bottom-centres (where an object stands) of each track,
// per camera. A track unseen for a while is forgotten, so memory follows the live tracks only.
import { DEFAULT_MAX_CAMERAS } from '../../common/frame-limits.js';
import { LruMap } from '../../common/lru-map.js';
import type { Box } from '../../common/boxes.js';

export interface Point {
  x: number;
  y: number;
}

/** What a trail needs of a track: its id and where it stands. */
type TrackBox = Pick<Box, 'x1' | 'x2' | 'y2'> & { trackId: number };

interface Trail {
  points: Point[];
  lastSeq: number;
}

export class Trails {
  private readonly cameras: LruMap<string, { seq: number; trails: Map<number, Trail> }>;

  /** `length` points per trail; a track absent for more than `forgetAfter` frames is dropped. */
  constructor(
    private readonly length = 20,
    private readonly forgetAfter = 30,
    maxCameras = DEFAULT_MAX_CAMERAS,
  ) {
    this.cameras = new LruMap(maxCameras);
  }

  /** Adds one frame's tracks; returns a copy of the trail (oldest point first) of each of them. */
  update(cameraId: string, seq: number, tracks: readonly TrackBox[]): Map<number, readonly Point[]> {
    let cam = this.cameras.get(cameraId);
    // A camera starting over (new seq numbering) starts new trails.
    if (!cam || seq <= cam.seq) {
      cam = { seq, trails: new Map() };
      this.cameras.set(cameraId, cam);
    }
    cam.seq = seq;
    for (const [id, trail] of cam.trails) {
      if (seq - trail.lastSeq > this.forgetAfter) cam.trails.delete(id);
    }
    const out = new Map<number, readonly Point[]>();
    for (const t of tracks) {
      const trail = cam.trails.get(t.trackId) ?? { points: [], lastSeq: seq };
      trail.points.push({ x: (t.x1 + t.x2) / 2, y: t.y2 });
      if (trail.points.length > this.length) trail.points.shift();
      trail.lastSeq = seq;
      cam.trails.set(t.trackId, trail);
      out.set(t.trackId, [...trail.points]);
    }
    return out;
  }
}
