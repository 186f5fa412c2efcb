import { Command, Option } from 'commander';
import { nonNegativeInt, positiveInt } from '../common/cli/options.js';
import { createLogger } from '../common/log.js';
import { serveProcessor } from './server.js';
import { IMPLS, createDetector, type ImplOptions } from './impls.js';

interface ProcessorCliOptions extends ImplOptions {
  impl: string;
  host: string;
  port: number;
  concurrency: number;
}

export function processorCommand(): Command {
  return new Command('processor')
    .description('serve a detector as a vsp.v1.Processor gRPC server (with grpc.health.v1)')
    .addOption(new Option('--impl <name>', 'detector implementation').choices(Object.keys(IMPLS)).makeOptionMandatory())
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .addOption(new Option('--port <n>', 'port to bind (0 = any free port, printed)').argParser(nonNegativeInt).default(50051))
    .addOption(new Option('--concurrency <n>', 'Process calls run at once').argParser(positiveInt).default(4))
    .option('--mot-dets <dir>', 'replay: directory of MOTChallenge detection files <camera_id>.txt')
    .option('--latency-ms <a-b>', 'replay: answer after a random delay in [a,b] ms (or a fixed "a")', '0')
    .addOption(new Option('--seed <n>', 'replay: seed of the random delays').argParser(nonNegativeInt).default(1))
    .action(async (o: ProcessorCliOptions) => {
      const log = createLogger('processor').child({ impl: o.impl });
      const detector = await createDetector(o.impl, o);
      const running = await serveProcessor(detector, { host: o.host, port: o.port, concurrency: o.concurrency, log });
      process.stdout.write(`${o.host}:${running.port}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await running.close();
      log.info('processor stopped');
    });
}
