import { Command, Option } from 'commander';
import { positiveInt, withKafkaOptions, type KafkaOptions } from '../cli/options.js';
import { startKafka } from './local.js';
import { clusterPorts, startKafkaCluster, stopKafkaCluster } from './cluster.js';
import { ensureKafkaJars, KAFKA_VERSION } from './jars.js';
import { requireTools } from '../requirements.js';
import { UsageError } from '../errors.js';
import { createKafka } from './client.js';
import { connectionFromOptions } from './connection.js';
import { kafkaFailure } from './errors.js';
import { createTopics, type TopicSettings } from './topics.js';
import { checkTopics, formatTopicsReport, formatUnderReplicated, underReplicatedPartitions } from './topic-check.js';
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
    .addOption(new Option('--nodes <n>', 'a KRaft cluster of n broker+controller nodes (node i: ports + 2(i-1), data in <dir>/node-i)').argParser(positiveInt).default(1))
    .option('--secure <dir>', 'TLS + SASL/SCRAM + ACLs: a CA, the broker certificate and one client properties file per role (admin, producer, broker, consumer) go to <dir> (docs/security.md)')
    .option('--prefix <name>', 'with --secure: the topic prefix the roles\' ACLs cover', 'vsp')
    .action(async (o: { port: number; controllerPort: number; data: string; nodes: number; secure?: string; prefix: string }) => {
      if (o.secure !== undefined && o.nodes > 1) throw new UsageError('--secure runs a single node: leave out --nodes');
      await requireTools(['java', 'mvn', ...(o.secure === undefined ? [] : ['openssl' as const])]);
      if (o.nodes > 1) {
        const log = (line: string) => process.stderr.write(`${line}\n`);
        const cluster = await startKafkaCluster({ nodes: clusterPorts(o.nodes, o.port, o.controllerPort), dataDir: o.data, log });
        process.stdout.write(`${cluster.bootstrap}\n`);
        return;
      }
      const kafka = await startKafka({
        port: o.port,
        controllerPort: o.controllerPort,
        dataDir: o.data,
        log: (line) => process.stderr.write(`${line}\n`),
        ...(o.secure !== undefined && { secure: { dir: o.secure, prefix: o.prefix } }),
      });
      if (kafka.roleFiles) {
        process.stderr.write(`SASL_SSL (SCRAM-SHA-512) with ACLs for the topics ${o.prefix}.*; client properties: ${Object.values(kafka.roleFiles).join(' ')}\n`);
      }
      process.stdout.write(`${kafka.bootstrap}\n`);
    });
  cmd
    .command('stop')
    .description('stop the broker (or every node of the cluster) started from --data')
    .option('--data <dir>', 'data directory given to start', '.vsp/kafka')
    .action(async (o: { data: string }) => {
      const stopped = await stopKafkaCluster(o.data);
      process.stderr.write(stopped ? `Kafka stopped${stopped > 1 ? ` (${stopped} nodes)` : ''}\n` : `no running Kafka for ${o.data}\n`);
    });
  return cmd;
}

export function topicsCommand(): Command {
  const cmd = new Command('topics').description('manage the deployment topics');
  withKafkaOptions(
    cmd
      .command('create')
      .description('create <prefix>.frames, .tracks, .dead-letter, .tracker-state and .events (idempotent)')
      .addOption(new Option('--partitions <n>', 'partitions of the frames/tracks topics').argParser(positiveInt).default(4))
      .addOption(new Option('--replication-factor <n>', 'replicas of every partition (default: 3 on a cluster of ≥ 3 brokers, else 1)').argParser(positiveInt))
      .addOption(new Option('--min-insync-replicas <n>', 'replicas that must have a record before acks=all succeeds (default: 2 with ≥ 3 brokers, else 1)').argParser(positiveInt))
      .addOption(new Option('--max-message-bytes <n>', 'largest record a topic accepts').argParser(positiveInt).default(16 * 1024 * 1024)),
  ).action(async (o: KafkaOptions & { partitions: number } & TopicSettings) => {
    const connection = connectionFromOptions(o, 'vsp-topics');
    const kafka = createKafka(connection, { retries: 2 });
    try {
      const settings = { replicationFactor: o.replicationFactor, minInsyncReplicas: o.minInsyncReplicas, maxMessageBytes: o.maxMessageBytes };
      const created = await createTopics(kafka, o.prefix, o.partitions, settings);
      process.stderr.write(created.length ? `created ${created.join(', ')}\n` : 'all topics exist\n');
    } catch (err) {
      throw kafkaFailure(err, connection);
    }
  });
  withKafkaOptions(
    cmd
      .command('check')
      .description('report topics whose settings would lose data (RF 1 on a cluster, unclean leader election, min ISR 1) and under-replicated partitions; exits 1 on a problem')
      .option('--json', 'print JSON instead of text', false),
  ).action(async (o: KafkaOptions & { json: boolean }) => {
    const connection = connectionFromOptions(o, 'vsp-topics');
    let report;
    try {
      report = await checkTopics(createKafka(connection, { retries: 2 }), o.prefix);
    } catch (err) {
      throw kafkaFailure(err, connection);
    }
    process.stdout.write(o.json ? `${JSON.stringify(report)}\n` : formatTopicsReport(report));
    if (report.problems.length > 0) process.exitCode = 1;
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
    let groups, under;
    try {
      const kafka = createKafka(connection, { retries: 2 });
      [groups, under] = await Promise.all([deploymentStatus(kafka, o.prefix), underReplicatedPartitions(kafka, o.prefix)]);
    } catch (err) {
      throw kafkaFailure(err, connection);
    }
    // --json stays the array of groups; under-replicated partitions: `vsp topics check --json`.
    process.stdout.write(o.json ? `${JSON.stringify(groups)}\n` : formatStatus(groups) + formatUnderReplicated(under));
  });
}
