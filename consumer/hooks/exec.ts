// exec target: runs a command (argv, no shell) per event with the event's JSON on stdin. A
// non-zero exit, a signal or the timeout (SIGKILL) is a failed delivery; the last line of its
// stderr says why. Not retried: a command may have done half its work. The command gets only an
// allow-listed environment (no secrets of the consumer's), and runs in a process group of its
// own so that the timeout kills whatever it started too.
import { spawn } from 'node:child_process';
import { z } from 'zod';
import { seconds } from '../rules/fields.js';
import { queueFields, type Target, type TargetType } from './target.js';

/** `type: exec` in the rules file's targets. */
export const execConfigSchema = z.strictObject({
  type: z.literal('exec'),
  /** argv, no shell: [program, ...args]. */
  command: z.array(z.string().min(1)).min(1, { error: 'expected [program, ...args]' }),
  timeoutS: seconds.default(30),
  /** Names of further environment variables the command may see. */
  env: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected an environment variable name' })).default([]),
  ...queueFields,
});

/** What every command sees of the consumer's environment. */
const BASE_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'];
export type ExecConfig = z.output<typeof execConfigSchema>;

export function execTarget(name: string, c: ExecConfig): Target {
  const [program, ...args] = c.command as [string, ...string[]];
  const what = c.command.join(' ');
  return {
    name,
    send: (event, signal) =>
      new Promise<void>((resolve, reject) => {
        const env = Object.fromEntries([...BASE_ENV, ...c.env].flatMap((k) => (process.env[k] === undefined ? [] : [[k, process.env[k]]])));
        const child = spawn(program, args, { stdio: ['pipe', 'ignore', 'pipe'], env, detached: true });
        const killGroup = () => {
          try {
            if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
          } catch {
            // Already gone.
          }
        };
        let timedOut = false;
        const timer = setTimeout(() => {
          timedOut = true;
          killGroup();
        }, c.timeoutS * 1000);
        if (signal.aborted) killGroup();
        else signal.addEventListener('abort', killGroup, { once: true });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
        child.on('error', (err) => {
          clearTimeout(timer);
          reject(new Error(`${what}: ${err.message}`));
        });
        child.on('close', (code, sig) => {
          clearTimeout(timer);
          signal.removeEventListener('abort', killGroup);
          if (code === 0) return resolve();
          const why = timedOut ? `timed out after ${c.timeoutS} s` : sig ? `killed by ${sig}` : `exited with code ${code}`;
          const last = stderr.trim().split('\n').pop();
          reject(new Error(`${what}: ${why}${last ? `: ${last}` : ''}`));
        });
        // The command need not read its input; a closed pipe is not a failure.
        child.stdin.on('error', () => {});
        child.stdin.end(`${JSON.stringify(event)}\n`);
      }),
    close: async () => {},
  };
}

export const execType: TargetType<typeof execConfigSchema> = { schema: execConfigSchema, create: execTarget };
