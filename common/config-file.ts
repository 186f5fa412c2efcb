// Config files (YAML, or JSON, which is YAML too) validated with zod: every problem becomes one
// UsageError line naming the file and the field path, e.g.
// `cameras.yaml: cameras[2].fps: expected a number ≥ 0`.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { z } from 'zod';
import { UsageError } from './errors.js';

/** A problem with one field: its path (['cameras', 2, 'fps']) and what is wrong. */
export interface ConfigIssue {
  path: PropertyKey[];
  message: string;
}

/** Keys printed as `a.b`; any other key is quoted: `a["b c"]`. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The parsed file; `flag` names the option that gave it, for a file that cannot be read. */
export function readConfigFile(file: string, flag: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`${flag}: cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return parse(text);
  } catch (err) {
    throw new UsageError(`${file}: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** The first problem zod found, made as specific as it can be and worded like the project's other messages. */
export function firstIssue(error: z.ZodError): ConfigIssue {
  return specific(error.issues[0] as z.core.$ZodIssue);
}

/** Inside a union, the branch that got furthest into the value. */
function specific(issue: z.core.$ZodIssue): ConfigIssue {
  if (issue.code === 'invalid_union') {
    const deeper = issue.errors.map((branch) => branch[0]).filter((b): b is z.core.$ZodIssue => b !== undefined && b.path.length > 0);
    const best = deeper.sort((a, b) => b.path.length - a.path.length)[0];
    if (best) {
      const inner = specific(best);
      return { path: [...issue.path, ...inner.path], message: inner.message };
    }
  }
  if (issue.code === 'invalid_key' && issue.issues[0]) return { path: issue.path, message: `invalid name: ${issue.issues[0].message}` };
  if (issue.code === 'unrecognized_keys') return { path: [...issue.path, issue.keys[0] as string], message: 'unknown field' };
  if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) return { path: issue.path, message: 'required' };
  return { path: issue.path, message: issue.message.replace(/^(Invalid input|Too small|Too big|Invalid option): /, '') };
}

/** `<name>: <field path>: <message>`, on one line. */
export function configError(name: string, issue: ConfigIssue, plainKey = IDENTIFIER): UsageError {
  return new UsageError(`${name}: ${formatPath(issue.path, plainKey) || '(top level)'}: ${issue.message}`);
}

/** ['cameras', 2, 'fps'] → cameras[2].fps; `plainKey`: the keys written without quotes. */
export function formatPath(path: readonly PropertyKey[], plainKey = IDENTIFIER): string {
  let out = '';
  for (const k of path) {
    if (typeof k === 'number') out += `[${k}]`;
    else if (typeof k === 'string' && plainKey.test(k)) out += out ? `.${k}` : k;
    else out += `[${JSON.stringify(String(k))}]`;
  }
  return out;
}
