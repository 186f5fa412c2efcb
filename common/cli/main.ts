// Entry point of the `vsp` command: one subcommand per component, each defined next to its code.
import { Command } from 'commander';
import { runCli } from './run.js';
import { kafkaCommand, statusCommand, topicsCommand } from '../kafka/cli.js';
import { producerCommand } from '../../producer/cli.js';
import { processorCommand } from '../../processor/cli.js';
import { brokerCommand } from '../../broker/cli.js';
import { consumerCommand } from '../../consumer/cli.js';
import { trackCommand } from '../../broker/tracker/track-command.js';
import { evalCommand } from '../mot/eval-command.js';
import { demoCommand } from '../demo/cli.js';

const commands: Array<() => Command> = [
  kafkaCommand,
  topicsCommand,
  statusCommand,
  producerCommand,
  processorCommand,
  brokerCommand,
  consumerCommand,
  trackCommand,
  evalCommand,
  demoCommand,
];

const program = new Command('vsp')
  .description('video-stream-processing: camera frames → Kafka → gRPC processors → SORT tracks → consumers')
  .version(process.env.npm_package_version ?? '0.1.0');
for (const make of commands) program.addCommand(make());

await runCli(program, process.argv);
