// A real single-node Kafka for a test file: started on free ports in a temporary directory,
// always stopped in teardown.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, startKafka, stopKafka, type RunningKafka } from '../../common/kafka/local.js';
import { createKafka } from '../../common/kafka/client.js';
import { kafkaConnection } from '../../common/kafka/connection.js';
import { createTopics } from '../../common/kafka/topics.js';
import { killNode, startKafkaCluster, startNode, stopKafkaCluster, wipeNode, type ClusterNode } from '../../common/kafka/cluster.js';

export interface TestKafka extends RunningKafka {
  stop(): Promise<void>;
  /** A real outage: stops the broker (clients get connection refused) until up(). */
  down(): Promise<void>;
  /** Starts the broker again on the same ports and data. */
  up(): Promise<void>;
  /** Freezes the broker (SIGSTOP): connections stay open but nothing is answered until resume(). */
  pause(): void;
  resume(): void;
  /** Creates the topics of a fresh prefix (unique per test) and returns it. */
  topics(partitions: number, prefix?: string): Promise<string>;
}

let prefixCounter = 0;

export async function startTestKafka(): Promise<TestKafka> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'vsp-test-kafka-'));
  const options = { port: await freePort(), controllerPort: await freePort(), dataDir };
  const running = await startKafka(options);
  const kafka: TestKafka = {
    ...running,
    async stop() {
      await stopKafka(dataDir);
      rmSync(dataDir, { recursive: true, force: true });
    },
    async down() {
      await stopKafka(dataDir);
    },
    async up() {
      kafka.pid = (await startKafka(options)).pid;
    },
    pause() {
      process.kill(kafka.pid, 'SIGSTOP');
    },
    resume() {
      process.kill(kafka.pid, 'SIGCONT');
    },
    async topics(partitions, prefix = `t${process.pid}-${++prefixCounter}`) {
      await createTopics(createKafka(kafkaConnection(running.bootstrap, 'vsp-test')), prefix, partitions);
      return prefix;
    },
  };
  return kafka;
}

export interface TestKafkaCluster {
  /** All nodes' addresses, comma-separated. */
  bootstrap: string;
  nodes: ClusterNode[];
  /** Stops every node and deletes the data. */
  stop(): Promise<void>;
  /** A crash of node `id` (1-based): SIGKILL. */
  kill(id: number): Promise<void>;
  /** Starts node `id` again on its ports (and its data, unless wiped). */
  restart(id: number): Promise<void>;
  /** Deletes the Kafka data of a killed node: it rejoins empty and re-replicates. */
  wipe(id: number): Promise<void>;
  /** The node leading a partition. */
  leaderOf(topic: string, partition: number): Promise<number>;
  /** Creates the topics of a fresh prefix (RF 3 / min ISR 2 on three nodes) and returns it. */
  topics(partitions: number, prefix?: string): Promise<string>;
}

/** A real KRaft cluster of `nodes` combined nodes on free ports in a temporary directory. */
export async function startTestKafkaCluster(nodes = 3): Promise<TestKafkaCluster> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'vsp-test-cluster-'));
  const ports = [];
  for (let i = 0; i < nodes; i++) ports.push({ port: await freePort(), controllerPort: await freePort() });
  const cluster = await startKafkaCluster({ nodes: ports, dataDir, heapMb: 384 });
  const node = (id: number) => cluster.nodes.find((n) => n.id === id) ?? assertNever(id);
  const client = () => createKafka(kafkaConnection(cluster.bootstrap, 'vsp-test'));
  return {
    bootstrap: cluster.bootstrap,
    nodes: cluster.nodes,
    async stop() {
      await stopKafkaCluster(dataDir);
      rmSync(dataDir, { recursive: true, force: true });
    },
    kill: (id) => killNode(node(id)),
    restart: async (id) => void (await startNode(node(id))),
    wipe: (id) => wipeNode(node(id)),
    async leaderOf(topic, partition) {
      const admin = client().admin();
      await admin.connect();
      try {
        const [t] = await admin.fetchTopicMetadata([topic]);
        return t?.partitions.find((p) => p.partitionId === partition)?.leader ?? -1;
      } finally {
        await admin.disconnect();
      }
    },
    async topics(partitions, prefix = `c${process.pid}-${++prefixCounter}`) {
      await createTopics(client(), prefix, partitions);
      return prefix;
    },
  };
}

function assertNever(id: number): never {
  throw new Error(`no cluster node ${id}`);
}
