import { Command, Option } from 'commander';
import { frameLimitsFromOptions, nonNegativeInt, positiveInt, withFrameLimitOptions } from '../common/cli/options.js';
import { createLogger } from '../common/log.js';
import { serveProcessor } from './server.js';
import { metricsPortOption, serveMetrics } from '../common/metrics.js';
import { IMPLS, createDetector } from './impls.js';
import type { ImplFlag } from './implementation.js';
import { serverSecurityFromOptions, withServerSecurityOptions, type ServerSecurityFlags } from '../common/cli/grpc-security.js';
import { openFrameStore, withFrameStoreOptions, type FrameStoreFlags } from '../common/frame-store.js';

interface ProcessorCliOptions extends FrameStoreFlags, ServerSecurityFlags {
  impl: string;
  protocol: 'vsp' | 'legacy';
  host: string;
  port: number;
  concurrency: number;
  maxQueued: number;
  maxImageBytes: number;
  maxPixels: number;
  maxAttributes: number;
  metricsPort?: number;
  /** And the flags of the implementations (impls.ts), each read by its own. */
  [implFlag: string]: unknown;
}

/**
 * Each implementation's own flags, its name before their help. A flag several implementations
 * declare (kserve reuses onnx's --format, --score, …) is one option: the same declaration once,
 * with their names joined, or with each one's help when they describe it differently (--model).
 */
export function implOptions(): Option[] {
  const byName = new Map<string, { flag: ImplFlag; help: { names: string[]; description: string }[] }>();
  for (const impl of IMPLS) {
    for (const f of impl.flags) {
      const name = new Option(f.flags).attributeName();
      const seen = byName.get(name);
      if (!seen) {
        byName.set(name, { flag: f, help: [{ names: [impl.name], description: f.description }] });
        continue;
      }
      if (seen.flag.parse !== f.parse || seen.flag.default !== f.default) throw new Error(`--impl ${impl.name} declares ${f.flags} unlike another implementation`);
      const same = seen.help.find((h) => h.description === f.description);
      if (same) same.names.push(impl.name);
      else seen.help.push({ names: [impl.name], description: f.description });
    }
  }
  return [...byName.values()].map(({ flag, help }) => {
    const option = new Option(flag.flags, help.map((h) => `${h.names.join(', ')}: ${h.description}`).join('; '));
    if (flag.parse) option.argParser(flag.parse);
    if (flag.default !== undefined) option.default(flag.default);
    return option;
  });
}

function implsHelp(): string {
  const width = Math.max(...IMPLS.map((i) => i.name.length));
  return `\nImplementations (--impl):\n${IMPLS.map((i) => `  ${i.name.padEnd(width)}  ${i.description}`).join('\n')}`;
}

export function processorCommand(): Command {
  const command = new Command('processor')
    .description('serve a detector as a vsp.v1.Processor gRPC server (with grpc.health.v1)')
    .addOption(new Option('--impl <name>', 'detector implementation').choices(IMPLS.map((i) => i.name)).makeOptionMandatory())
    .addOption(new Option('--protocol <name>', "vsp (vsp.v1.Processor) or legacy (the original design's Detector.Detect)").choices(['vsp', 'legacy']).default('vsp'))
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .addOption(new Option('--port <n>', 'port to bind (0 = any free port, printed)').argParser(nonNegativeInt).default(50051))
    .addOption(new Option('--concurrency <n>', 'Process calls run at once').argParser(positiveInt).default(4))
    .addOption(new Option('--max-queued <n>', 'Process calls waiting at most; beyond it a call is refused (RESOURCE_EXHAUSTED) and the broker retries').argParser(positiveInt).default(256))
    .addOption(metricsPortOption())
    .addHelpText('after', implsHelp());
  withFrameLimitOptions(command);
  withServerSecurityOptions(command);
  withFrameStoreOptions(command, 'where the images of referenced frames are fetched from');
  for (const option of implOptions()) command.addOption(option);
  return command.action(async (o: ProcessorCliOptions) => {
    const log = createLogger('processor').child({ impl: o.impl });
    const security = serverSecurityFromOptions(o);
    const frameStore = openFrameStore(o, log);
    const detector = await createDetector(o.impl, o);
    const running = await serveProcessor(detector, { protocol: o.protocol, host: o.host, port: o.port, concurrency: o.concurrency, maxQueued: o.maxQueued, limits: frameLimitsFromOptions(o), frameStore, security, log });
    const metrics = o.metricsPort === undefined ? undefined : await serveMetrics(o.metricsPort);
    if (metrics) log.info({ port: metrics.port }, 'metrics on http://127.0.0.1:%d/metrics', metrics.port);
    process.stdout.write(`${o.host}:${running.port}\n`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await running.close();
    await frameStore?.close();
    await metrics?.close();
    log.info('processor stopped');
  });
}
