// The API for programs that embed the consumer: subscribe to tracks, zones and lines with
// callbacks, push tracked frames in (e.g. from readTracks' onFrame). A thin layer over
// RuleEngine: each subscription is a rule with no filters; rules from a config file, if any,
// fire onEvent too.
import type { TrackedFrame__Output } from '../../common/gen/vsp/v1/TrackedFrame.js';
import { parseRulesConfig, type Rule, type RulesConfig, type Trigger } from './config.js';
import { RuleEngine, type RuleEvent } from './engine.js';

export type EventCallback = (event: RuleEvent) => void;

export interface EventSourceOptions {
  /** Zones, lines and optional rules, as in a rules file (validated here). */
  config?: unknown;
  /** Seconds between update events of a track for onTrack (default 5). */
  updateInterval?: number;
}

export interface EventSource {
  /** new, update (throttled) and end of every track. */
  onTrack(cb: EventCallback): void;
  onZoneEnter(zone: string, cb: EventCallback): void;
  onZoneExit(zone: string, cb: EventCallback): void;
  onLineCross(line: string, cb: EventCallback): void;
  /** Every event: the config's rules' and the subscriptions'. */
  onEvent(cb: EventCallback): void;
  /** Feeds one frame; calls the callbacks synchronously and returns the events. */
  push(frame: TrackedFrame__Output): RuleEvent[];
  /** Ends live tracks and closes count windows (at the end of input). */
  flush(): RuleEvent[];
}

/**
 * Subscriptions must be made before the first push: a rule's view of tracks starts with the
 * engine. Callback exceptions propagate out of push.
 */
export function createEventSource(options: EventSourceOptions = {}): EventSource {
  const base: RulesConfig = parseRulesConfig(options.config ?? {}, 'event source config', { requireRules: false });
  const rules: Rule[] = [...base.rules];
  const listeners = new Map<string, EventCallback[]>();
  const all: EventCallback[] = [];
  let engine: RuleEngine | undefined;

  const subscribe = (on: Trigger, place: { zone?: string; line?: string }, cb: EventCallback) => {
    if (engine) throw new Error('event source: subscribe before the first frame is pushed');
    const name = `@${on}${place.zone ? `:${place.zone}` : place.line ? `:${place.line}` : ''}`;
    if (!listeners.has(name)) {
      const zone = place.zone === undefined ? undefined : base.zones.find((z) => z.name === place.zone);
      const line = place.line === undefined ? undefined : base.lines.find((l) => l.name === place.line);
      if (place.zone !== undefined && !zone) throw new Error(`event source: unknown zone '${place.zone}'`);
      if (place.line !== undefined && !line) throw new Error(`event source: unknown line '${place.line}'`);
      const interval = on === 'update' ? { interval: options.updateInterval ?? 5 } : {};
      rules.push({ name, on, minScore: 0, minAge: 1, cooldown: 0, cooldownPer: 'track', targets: [], zone, line, ...interval });
      listeners.set(name, []);
    }
    listeners.get(name)!.push(cb);
  };

  const deliver = (events: RuleEvent[]) => {
    for (const e of events) {
      for (const cb of listeners.get(e.rule) ?? []) cb(e);
      for (const cb of all) cb(e);
    }
    return events;
  };
  const started = () => (engine ??= new RuleEngine({ ...base, rules }));

  return {
    onTrack(cb) {
      for (const on of ['new', 'update', 'end'] as const) subscribe(on, {}, cb);
    },
    onZoneEnter: (zone, cb) => subscribe('zone-enter', { zone }, cb),
    onZoneExit: (zone, cb) => subscribe('zone-exit', { zone }, cb),
    onLineCross: (line, cb) => subscribe('line-cross', { line }, cb),
    onEvent(cb) {
      all.push(cb);
    },
    push: (frame) => deliver(started().onFrame(frame)),
    flush: () => deliver(started().flush()),
  };
}
