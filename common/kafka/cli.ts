import { Command, Option } from 'commander';
import { positiveInt, withKafkaOptions, type KafkaOptions } from '../cli/options.js';
import { startKafka, stopKafka } from './local.js';
import { ensureKafkaJars, KAFKA_VERSION } from './jars.js';
import { requireTools } from '../requirements.js';
import { createKafka } from './client.js';
import { connectionFromOptions } from './connection.js';
import { kafkaFailure } from './errors.js';
import { createTopics } from './topics.js';
import { deploymentStatus, formatStatus } from './status.js';

export function kafkaCommand(): Command {
  const cmd = new Command('kafka').description('run a local single-node Kafka (KRaft) broker from Maven Central jars');
  cmd
    .command('fetch')
    .description('only fetch the Kafka jars into the cache (Maven Central), e.g. while online')
    .action(async () => {
      await requireTools(['java', 'mvn']);
      process.stdout.write(`${await ensureKafkaJars(KAFKA_VERSION, (line) => process.stderr.write(`${line}\n`))}\n`);
    });
  cmd
    .command('start')
    .description('fetch Kafka 3.9 jars once (Maven), format storage, start a broker on 127.0.0.1 and wait until ready')
    .addOption(new Option('--port <n>', 'client port').argParser(positiveInt).default(9092))
    .addOption(new Option('--controller-port <n>', 'KRaft controller port').argParser(positiveInt).default(9093))
    .option('--data <dir>', 'data directory (logs, config, pid file)', '.vsp/kafka')
    .action(async (o: { port: number; controllerPort: number; data: string }) => {
      await requireTools(['java', 'mvn']);
      const kafka = await startKafka({
        port: o.port,
        controllerPort: o.controllerPort,
        dataDir: o.data,
        log: (line) => process.stderr.write(`${line}\n`),
      });
      process.stdout.write(`${kafka.bootstrap}\n`);
    });
  cmd
    .command('stop')
    .description('stop the broker started from --data')
    .option('--data <dir>', 'data directory given to start', '.vsp/kafka')
    .action(async (o: { data: string }) => {
      const stopped = await stopKafka(o.data);
      process.stderr.write(stopped ? 'Kafka stopped\n' : `no running Kafka for ${o.data}\n`);
    });
  return cmd;
}

export function topicsCommand(): Command {
  const cmd = new Command('topics').description('manage the deployment topics');
  withKafkaOptions(
    cmd
      .command('create')
      .description('create <prefix>.frames, .tracks, .dead-letter, .tracker-state and .events (idempotent)')
      .addOption(new Option('--partitions <n>', 'partitions of the frames/tracks topics').argParser(positiveInt).default(4)),
  ).action(async (o: KafkaOptions & { partitions: number }) => {
    const connection = connectionFromOptions(o, 'vsp-topics');
    const kafka = createKafka(connection, { retries: 2 });
    try {
      const created = await createTopics(kafka, o.prefix, o.partitions);
      process.stderr.write(created.length ? `created ${created.join(', ')}\n` : 'all topics exist\n');
    } catch (err) {
      throw kafkaFailure(err, connection);
    }
  });
  return cmd;
}

export function statusCommand(): Command {
  return withKafkaOptions(
    new Command('status')
      .description('consumer groups of the deployment: members, their partitions, and lag per partition')
      .option('--json', 'print JSON instead of text', false),
  ).action(async (o: KafkaOptions & { json: boolean }) => {
    const connection = connectionFromOptions(o, 'vsp-status');
    let groups;
    try {
      groups = await deploymentStatus(createKafka(connection, { retries: 2 }), o.prefix);
    } catch (err) {
      throw kafkaFailure(err, connection);
    }
    process.stdout.write(o.json ? `${JSON.stringify(groups)}\n` : formatStatus(groups));
  });
}
