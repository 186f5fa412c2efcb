// `--impl kserve` and its flags: declared here, implemented in kserve/ (loaded by create()). The
// detection flags (--format, --score, --iou, --classes, --labels, --max-batch, --max-delay-ms) are
// the onnx implementation's own, shared: both decode the same way.
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { nonNegativeInt, positiveInt } from '../common/cli/options.js';
import { UsageError } from '../common/errors.js';
import type { ChannelSecurity } from '../common/grpc.js';
import type { ImplFlag, Implementation } from './implementation.js';
import { commaList, detectionOptions, onnxImpl, type DetectionFlags } from './onnx/impl.js';

interface KServeFlags extends DetectionFlags {
  target?: string;
  model?: string;
  modelVersion?: string;
  input?: string;
  output?: string[];
  maxInflight: number;
  targetTls?: boolean;
  targetCa?: string;
  targetCert?: string;
  targetKey?: string;
  targetToken?: string;
  targetHeader?: string[];
  readyTimeoutS: number;
  inferTimeoutMs: number;
}

const SHARED = ['--format', '--score', '--iou', '--classes', '--labels', '--max-batch', '--max-delay-ms'];
const shared = onnxImpl.flags.filter((f) => SHARED.includes(f.flags.split(' ')[0]!));

/** Repeatable, comma-separated names. */
function names(value: string, previous?: unknown): string[] {
  return [...((previous as string[] | undefined) ?? []), ...(commaList(value) ?? [])];
}

/** Repeatable `NAME: VALUE` headers. */
function header(value: string, previous?: unknown): string[] {
  if (!/^[A-Za-z0-9-]+\s*:/.test(value)) throw new InvalidArgumentError(`expected "name: value", got '${value}'`);
  return [...((previous as string[] | undefined) ?? []), value];
}

const flags: ImplFlag[] = [
  { flags: '--target <host:port>', description: 'gRPC address of a KServe v2 inference server (Triton, KServe, MLServer)' },
  { flags: '--model <name>', description: 'model name on the inference server' },
  { flags: '--model-version <v>', description: "model version (default: the server's choice)" },
  { flags: '--input <name>', description: 'the model input to feed (default: its only input)' },
  { flags: '--output <names>', description: 'model outputs to decode, comma-separated or repeated (default: all)', parse: names },
  ...shared,
  { flags: '--max-inflight <n>', description: 'ModelInfer calls in flight at once (network transfer overlaps the server\'s work)', parse: positiveInt, default: 2 },
  { flags: '--target-tls', description: 'TLS to the inference server (system roots unless --target-ca)' },
  { flags: '--target-ca <file>', description: 'CA certificates (PEM) to verify the inference server with; implies TLS' },
  { flags: '--target-cert <file>', description: 'client certificate (PEM) for mutual TLS, with --target-key' },
  { flags: '--target-key <file>', description: 'client private key (PEM) for mutual TLS' },
  { flags: '--target-token <token>', description: 'sent as "authorization: Bearer TOKEN" (or env VSP_KSERVE_TOKEN)' },
  { flags: '--target-header <h>', description: 'extra "name: value" header on every call (repeatable)', parse: header },
  { flags: '--ready-timeout-s <s>', description: 'how long to wait at start for the server and model to be ready', parse: nonNegativeInt, default: 60 },
  { flags: '--infer-timeout-ms <ms>', description: 'deadline of one ModelInfer call', parse: positiveInt, default: 10000 },
];

function security(o: KServeFlags): ChannelSecurity {
  const read = (flag: string, file?: string): Buffer | undefined => {
    if (file === undefined) return undefined;
    try {
      return readFileSync(file);
    } catch (err) {
      throw new UsageError(`${flag}: cannot read ${file}: ${(err as Error).message}`);
    }
  };
  if (Boolean(o.targetCert) !== Boolean(o.targetKey)) throw new UsageError('--target-cert and --target-key go together (mutual TLS)');
  const tls = o.targetTls || o.targetCa || o.targetCert ? { ca: read('--target-ca', o.targetCa), cert: read('--target-cert', o.targetCert), key: read('--target-key', o.targetKey) } : undefined;
  const headers: Record<string, string> = {};
  for (const h of o.targetHeader ?? []) {
    const at = h.indexOf(':');
    headers[h.slice(0, at).trim().toLowerCase()] = h.slice(at + 1).trim();
  }
  const token = o.targetToken ?? process.env.VSP_KSERVE_TOKEN;
  if (token) headers.authorization = `Bearer ${token}`;
  return { tls, headers };
}

export const kserveImpl: Implementation<KServeFlags> = {
  name: 'kserve',
  description: 'delegates inference to a KServe v2 / Triton server over gRPC; prepares and decodes frames like onnx',
  flags,
  async create(o) {
    if (!o.target) throw new UsageError('--impl kserve needs --target HOST:PORT (the inference server)');
    if (!o.model) throw new UsageError('--impl kserve needs --model NAME (the model on the inference server)');
    const detection = await detectionOptions(o);
    const { createKServeDetector } = await import('./kserve/detector.js');
    return createKServeDetector({
      ...detection,
      target: o.target,
      model: o.model,
      version: o.modelVersion ?? '',
      input: o.input,
      outputs: o.output,
      security: security(o),
      maxInflight: o.maxInflight,
      readyTimeoutMs: o.readyTimeoutS * 1000,
      inferTimeoutMs: o.inferTimeoutMs,
    });
  },
};
