import { Command, Option } from 'commander';
import { nonNegativeInt, positiveInt } from '../common/cli/options.js';
import { createLogger } from '../common/log.js';
import { serveProcessor } from './server.js';
import { metricsPortOption, serveMetrics } from '../common/metrics.js';
import { IMPLS, createDetector } from './impls.js';

interface ProcessorCliOptions {
  impl: string;
  protocol: 'vsp' | 'legacy';
  host: string;
  port: number;
  concurrency: number;
  metricsPort?: number;
  /** And the flags of the implementations (impls.ts), each read by its own. */
  [implFlag: string]: unknown;
}

/** Each implementation's own flags, its name before their help. */
function implOptions(): Option[] {
  return IMPLS.flatMap((impl) =>
    impl.flags.map((f) => {
      const option = new Option(f.flags, `${impl.name}: ${f.description}`);
      if (f.parse) option.argParser(f.parse);
      if (f.default !== undefined) option.default(f.default);
      return option;
    }),
  );
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
    .addOption(metricsPortOption())
    .addHelpText('after', implsHelp());
  for (const option of implOptions()) command.addOption(option);
  return command.action(async (o: ProcessorCliOptions) => {
    const log = createLogger('processor').child({ impl: o.impl });
    const detector = await createDetector(o.impl, o);
    const running = await serveProcessor(detector, { protocol: o.protocol, host: o.host, port: o.port, concurrency: o.concurrency, log });
    const metrics = o.metricsPort === undefined ? undefined : await serveMetrics(o.metricsPort);
    if (metrics) log.info({ port: metrics.port }, 'metrics on http://127.0.0.1:%d/metrics', metrics.port);
    process.stdout.write(`${o.host}:${running.port}\n`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await running.close();
    await metrics?.close();
    log.info('processor stopped');
  });
}
