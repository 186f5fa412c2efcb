// The tracker flags shared by `vsp broker`, `vsp track` and the tracker bench: --tracker NAME and
// every kind's parameters, with their bounds.
import { Option, type Command } from 'commander';
import { nonNegativeInt, positiveInt } from '../../common/cli/options.js';
import { UsageError } from '../../common/errors.js';
import { TRACKERS, trackerKind, type TrackerParam, type TrackerSpec } from './registry.js';

export function addTrackerOptions(cmd: Command): Command {
  cmd.addOption(new Option('--tracker <name>', 'tracking algorithm').choices(Object.keys(TRACKERS)).default('sort'));
  for (const kind of Object.values(TRACKERS)) {
    for (const p of kind.params) cmd.addOption(paramOption(kind.name, p));
  }
  return cmd;
}

function paramOption(kind: string, p: TrackerParam): Option {
  const option = new Option(p.flag, `${kind}: ${p.description}`);
  if (p.type === 'boolean') return option.default(p.default);
  const parse = p.type === 'count' ? nonNegativeInt : p.type === 'positive' ? positiveInt : Number;
  return option.argParser(parse).default(p.default);
}

/** The tracker spec of parsed options (commander's attribute names); out-of-range values are usage errors. */
export function trackerSpecFromOptions(o: Record<string, unknown>): TrackerSpec {
  const kind = trackerKind(String(o.tracker ?? 'sort'));
  const params: TrackerSpec['params'] = {};
  for (const p of kind.params) {
    const option = new Option(p.flag);
    const value = o[option.attributeName()] ?? p.default;
    if (p.type === 'unit' && !(typeof value === 'number' && value >= 0 && value <= 1)) {
      throw new UsageError(`${option.long}: expected a number in [0, 1], got ${String(value)}`);
    }
    params[p.param] = value as number | boolean;
  }
  try {
    kind.create(params);
  } catch (err) {
    throw new UsageError(`--tracker ${kind.name}: ${(err as Error).message}`, { cause: err });
  }
  return { kind: kind.name, params };
}
