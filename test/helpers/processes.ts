// Runs `vsp` commands as real child processes, as a user would, and cleans them up.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const VSP = path.join(REPO, 'bin/vsp.js');

export interface VspProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /** Resolves with the first stdout line matching re. */
  waitForStdout(re: RegExp, timeoutMs?: number): Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const running = new Set<VspProcess>();

export function vsp(args: string[], env: Record<string, string> = {}): VspProcess {
  const child = spawn(process.execPath, [VSP, ...args], {
    cwd: REPO,
    env: { ...process.env, VSP_LOG_FORMAT: 'json', VSP_LOG_LEVEL: process.env.VSP_LOG_LEVEL ?? 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const listeners: Array<() => void> = [];
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    listeners.forEach((l) => l());
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const proc: VspProcess = {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForStdout(re, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = out.split('\n').find((line) => re.test(line));
          if (m !== undefined) resolve(m);
        };
        listeners.push(check);
        check();
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re} from vsp ${args.join(' ')}; stderr: ${err.slice(-2000)}`)), timeoutMs);
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`vsp ${args.join(' ')} exited (${code}) before printing ${re}; stderr: ${err.slice(-2000)}`));
        });
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const code = await exited;
      running.delete(proc);
      return code;
    },
  };
  running.add(proc);
  void exited.then(() => running.delete(proc));
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
