// Entry point of the `vsp` command: one subcommand per component, each defined next to its code.
// Only the module of the command being run is loaded (kafkajs, gRPC, onnxruntime and sharp are
// slow to load); help and unknown commands load them all.
import { Command } from 'commander';
import { runCli } from './run.js';

type Loader = () => Promise<() => Command>;

const COMMANDS: Record<string, Loader> = {
  kafka: async () => (await import('../common/kafka/cli.js')).kafkaCommand,
  topics: async () => (await import('../common/kafka/cli.js')).topicsCommand,
  status: async () => (await import('../common/kafka/cli.js')).statusCommand,
  // The producer's edge mode (--detect) runs the processor's detector implementations in-process.
  producer: async () => {
    const [{ producerCommand }, { IMPLS, createDetector }, { implOptions }] = await Promise.all([import('../producer/cli.js'), import('../processor/impls.js'), import('../processor/cli.js')]);
    return () => producerCommand({ names: IMPLS.map((i) => i.name), options: implOptions, create: createDetector });
  },
  processor: async () => (await import('../processor/cli.js')).processorCommand,
  broker: async () => (await import('../broker/cli.js')).brokerCommand,
  consumer: async () => (await import('../consumer/cli.js')).consumerCommand,
  track: async () => (await import('../broker/tracker/track-command.js')).trackCommand,
  eval: async () => (await import('../common/mot/eval-command.js')).evalCommand,
  demo: async () => (await import('./demo/cli.js')).demoCommand,
};

const program = new Command('vsp')
  .description('video-stream-processing: camera frames → Kafka → gRPC processors → SORT tracks → consumers')
  .version(process.env.npm_package_version ?? '0.1.0');
const requested = process.argv[2];
const names = requested !== undefined && requested in COMMANDS ? [requested] : Object.keys(COMMANDS);
for (const make of await Promise.all(names.map((n) => COMMANDS[n]!()))) program.addCommand(make());

await runCli(program, process.argv);
