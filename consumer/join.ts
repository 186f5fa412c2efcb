// Joins frames (frames topic, with the image) and tracked frames (tracks topic, no image) by
// (camera, seq). Pure and bounded: each camera keeps at most a fixed number of records waiting
// for their other half, and the oldest waiting one is evicted (and counted) when a new one would
// go past that bound, so a side that never arrives costs a counter, never memory.
import { DEFAULT_MAX_CAMERAS } from '../common/frame-limits.js';
import { LruMap } from '../common/lru-map.js';

/** What both sides carry: the join key. */
export interface JoinKey {
  cameraId: string;
  seq: number;
}

export interface JoinOptions {
  /** Frames per camera waiting for their tracks (images: keep this small). */
  maxFramesPerCamera?: number;
  /** Tracked frames per camera waiting for their frame (small records; a backlog read from the
   * earliest offset runs the tracks topic ahead of the frames topic). */
  maxTracksPerCamera?: number;
  /** Joined seqs remembered per camera to recognise at-least-once duplicates. */
  rememberPerCamera?: number;
  /** Cameras joined at once; the least recently seen one's buffers are dropped beyond it. */
  maxCameras?: number;
}

export interface JoinCounters {
  joined: number;
  /** Frames evicted before their tracked frame came. */
  framesWithoutTracks: number;
  /** Tracked frames evicted before their frame came. */
  tracksWithoutFrames: number;
  /** Frames ignored (already joined) or replacing a waiting one with the same key. */
  duplicateFrames: number;
  /** Tracked frames ignored (already joined) or replacing a waiting one with the same key. */
  duplicateTracks: number;
}

export interface Joined<F, T> {
  frame: F;
  tracks: T;
}

interface CameraState<F, T> {
  // Maps iterate in insertion order, so the first entry is the oldest arrival.
  frames: Map<number, F>;
  tracks: Map<number, T>;
  joined: Set<number>;
}

const JOIN_DEFAULTS = { maxFramesPerCamera: 128, maxTracksPerCamera: 10_000, rememberPerCamera: 1024, maxCameras: DEFAULT_MAX_CAMERAS } as const;

export class FrameJoin<F extends JoinKey, T extends JoinKey> {
  readonly counters: JoinCounters = { joined: 0, framesWithoutTracks: 0, tracksWithoutFrames: 0, duplicateFrames: 0, duplicateTracks: 0 };
  private readonly cameras: LruMap<string, CameraState<F, T>>;
  private readonly limits: Required<JoinOptions>;

  constructor(options: JoinOptions = {}) {
    this.limits = { ...JOIN_DEFAULTS, ...options };
    for (const [name, v] of Object.entries(this.limits)) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`join: ${name} must be an integer >= 1, got ${v}`);
    }
    this.cameras = new LruMap(this.limits.maxCameras);
  }

  /** Adds a frame; returns the pair when its tracked frame was waiting. */
  addFrame(frame: F): Joined<F, T> | undefined {
    const cam = this.camera(frame.cameraId);
    const tracks = cam.tracks.get(frame.seq);
    if (tracks !== undefined) {
      cam.tracks.delete(frame.seq);
      return this.complete(cam, frame, tracks);
    }
    if (cam.joined.has(frame.seq) || cam.frames.has(frame.seq)) {
      this.counters.duplicateFrames += 1;
      // A waiting duplicate replaces the first copy (same place in the eviction order).
      if (cam.frames.has(frame.seq)) cam.frames.set(frame.seq, frame);
      return undefined;
    }
    cam.frames.set(frame.seq, frame);
    this.counters.framesWithoutTracks += evictOldest(cam.frames, this.limits.maxFramesPerCamera);
    return undefined;
  }

  /** Adds a tracked frame; returns the pair when its frame was waiting. */
  addTracks(tracks: T): Joined<F, T> | undefined {
    const cam = this.camera(tracks.cameraId);
    const frame = cam.frames.get(tracks.seq);
    if (frame !== undefined) {
      cam.frames.delete(tracks.seq);
      return this.complete(cam, frame, tracks);
    }
    if (cam.joined.has(tracks.seq) || cam.tracks.has(tracks.seq)) {
      this.counters.duplicateTracks += 1;
      // The broker rewrites a frame's tracks only when it reprocesses it; the latest copy wins.
      if (cam.tracks.has(tracks.seq)) cam.tracks.set(tracks.seq, tracks);
      return undefined;
    }
    cam.tracks.set(tracks.seq, tracks);
    this.counters.tracksWithoutFrames += evictOldest(cam.tracks, this.limits.maxTracksPerCamera);
    return undefined;
  }

  /** Records waiting for their other half, over all cameras. */
  waiting(): { frames: number; tracks: number } {
    let frames = 0;
    let tracks = 0;
    for (const cam of this.cameras.values()) {
      frames += cam.frames.size;
      tracks += cam.tracks.size;
    }
    return { frames, tracks };
  }

  private complete(cam: CameraState<F, T>, frame: F, tracks: T): Joined<F, T> {
    this.counters.joined += 1;
    cam.joined.add(frame.seq);
    evictOldest(cam.joined, this.limits.rememberPerCamera);
    return { frame, tracks };
  }

  private camera(id: string): CameraState<F, T> {
    let cam = this.cameras.get(id);
    if (!cam) {
      cam = { frames: new Map(), tracks: new Map(), joined: new Set() };
      this.cameras.set(id, cam);
    }
    return cam;
  }
}

/** Deletes the oldest entries beyond `max`; returns how many. */
function evictOldest(entries: Map<number, unknown> | Set<number>, max: number): number {
  let evicted = 0;
  for (const key of entries.keys()) {
    if (entries.size <= max) break;
    entries.delete(key);
    evicted += 1;
  }
  return evicted;
}
