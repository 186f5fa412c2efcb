// exec target: runs a command (argv, no shell) per event with the event's JSON on stdin. A
// non-zero exit, a signal or the timeout (SIGKILL) is a failed delivery; the last line of its
// stderr says why. Not retried: a command may have done half its work.
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
  ...queueFields,
});
export type ExecConfig = z.output<typeof execConfigSchema>;

export function execTarget(name: string, c: ExecConfig): Target {
  const [program, ...args] = c.command as [string, ...string[]];
  const what = c.command.join(' ');
  return {
    name,
    send: (event, signal) =>
      new Promise<void>((resolve, reject) => {
        const child = spawn(program, args, { stdio: ['pipe', 'ignore', 'pipe'], signal, killSignal: 'SIGKILL' });
        let timedOut = false;
        const timer = setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, c.timeoutS * 1000);
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
        child.on('error', (err) => {
          clearTimeout(timer);
          reject(new Error(`${what}: ${err.message}`));
        });
        child.on('close', (code, sig) => {
          clearTimeout(timer);
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
