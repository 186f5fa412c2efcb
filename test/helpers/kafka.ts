// A real single-node Kafka for a test file: started on free ports in a temporary directory,
// always stopped in teardown.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, startKafka, stopKafka, type RunningKafka } from '../../common/kafka/local.js';
import { createKafka } from '../../common/kafka/client.js';
import { kafkaConnection } from '../../common/kafka/connection.js';
import { createTopics } from '../../common/kafka/topics.js';

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
