import { Command, Option } from 'commander';
import { nonNegativeInt, positiveInt, unitNumber } from '../common/cli/options.js';
import { createLogger } from '../common/log.js';
import { serveProcessor } from './server.js';
import { metricsPortOption, serveMetrics } from '../common/metrics.js';
import { IMPLS, createDetector, type ImplOptions } from './impls.js';

interface ProcessorCliOptions extends ImplOptions {
  impl: string;
  protocol: 'vsp' | 'legacy';
  host: string;
  port: number;
  concurrency: number;
  metricsPort?: number;
}

export function processorCommand(): Command {
  return new Command('processor')
    .description('serve a detector as a vsp.v1.Processor gRPC server (with grpc.health.v1)')
    .addOption(new Option('--impl <name>', 'detector implementation').choices(Object.keys(IMPLS)).makeOptionMandatory())
    .addOption(new Option('--protocol <name>', "vsp (vsp.v1.Processor) or legacy (the original design's Detector.Detect)").choices(['vsp', 'legacy']).default('vsp'))
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .addOption(new Option('--port <n>', 'port to bind (0 = any free port, printed)').argParser(nonNegativeInt).default(50051))
    .addOption(new Option('--concurrency <n>', 'Process calls run at once').argParser(positiveInt).default(4))
    .option('--model <file>', 'onnx: model file (default: NanoDet-m COCO, converted once into models/)')
    .option('--format <name>', 'onnx: output layout: nanodet | yolov5 | yolov8', 'nanodet')
    .option('--device <name>', 'onnx: cpu | cuda (falls back to cpu, with a warning, when CUDA is unavailable)', 'cpu')
    .addOption(new Option('--score <x>', 'onnx: minimum score').argParser(unitNumber).default(0.5))
    .addOption(new Option('--iou <x>', 'onnx: NMS IoU threshold').argParser(unitNumber).default(0.45))
    .option('--classes <list>', 'onnx: only these labels, e.g. person,car')
    .option('--labels <list>', 'onnx: class names of a custom model, comma-separated, by class index')
    .addOption(new Option('--max-batch <n>', 'onnx: frames per inference (dynamic batching)').argParser(positiveInt).default(8))
    .addOption(new Option('--max-delay-ms <ms>', 'onnx: longest wait to fill a batch').argParser(nonNegativeInt).default(4))
    .addOption(new Option('--threads <n>', 'onnx: inference threads').argParser(positiveInt))
    .addOption(metricsPortOption())
    .option('--mot-dets <dir>', 'replay: directory of MOTChallenge detection files <camera_id>.txt')
    .option('--latency-ms <a-b>', 'replay: answer after a random delay in [a,b] ms (or a fixed "a")', '0')
    .addOption(new Option('--seed <n>', 'replay: seed of the random delays').argParser(nonNegativeInt).default(1))
    .action(async (o: ProcessorCliOptions) => {
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
