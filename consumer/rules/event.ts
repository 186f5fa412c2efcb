// What the rule engine emits and hook targets deliver: one rule event, as JSON on the wire.
import type { Box } from '../../common/boxes.js';
import type { LineDirection, Point } from './geometry.js';

export const TRIGGERS = ['new', 'update', 'end', 'zone-enter', 'zone-exit', 'line-cross', 'dwell', 'count'] as const;
export type Trigger = (typeof TRIGGERS)[number];

/** A track as an event describes it. */
export interface TrackInfo {
  id: number;
  label: string;
  score: number;
  box: Box;
  /** Bottom-centre of the box: where zones and lines test the track. */
  point: Point;
  firstSeq: number;
  lastSeq: number;
  firstTime: string;
  lastTime: string;
  /** Frames the track has been seen in. */
  frames: number;
  /** Zones of its camera the track stands in now. */
  zones: string[];
}

export interface RuleEvent {
  /** Stable for the same input: `<rule>:<camera>:<track id>:<seq>`, or `<rule>:<camera>:count:<window start ms>`. */
  id: string;
  rule: string;
  type: Trigger;
  camera: string;
  /** The frame that produced the event (for end: the frame that showed the track gone). */
  seq: number;
  /** Capture time of that frame, ISO 8601 (count: the end of the window). */
  time: string;
  track?: TrackInfo;
  zone?: string;
  line?: string;
  direction?: LineDirection;
  /** dwell: seconds in the zone when the event fired. */
  dwellS?: number;
  /** count: the window [start, end). */
  interval?: { start: string; end: string };
  /** count: tracks (or line crossings) per label in the window; 0 for labels counted before. */
  counts?: Record<string, number>;
}
