// A real KServe v2 model server for the `--impl kserve` tests: KServe's Python ModelServer
// running test/stand-ins/kserve-onnx-server.py (onnxruntime) from the .venv-kserve virtual
// environment that .ci/run creates. Started on free ports; stoppable and restartable on the same
// port (a server outage).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../../common/kafka/local.js';
import type { ChannelSecurity } from '../../common/grpc.js';
import { KServeClient } from '../../processor/kserve/client.js';
import { REPO } from '../helpers/processes.js';

export const KSERVE_PYTHON = path.join(REPO, '.venv-kserve/bin/python');
const SERVER = path.join(REPO, 'test/stand-ins/kserve-onnx-server.py');

export interface KServeOptions {
  /** name → .onnx file, served as the model declares (FP32). */
  models: Record<string, string>;
  /** name → .onnx file, served with FP16 tensors. */
  fp16Models?: Record<string, string>;
  /** Every model reports "not ready" while this file exists. */
  notReadyWhile?: string;
  tls?: { cert: string; key: string };
  token?: string;
  /** How the readiness poll reaches it (TLS settings, token). */
  security?: ChannelSecurity;
  /** onnxruntime intra-op threads (default 2). */
  threads?: number;
}

export interface KServeServer {
  /** HOST:PORT of its gRPC endpoint (localhost with TLS, else 127.0.0.1). */
  address: string;
  /** Everything it printed (stdout and stderr), for failure messages. */
  output(): string;
  /** Kills it (SIGKILL: a crash, no goodbye to clients). */
  kill(): Promise<void>;
  /** Starts it again on the same port; resolves once it answers ServerReady. */
  restart(): Promise<void>;
}

const running = new Set<ChildProcess>();

function args(o: KServeOptions, grpcPort: number, httpPort: number): string[] {
  const pairs = (flag: string, m: Record<string, string> = {}) => Object.entries(m).flatMap(([name, file]) => [flag, `${name}=${file}`]);
  return [
    SERVER, '--grpc-port', String(grpcPort), '--http-port', String(httpPort), '--threads', String(o.threads ?? 2),
    ...pairs('--model', o.models), ...pairs('--fp16-model', o.fp16Models),
    ...(o.notReadyWhile ? ['--not-ready-while', o.notReadyWhile] : []),
    ...(o.tls ? ['--tls-cert', o.tls.cert, '--tls-key', o.tls.key] : []),
    ...(o.token ? ['--token', o.token] : []),
  ];
}

export async function startKServe(o: KServeOptions): Promise<KServeServer> {
  if (!existsSync(KSERVE_PYTHON)) {
    throw new Error(`${KSERVE_PYTHON} is missing: run .ci/run, or: python3 -m venv .venv-kserve && .venv-kserve/bin/pip install kserve==0.21.0 onnxruntime==1.32.0`);
  }
  const [grpcPort, httpPort] = [await freePort(), await freePort()];
  // With TLS by name, as its certificate names it (an IP address as TLS server name makes Node warn).
  const address = `${o.tls ? 'localhost' : '127.0.0.1'}:${grpcPort}`;
  let child: ChildProcess | undefined;
  let log = '';

  const start = async (): Promise<void> => {
    const proc = spawn(KSERVE_PYTHON, args(o, grpcPort, httpPort), { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    running.add(proc);
    proc.on('exit', () => running.delete(proc));
    proc.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    const client = new KServeClient(address, o.security);
    try {
      const deadline = Date.now() + 60_000;
      for (;;) {
        if (proc.exitCode !== null) throw new Error(`the KServe server exited (${proc.exitCode}): ${log.slice(-3000)}`);
        if (await client.serverReady(1000).catch(() => false)) return;
        if (Date.now() > deadline) throw new Error(`the KServe server did not get ready in 60 s: ${log.slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      client.close();
    }
  };

  const kill = async (): Promise<void> => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await exited;
  };

  await start();
  return { address, output: () => log, kill, restart: start };
}

/** Kills every KServe server a test file started (call in after()). */
export async function stopAllKServe(): Promise<void> {
  await Promise.all(
    [...running].map((p) => {
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGKILL');
      return exited;
    }),
  );
}
