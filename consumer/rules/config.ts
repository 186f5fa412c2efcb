// The rules file (YAML or JSON): zones, lines, targets and rules, validated with zod and resolved
// into plain objects the engine uses directly. Each target type declares its own fields next to
// its code (hooks/targets.ts lists them). Validation errors name the field path, e.g.
// `rules[2].zone.polygon: expected at least 3 points`. Pure: no file or environment access.
import { z } from 'zod';
import { configError, firstIssue, type ConfigIssue } from '../../common/config-file.js';
import { targetSchema, type TargetConfig } from '../hooks/targets.js';
import { TRIGGERS, type Trigger } from './event.js';
import { finite, int, missing, seconds } from './fields.js';
import { doubleArea, isSteep, type LineDirection, type Point } from './geometry.js';

export { TRIGGERS, type Trigger } from './event.js';

export interface Zone {
  name: string;
  /** Only this camera's frames (all cameras when absent). */
  camera?: string;
  polygon: Point[];
}

export interface Line {
  name: string;
  camera?: string;
  from: Point;
  to: Point;
  /** Which crossings count: left/right sides for a steep line, top/bottom for a flat one. */
  direction: LineDirection | 'any';
}

export interface Rule {
  name: string;
  on: Trigger;
  cameras?: string[];
  labels?: string[];
  minScore: number;
  /** Frames the track has been seen in, this one included. */
  minAge: number;
  zone?: Zone;
  line?: Line;
  /** dwell: seconds in the zone before the event. */
  seconds?: number;
  /** update: seconds between updates of a track; count: length of a counting window. */
  interval?: number;
  /** Seconds after an event of this rule during which further ones are suppressed (0: none). */
  cooldown: number;
  cooldownPer: 'track' | 'camera' | 'rule';
  targets: string[];
}

export interface RulesConfig {
  /** A track ends when it is missing from more than this many processed frames of its camera. */
  endAfterFrames: number;
  /** Named zones, then rules' inline zones (named after their rule). */
  zones: Zone[];
  lines: Line[];
  /** Each target's config as its type declares it (hooks/targets.ts). */
  targets: Record<string, TargetConfig>;
  rules: Rule[];
}

const NAME = /^[A-Za-z0-9_.-]+$/;
/** Names are written in field paths as they are in the file (zones.front-door), unless they start with a digit. */
const PLAIN_KEY = /^(?!\d)[A-Za-z0-9_.-]+$/;
const name = z.string().regex(NAME, { error: "expected a name of letters, digits, '_', '.' or '-'" });
const point = z.tuple([finite, finite], { error: 'expected a point [x, y]' });

const zoneSchema = z.strictObject({
  camera: z.string().min(1).optional(),
  polygon: z
    .array(point, { error: 'expected a list of points [x, y]' })
    .min(3, { error: 'expected at least 3 points' })
    .refine((p) => doubleArea(p) !== 0, { error: 'the polygon has no area' }),
});

const lineSchema = z
  .strictObject({
    camera: z.string().min(1).optional(),
    from: point,
    to: point,
    direction: z.enum(['any', 'left-to-right', 'right-to-left', 'top-to-bottom', 'bottom-to-top']).default('any'),
  })
  .refine((l) => l.from[0] !== l.to[0] || l.from[1] !== l.to[1], { error: 'from and to must differ', path: ['to'] })
  .refine((l) => l.direction === 'any' || /left/.test(l.direction) === isSteep(l.from, l.to), {
    error: (iss) => {
      const l = iss.input as { from: Point; to: Point };
      return isSteep(l.from, l.to)
        ? 'this line is steep, its sides are left and right: expected any, left-to-right or right-to-left'
        : 'this line is flat, its sides are top and bottom: expected any, top-to-bottom or bottom-to-top';
    },
    path: ['direction'],
  });

const filters = {
  name,
  cameras: z.array(z.string().min(1)).min(1).optional(),
  labels: z.array(z.string().min(1)).min(1).optional(),
  minScore: z.number().min(0).max(1).default(0),
  minAge: int().min(1).default(1),
  cooldown: z.number().min(0).default(0),
  cooldownPer: z.enum(['track', 'camera', 'rule']).default('track'),
  targets: z.array(name).default([]),
};
const zoneRef = z.union([name, zoneSchema], {
  error: (iss) => (iss.input === undefined ? 'required' : 'expected a zone name or { camera?, polygon }'),
});
const lineRef = z.union([name, lineSchema], {
  error: (iss) => (iss.input === undefined ? 'required' : 'expected a line name or { camera?, from, to, direction? }'),
});

const ruleSchema = z.discriminatedUnion(
  'on',
  [
    z.strictObject({ ...filters, on: z.literal('new') }),
    z.strictObject({ ...filters, on: z.literal('update'), interval: seconds.default(5) }),
    z.strictObject({ ...filters, on: z.literal('end') }),
    z.strictObject({ ...filters, on: z.literal('zone-enter'), zone: zoneRef }),
    z.strictObject({ ...filters, on: z.literal('zone-exit'), zone: zoneRef }),
    z.strictObject({ ...filters, on: z.literal('line-cross'), line: lineRef }),
    z.strictObject({ ...filters, on: z.literal('dwell'), zone: zoneRef, seconds }),
    z.strictObject({ ...filters, on: z.literal('count'), interval: seconds, zone: zoneRef.optional(), line: lineRef.optional() }),
  ],
  { error: (iss) => (missing(iss.input, 'on') ? 'required' : `expected one of ${TRIGGERS.join(', ')}`) },
);

const configSchema = z.strictObject({
  endAfterFrames: int().min(0).default(5),
  zones: z.record(name, zoneSchema).default({}),
  lines: z.record(name, lineSchema).default({}),
  targets: z.record(name, targetSchema).default({}),
  rules: z.array(ruleSchema).default([]),
});

type RawConfig = z.infer<typeof configSchema>;
type RawRule = z.infer<typeof ruleSchema>;

/**
 * Validates a parsed rules file and resolves names (zones, lines, targets). Throws a UsageError
 * whose one-line message is `<source>: <field path>: <problem>`.
 */
export function parseRulesConfig(raw: unknown, source = 'rules', o: { requireRules?: boolean } = {}): RulesConfig {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw configError(source, firstIssue(parsed.error), PLAIN_KEY);
  const issues: ConfigIssue[] = [];
  if (o.requireRules !== false && parsed.data.rules.length === 0) issues.push({ path: ['rules'], message: 'expected at least one rule' });
  const config = resolve(parsed.data, issues);
  if (issues.length > 0) throw configError(source, issues[0] as ConfigIssue, PLAIN_KEY);
  return config;
}

function resolve(raw: RawConfig, issues: ConfigIssue[]): RulesConfig {
  const zones: Zone[] = Object.entries(raw.zones).map(([n, z]) => ({ name: n, ...z }));
  const lines: Line[] = Object.entries(raw.lines).map(([n, l]) => ({ name: n, ...l }));
  const seen = new Set<string>();
  const rules = raw.rules.map((r, i): Rule => {
    const at = (...p: PropertyKey[]) => ['rules', i, ...p];
    if (seen.has(r.name)) issues.push({ path: at('name'), message: `another rule is already named '${r.name}'` });
    seen.add(r.name);
    r.targets.forEach((t, k) => {
      if (!(t in raw.targets)) issues.push({ path: at('targets', k), message: `unknown target '${t}'${known(raw.targets)}` });
    });
    const rule: Rule = {
      name: r.name, on: r.on, cameras: r.cameras, labels: r.labels, minScore: r.minScore, minAge: r.minAge,
      cooldown: r.cooldown, cooldownPer: r.cooldownPer, targets: r.targets,
      ...('seconds' in r ? { seconds: r.seconds } : {}),
      ...('interval' in r ? { interval: r.interval } : {}),
    };
    if ('zone' in r && r.zone !== undefined) rule.zone = resolveZone(r, zones, raw.zones, issues, at('zone'));
    if ('line' in r && r.line !== undefined) rule.line = resolveLine(r, lines, raw.lines, issues, at('line'));
    if (r.on === 'count' && rule.zone && rule.line) issues.push({ path: at('line'), message: 'a count rule counts in a zone or on a line, not both' });
    const place = rule.zone ?? rule.line;
    if (place?.camera !== undefined && r.cameras && !r.cameras.includes(place.camera)) {
      issues.push({ path: at('cameras'), message: `${rule.zone ? 'zone' : 'line'} '${place.name}' is on camera '${place.camera}', which is not listed` });
    }
    return rule;
  });
  return { endAfterFrames: raw.endAfterFrames, zones, lines, targets: raw.targets, rules };
}

function resolveZone(r: RawRule & { zone?: unknown }, zones: Zone[], named: object, issues: ConfigIssue[], path: PropertyKey[]): Zone | undefined {
  const ref = r.zone as string | Omit<Zone, 'name'>;
  if (typeof ref === 'string') {
    const z = zones.find((x) => x.name === ref);
    if (!z) issues.push({ path, message: `unknown zone '${ref}'${known(named)}` });
    return z;
  }
  // An inline zone takes its rule's name, so events and reports can name it.
  if (zones.some((x) => x.name === r.name)) issues.push({ path, message: `an inline zone is named after its rule, and zone '${r.name}' already exists` });
  const z: Zone = { name: r.name, ...ref };
  zones.push(z);
  return z;
}

function resolveLine(r: RawRule & { line?: unknown }, lines: Line[], named: object, issues: ConfigIssue[], path: PropertyKey[]): Line | undefined {
  const ref = r.line as string | Omit<Line, 'name'>;
  if (typeof ref === 'string') {
    const l = lines.find((x) => x.name === ref);
    if (!l) issues.push({ path, message: `unknown line '${ref}'${known(named)}` });
    return l;
  }
  if (lines.some((x) => x.name === r.name)) issues.push({ path, message: `an inline line is named after its rule, and line '${r.name}' already exists` });
  const l: Line = { name: r.name, ...ref };
  lines.push(l);
  return l;
}

function known(named: object): string {
  const names = Object.keys(named);
  return names.length ? ` (known: ${names.join(', ')})` : ' (none defined)';
}
