// What a detector implementation declares for `vsp processor --impl NAME`: its name, its own
// flags and how to create its detector from them. impls.ts lists them; cli.ts builds the command
// from that list. The declaration is a small file that loads the detector's code only in create(),
// so that, e.g., the synthetic processor never loads onnxruntime.
import type { Detector } from './detector.js';

/** One flag of an implementation; its help is shown prefixed with `NAME: `. */
export interface ImplFlag {
  /** As commander takes them, e.g. '--max-batch <n>'; the parsed value is under its camelCase name (maxBatch). */
  flags: string;
  description: string;
  default?: string | number;
  /** Parses and checks a value given on the command line (commander's InvalidArgumentError to reject it). */
  parse?: (value: string) => unknown;
}

/** `O`: the parsed values of its flags, by camelCase name. */
export interface Implementation<O = never> {
  name: string;
  /** One line for --help. */
  description: string;
  flags: readonly ImplFlag[];
  /** Checks the values (UsageError naming the flag), loads the detector's code and creates it. */
  create(options: O): Promise<Detector>;
}
