import { Command, Option } from 'commander';
import { nonNegativeInt, positiveInt } from '../../common/cli/options.js';
import { runDemo } from './run-demo.js';

export function demoCommand(): Command {
  return new Command('demo')
    .description('the whole system on a real video: local Kafka, NanoDet processor, broker, producer, consumer reports')
    .option('--source <spec>', 'what to stream (any producer source)', 'file:samples/vtest.avi')
    .option('--camera <id>', 'camera id', 'vtest')
    .option('--no-realtime', 'stream a file as fast as possible instead of at its frame rate')
    .option('--no-loop', 'stop when a file source ends instead of streaming it again until Ctrl-C')
    .option('--impl <name>', 'processor implementation (onnx = NanoDet-m COCO)', 'onnx')
    .option('--out <dir>', 'where reports are written', 'demo-output')
    .addOption(new Option('--web-port <n>', 'port of the live web viewer on 127.0.0.1 (0 = any free port)').argParser(nonNegativeInt).default(8080))
    .addOption(new Option('--kafka-port <n>', 'port of the demo Kafka (controller: port + 1)').argParser(positiveInt).default(29092))
    .option('--data <dir>', 'data directory of the demo Kafka', '.vsp/demo')
    .option('--secure', 'Kafka with TLS, SASL/SCRAM and ACLs (as `vsp kafka start --secure`); each component gets its role\'s --kafka-config', false)
    .action(runDemo);
}
