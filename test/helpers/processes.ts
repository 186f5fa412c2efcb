// Runs `vsp` commands as real child processes, as a user would, and cleans them up.
import { REPO, spawnVsp, type VspProcess } from '../../common/vsp-process.js';

export { REPO, type VspProcess };

const running = new Set<VspProcess>();

/** Starts `vsp ...args` with JSON logs at level warn (unless overridden). */
export function vsp(args: string[], env: Record<string, string> = {}): VspProcess {
  const proc = spawnVsp(args, { VSP_LOG_FORMAT: 'json', VSP_LOG_LEVEL: process.env.VSP_LOG_LEVEL ?? 'warn', ...env });
  running.add(proc);
  void proc.exited.then(() => running.delete(proc));
  return proc;
}

/** Runs a command to completion and returns its exit code and output. */
export async function vspRun(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = vsp(args, env);
  const code = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

/** Kills every vsp process a test left running (call in after/afterEach). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop('SIGKILL')));
}
