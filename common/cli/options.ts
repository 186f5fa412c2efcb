import { Command, InvalidArgumentError, Option } from 'commander';

/** Adds the flags every Kafka-facing command shares: --brokers (env VSP_BROKERS) and --prefix. */
export function withKafkaOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--brokers <list>', 'Kafka bootstrap servers, comma-separated')
        .env('VSP_BROKERS')
        .default('127.0.0.1:9092'),
    )
    .addOption(new Option('--prefix <name>', 'topic prefix: <prefix>.frames, <prefix>.tracks, ...').default('vsp'));
}

export interface KafkaOptions {
  brokers: string;
  prefix: string;
}

/** Commander parser for a positive integer flag, e.g. `.option('--window <n>', '...', positiveInt)`. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

/** Commander parser for an integer ≥ 0. */
export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected an integer ≥ 0');
  return n;
}

/** Commander parser for a finite number ≥ 0. */
export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number ≥ 0');
  return n;
}
