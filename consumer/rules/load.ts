// Reads a rules file (YAML, or JSON, which is YAML too) and validates it; every problem becomes a
// one-line UsageError naming the file and the field.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { UsageError } from '../../common/errors.js';
import { parseRulesConfig, type RulesConfig } from './config.js';

export function loadRulesConfig(file: string): RulesConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--rules: cannot read ${file}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new UsageError(`${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  return parseRulesConfig(raw, file);
}
