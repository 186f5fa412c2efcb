// The rule engine: tracked frames in, rule events out. Pure and deterministic: no I/O, no timers;
// time is the frames' capture time. Frames of one camera must come in seq order; a (camera, seq)
// at or below the last one seen is a replay (at-least-once delivery) and is ignored.
//
// Each rule keeps its own view of each track, updated only on frames where the track passes the
// rule's filters (camera, label, score, age). Zone and line triggers are transitions of that
// view, so a track fires zone-enter once per entry, not on every frame it stays inside; a track
// first seen (by the rule) inside a zone has entered it.
import type { TrackedFrame__Output } from '../../common/gen/vsp/v1/TrackedFrame.js';
import type { Track__Output } from '../../common/gen/vsp/v1/Track.js';
import { timestampToMs } from '../../common/time.js';
import { DEFAULT_MAX_CAMERAS } from '../../common/frame-limits.js';
import { LruMap } from '../../common/lru-map.js';
import type { Box } from '../../common/boxes.js';
import type { Line, Rule, RulesConfig, Zone } from './config.js';
import type { RuleEvent, TrackInfo } from './event.js';
import { bottomCentre, crossingOf, pointInPolygon, sideOf, type LineDirection, type Point } from './geometry.js';

export type { RuleEvent, TrackInfo } from './event.js';

export interface EngineStats {
  frames: number;
  /** Frames ignored because their (camera, seq) was already processed. */
  duplicates: number;
  events: number;
  /** Events withheld by a cooldown. */
  suppressed: number;
}

interface TrackState {
  id: number;
  label: string;
  score: number;
  box: Box;
  point: Point;
  firstSeq: number;
  firstMs: number;
  lastSeq: number;
  lastMs: number;
  frames: number;
  /** The camera's processed-frame count when the track was last seen. */
  lastSeen: number;
  zones: string[];
}

interface CameraState {
  name: string;
  lastSeq: number;
  /** Frames a detector looked at (status OK): absence is counted in these, not in seq. */
  processed: number;
  lastMs: number;
  tracks: Map<number, TrackState>;
  zones: Zone[];
}

/** One rule's view of one track. */
interface RuleTrack {
  qualifiedMs: number;
  inside?: boolean;
  enteredMs: number;
  dwellFired: boolean;
  /** Last position that was off the line, for crossings. */
  offLine?: Point;
  lastUpdateMs?: number;
  lastFiredMs?: number;
}

interface CountWindow {
  startMs: number;
  endMs: number;
  /** Distinct tracks (id → label at first count), or crossings per label. */
  tracks: Map<number, string>;
  crossings: Map<string, number>;
}

interface RuleState {
  rule: Rule;
  tracks: Map<string, RuleTrack>;
  lastFiredMs?: number;
  lastFiredByCamera: Map<string, number>;
  windows: Map<string, CountWindow>;
  /** Labels a count rule has reported per camera (reported as 0 once they disappear). */
  labels: Map<string, Set<string>>;
}

type EventBody = Pick<RuleEvent, 'type'> & Partial<Pick<RuleEvent, 'zone' | 'line' | 'direction' | 'dwellS'>>;

export class RuleEngine {
  readonly stats: EngineStats = { frames: 0, duplicates: 0, events: 0, suppressed: 0 };
  /** Least recently seen first; a camera dropped beyond maxCameras takes its rule state with it. */
  private readonly cameras: LruMap<string, CameraState>;
  private readonly rules: RuleState[];

  constructor(
    private readonly config: RulesConfig,
    maxCameras = DEFAULT_MAX_CAMERAS,
  ) {
    this.cameras = new LruMap(maxCameras, (name) => this.forget(name));
    this.rules = config.rules.map((rule) => ({ rule, tracks: new Map(), lastFiredByCamera: new Map(), windows: new Map(), labels: new Map() }));
  }

  /** Events caused by this frame, in a fixed order: count windows closed, tracks ended, then tracks present by id, each by rule order. */
  onFrame(frame: TrackedFrame__Output): RuleEvent[] {
    const cam = this.camera(frame.cameraId);
    if (frame.seq <= cam.lastSeq) {
      this.stats.duplicates += 1;
      return [];
    }
    this.stats.frames += 1;
    cam.lastSeq = frame.seq;
    const ms = timestampToMs(frame.captureTime);
    // A frame without a capture time keeps its camera's clock where it was.
    if (Number.isFinite(ms)) cam.lastMs = ms;
    const t = cam.lastMs;
    const out: RuleEvent[] = [];
    for (const rs of this.rules) {
      if (rs.rule.on !== 'count' || !applies(rs.rule, cam.name)) continue;
      const w = rs.windows.get(cam.name);
      if (w && t >= w.endMs) this.closeWindow(rs, cam, w, out);
      if (!rs.windows.has(cam.name)) rs.windows.set(cam.name, newWindow(t, (rs.rule.interval as number) * 1000));
    }
    if (frame.status === 'OK') cam.processed += 1;
    const present = new Map<number, Track__Output>();
    for (const tr of frame.tracks) if (!present.has(tr.trackId)) present.set(tr.trackId, tr);
    for (const st of byId(cam.tracks.values())) {
      if (!present.has(st.id) && cam.processed - st.lastSeen > this.config.endAfterFrames) this.end(cam, st, out);
    }
    for (const tr of [...present.values()].sort((a, b) => a.trackId - b.trackId)) this.observe(cam, tr, frame.seq, t, out);
    this.stats.events += out.length;
    return out;
  }

  /** Ends every live track and closes count windows (at the end of input), cameras by name. */
  flush(): RuleEvent[] {
    const out: RuleEvent[] = [];
    for (const cam of [...this.cameras.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      for (const rs of this.rules) {
        const w = rs.windows.get(cam.name);
        if (w) this.closeWindow(rs, cam, w, out);
      }
      for (const st of byId(cam.tracks.values())) this.end(cam, st, out);
    }
    this.stats.events += out.length;
    return out;
  }

  private forget(camera: string): void {
    const prefix = trackKey(camera, 0).slice(0, -1);
    for (const rs of this.rules) {
      rs.windows.delete(camera);
      rs.lastFiredByCamera.delete(camera);
      rs.labels.delete(camera);
      for (const key of rs.tracks.keys()) if (key.startsWith(prefix)) rs.tracks.delete(key);
    }
  }

  private camera(name: string): CameraState {
    let cam = this.cameras.get(name);
    if (!cam) {
      const zones = this.config.zones.filter((z) => z.camera === undefined || z.camera === name);
      cam = { name, lastSeq: -Infinity, processed: 0, lastMs: 0, tracks: new Map(), zones };
      this.cameras.set(name, cam);
    }
    return cam;
  }

  private observe(cam: CameraState, tr: Track__Output, seq: number, t: number, out: RuleEvent[]): void {
    const box = { x1: tr.x1, y1: tr.y1, x2: tr.x2, y2: tr.y2 };
    const point = bottomCentre(box);
    let st = cam.tracks.get(tr.trackId);
    if (!st) {
      st = { id: tr.trackId, label: '', score: 0, box, point, firstSeq: seq, firstMs: t, lastSeq: seq, lastMs: t, frames: 0, lastSeen: 0, zones: [] };
      cam.tracks.set(tr.trackId, st);
    }
    Object.assign(st, { label: tr.label, score: tr.score, box, point, lastSeq: seq, lastMs: t, lastSeen: cam.processed });
    st.frames += 1;
    st.zones = cam.zones.filter((z) => pointInPolygon(point, z.polygon)).map((z) => z.name);
    for (const rs of this.rules) this.evaluate(rs, cam, st, seq, t, out);
  }

  private evaluate(rs: RuleState, cam: CameraState, st: TrackState, seq: number, t: number, out: RuleEvent[]): void {
    const rule = rs.rule;
    if (!applies(rule, cam.name) || (rule.labels && !rule.labels.includes(st.label)) || st.score < rule.minScore || st.frames < rule.minAge) return;
    const key = trackKey(cam.name, st.id);
    let rt = rs.tracks.get(key);
    const first = rt === undefined;
    if (!rt) {
      rt = { qualifiedMs: t, enteredMs: t, dwellFired: false };
      rs.tracks.set(key, rt);
    }
    const fire = (body: EventBody) => this.fire(rs, cam, seq, t, body, st, rt, out);
    const zone = rule.zone;
    switch (rule.on) {
      case 'new':
        if (first) fire({ type: 'new' });
        return;
      case 'update': {
        const since = rt.lastUpdateMs ?? rt.qualifiedMs;
        if (!first && t - since >= (rule.interval as number) * 1000) {
          rt.lastUpdateMs = t;
          fire({ type: 'update' });
        }
        return;
      }
      case 'end':
        return;
      case 'zone-enter':
      case 'zone-exit':
      case 'dwell': {
        const z = zone as Zone;
        const inside = st.zones.includes(z.name);
        const entered = inside && rt.inside !== true;
        const exited = !inside && rt.inside === true;
        rt.inside = inside;
        if (entered) {
          rt.enteredMs = t;
          rt.dwellFired = false;
        }
        if ((rule.on === 'zone-enter' && entered) || (rule.on === 'zone-exit' && exited)) fire({ type: rule.on, zone: z.name });
        if (rule.on === 'dwell' && inside && !rt.dwellFired && t - rt.enteredMs >= (rule.seconds as number) * 1000) {
          rt.dwellFired = true;
          fire({ type: 'dwell', zone: z.name, dwellS: (t - rt.enteredMs) / 1000 });
        }
        return;
      }
      case 'line-cross': {
        const line = rule.line as Line;
        const direction = crossing(rt, line, st.point);
        if (direction) fire({ type: 'line-cross', line: line.name, direction });
        return;
      }
      case 'count': {
        const w = rs.windows.get(cam.name) as CountWindow;
        if (rule.line) {
          if (crossing(rt, rule.line, st.point)) w.crossings.set(st.label, (w.crossings.get(st.label) ?? 0) + 1);
        } else if ((!zone || st.zones.includes(zone.name)) && !w.tracks.has(st.id)) {
          w.tracks.set(st.id, st.label);
        }
        return;
      }
    }
  }

  private end(cam: CameraState, st: TrackState, out: RuleEvent[]): void {
    const key = trackKey(cam.name, st.id);
    for (const rs of this.rules) {
      const rt = rs.tracks.get(key);
      if (rt && rs.rule.on === 'end') this.fire(rs, cam, cam.lastSeq, cam.lastMs, { type: 'end' }, st, rt, out);
      rs.tracks.delete(key);
    }
    cam.tracks.delete(st.id);
  }

  private closeWindow(rs: RuleState, cam: CameraState, w: CountWindow, out: RuleEvent[]): void {
    rs.windows.delete(cam.name);
    const tally = new Map<string, number>(w.crossings);
    for (const label of w.tracks.values()) tally.set(label, (tally.get(label) ?? 0) + 1);
    let labels = rs.labels.get(cam.name);
    if (!labels) rs.labels.set(cam.name, (labels = new Set()));
    for (const label of tally.keys()) labels.add(label);
    const counts: Record<string, number> = {};
    for (const label of [...labels].sort()) counts[label] = tally.get(label) ?? 0;
    if (this.cooledDown(rs, cam.name, undefined, w.endMs)) return;
    out.push({
      id: `${rs.rule.name}:${cam.name}:count:${w.startMs}`,
      rule: rs.rule.name,
      type: 'count',
      camera: cam.name,
      seq: cam.lastSeq,
      time: iso(w.endMs),
      ...(rs.rule.zone ? { zone: rs.rule.zone.name } : {}),
      ...(rs.rule.line ? { line: rs.rule.line.name } : {}),
      interval: { start: iso(w.startMs), end: iso(w.endMs) },
      counts,
    });
  }

  private fire(rs: RuleState, cam: CameraState, seq: number, t: number, body: EventBody, st: TrackState, rt: RuleTrack, out: RuleEvent[]): void {
    if (this.cooledDown(rs, cam.name, rt, t)) return;
    out.push({ id: `${rs.rule.name}:${cam.name}:${st.id}:${seq}`, rule: rs.rule.name, camera: cam.name, seq, time: iso(t), ...body, track: trackInfo(st) });
  }

  /** True (and counted) when a cooldown withholds an event at time t; otherwise records t. */
  private cooledDown(rs: RuleState, camera: string, rt: RuleTrack | undefined, t: number): boolean {
    const { cooldown, cooldownPer } = rs.rule;
    if (cooldown <= 0) return false;
    const per = cooldownPer === 'track' && !rt ? 'camera' : cooldownPer;
    const last = per === 'track' ? rt?.lastFiredMs : per === 'camera' ? rs.lastFiredByCamera.get(camera) : rs.lastFiredMs;
    if (last !== undefined && t < last + cooldown * 1000) {
      this.stats.suppressed += 1;
      return true;
    }
    if (per === 'track' && rt) rt.lastFiredMs = t;
    else if (per === 'camera') rs.lastFiredByCamera.set(camera, t);
    else rs.lastFiredMs = t;
    return false;
  }
}

/** Whether a rule looks at this camera at all (its cameras, and its zone's or line's camera). */
function applies(rule: Rule, camera: string): boolean {
  if (rule.cameras && !rule.cameras.includes(camera)) return false;
  const place = rule.zone ?? rule.line;
  return place?.camera === undefined || place.camera === camera;
}

/** The crossing of the line since the track's last off-line position, if any; remembers the new one. */
function crossing(rt: RuleTrack, line: Line, p: Point): LineDirection | undefined {
  if (sideOf(p, line.from, line.to) === 0) return undefined;
  const prev = rt.offLine;
  rt.offLine = p;
  const direction = prev && crossingOf(line.from, line.to, prev, p);
  return direction && (line.direction === 'any' || line.direction === direction) ? direction : undefined;
}

function newWindow(t: number, lengthMs: number): CountWindow {
  const startMs = Math.floor(t / lengthMs) * lengthMs;
  return { startMs, endMs: startMs + lengthMs, tracks: new Map(), crossings: new Map() };
}

function trackInfo(st: TrackState): TrackInfo {
  return {
    id: st.id, label: st.label, score: st.score, box: st.box, point: st.point,
    firstSeq: st.firstSeq, lastSeq: st.lastSeq, firstTime: iso(st.firstMs), lastTime: iso(st.lastMs), frames: st.frames, zones: st.zones,
  };
}

function byId<T extends { id: number }>(items: Iterable<T>): T[] {
  return [...items].sort((a, b) => a.id - b.id);
}

function trackKey(camera: string, id: number): string {
  return `${camera}\u0000${id}`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
