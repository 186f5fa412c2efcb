// Reads a rules file (YAML, or JSON, which is YAML too) and validates it; every problem becomes a
// one-line UsageError naming the file and the field.
import { readConfigFile } from '../../common/config-file.js';
import { parseRulesConfig, type RulesConfig } from './config.js';

export function loadRulesConfig(file: string): RulesConfig {
  return parseRulesConfig(readConfigFile(file, '--rules'), file);
}
