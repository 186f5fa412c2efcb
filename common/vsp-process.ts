// Runs `vsp` subcommands as child processes (the demo's components, the tests' pipelines),
// capturing their output and stopping them cleanly.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (dist/common/ is two levels below it). */
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const VSP = path.join(REPO, 'bin/vsp.js');

/**
 * Node flags every vsp process runs with (also on bin/vsp.js's #! line, for `vsp` on the PATH and
 * the systemd units). Under load V8 sized the old generation for the ~20 MB that stays live: what
 * outlived the young generation filled it every 1-2 s, and each full collection stalled the
 * broker, processor and producer 5-25 ms, in step (a paced frame crosses all three). With 128 MB
 * to start: 1-3 full collections in 35 s instead of 15-30, and an 8 x 30 fps p99 of 11-19 ms
 * instead of 22-32 (docs/benchmarks.md).
 */
export const VSP_NODE_FLAGS = ['--initial-heap-size=128'];

/**
 * Environment every vsp process starts with (also on bin/vsp.js's #! line; set here, a caller's
 * own value wins). More libuv threads than the default 4: librdkafka deadlocks a producer
 * destroyed while one of its transactional calls waits on a coordinator that failed over, holding
 * two threads for good (gdb, failover tests); with 4, two such partitions stopped the broker's
 * every file write and native call. Setting it from JavaScript is too late: loading the entry
 * module already started the pool.
 */
export const VSP_NODE_ENV: Readonly<Record<string, string>> = { UV_THREADPOOL_SIZE: '16' };

export interface VspProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Resolves with the first stdout line matching re; rejects if the process exits first. */
  waitForStdout(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends the signal (if still running) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function spawnVsp(args: string[], env: Record<string, string> = {}, onStderr?: (text: string) => void): VspProcess {
  const child = spawn(process.execPath, [...VSP_NODE_FLAGS, VSP, ...args], { cwd: REPO, env: { ...VSP_NODE_ENV, ...process.env, VSP_SUPERVISED: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    listeners.forEach((l) => l());
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    onStderr?.(d.toString());
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForStdout(re, timeoutMs = 120_000) {
      return new Promise((resolve, reject) => {
        const done = () => {
          listeners.delete(check);
          clearTimeout(timer);
        };
        const check = () => {
          const line = out.split('\n').find((l) => re.test(l));
          if (line !== undefined) {
            done();
            resolve(line);
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out waiting for ${re} from vsp ${args.join(' ')}; stderr: ${err.slice(-2000)}`));
        }, timeoutMs);
        listeners.add(check);
        check();
        void exited.then((code) => {
          done();
          reject(new Error(`vsp ${args.join(' ')} exited (${code}) before printing ${re}; stderr: ${err.slice(-2000)}`));
        });
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
