// zod fields shared by the rules file's own schemas (config.ts) and those its hook targets declare
// (hooks/), so that both word their errors alike.
import { z } from 'zod';

export const finite = z.number().refine(Number.isFinite, { error: 'expected a finite number' });
export const seconds = z.number().positive({ error: 'expected a number of seconds > 0' });
export const int = () => z.number().int({ error: 'expected an integer' });

/** Whether a discriminated union's input lacks its discriminator. */
export function missing(input: unknown, key: string): boolean {
  return typeof input === 'object' && input !== null && (input as Record<string, unknown>)[key] === undefined;
}
