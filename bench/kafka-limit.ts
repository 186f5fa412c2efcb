// Kafka's own ceiling (`npm run bench:kafka-limit [-- --json]`): records the size of the pipeline
// bench's frames (640x480 synthetic-scene JPEG in a vsp.v1.Frame) through a Kafka started here,
// with Apache Kafka's ProducerPerformance and ConsumerPerformance (bench/kafka-perf.ts).
// Env: BENCH_KAFKA_RECORDS [6000, as the pipeline bench's throughput runs],
// BENCH_PARTITIONS [2, one per camera of those runs].
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KAFKA_VERSION } from '../common/kafka/jars.js';
import { freePort, startKafka, stopKafka } from '../common/kafka/local.js';
import { renderCameraFrames } from './frames.js';
import { measureKafkaLimit } from './kafka-perf.js';
import { report } from './stats.js';

const jsonOnly = process.argv.includes('--json');
const RECORDS = Number(process.env.BENCH_KAFKA_RECORDS ?? 6000);
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 2);
const log = (line: string) => jsonOnly || console.error(line);

const work = mkdtempSync(path.join(os.tmpdir(), 'vsp-bench-kafka-limit-'));
const kafkaDir = path.join(work, 'kafka');
try {
  const { recordBytes } = await renderCameraFrames(path.join(work, 'frames'), 'cam-1', 1);
  const kafka = await startKafka({ port: await freePort(), controllerPort: await freePort(), dataDir: kafkaDir, log });
  const limit = await measureKafkaLimit({ bootstrap: kafka.bootstrap, workDir: work, recordBytes, records: RECORDS, partitions: PARTITIONS, prefix: 'bench-limit', log });
  const row = (mode: string, r: { framesPerS: number; mibPerS: number }) => ({ mode, framesPerS: Math.round(r.framesPerS), mibPerS: Math.round(r.mibPerS * 10) / 10 });
  report('kafka-limit', [
    row('produce', limit.produce),
    row('consume', limit.consume),
    row('produce+consume', limit.produceConsume),
  ], {
    kafka: KAFKA_VERSION,
    loadAverage: Math.round(os.loadavg()[0]! * 100) / 100,
    ...limit,
  }, jsonOnly);
} finally {
  await stopKafka(kafkaDir);
  rmSync(work, { recursive: true, force: true });
}
