import { Command, Option } from 'commander';
import { nonNegativeNumber, parseFrom, withKafkaOptions, type KafkaOptions } from '../common/cli/options.js';
import { createKafka, describeKafkaError, topicNames } from '../common/kafka/client.js';
import { createLogger } from '../common/log.js';
import { createReport } from './reports.js';
import { readTracks } from './tracks-reader.js';

interface ConsumerCliOptions extends KafkaOptions {
  report: string[];
  camera?: string;
  group?: string;
  from: string;
  exitWhenIdle?: number;
}

export function consumerCommand(): Command {
  return withKafkaOptions(
    new Command('consumer')
      .description('read tracked frames and write reports')
      .addOption(
        new Option('--report <spec>', 'jsonl:FILE (one JSON line per frame) | mot:FILE (MOTChallenge rows; {camera} in FILE for one file per camera); repeatable')
          .argParser((v: string, prev: string[] = []) => [...prev, v])
          .makeOptionMandatory(),
      )
      .option('--camera <id>', 'only this camera')
      .option('--group <name>', 'be a committed consumer-group member that resumes where it left off (default: read all, commit nothing)')
      .option('--from <where>', 'earliest | latest | ISO time', 'earliest')
      .addOption(new Option('--exit-when-idle <seconds>', 'exit after this many seconds without a new record').argParser(nonNegativeNumber)),
  ).action(async (o: ConsumerCliOptions) => {
    const log = createLogger('consumer');
    const reports = o.report.map(createReport);
    const from = parseFrom(o.from);
    const abort = new AbortController();
    const stop = () => abort.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      const counts = await readTracks({
        kafka: createKafka(o.brokers, 'vsp-consumer', undefined, log),
        topics: topicNames(o.prefix),
        group: o.group,
        from,
        camera: o.camera,
        exitWhenIdleS: o.exitWhenIdle,
        onFrame: (frame) => reports.forEach((r) => r.add(frame)),
        log,
        signal: abort.signal,
      });
      log.info(counts, 'consumer finished');
    } catch (err) {
      throw new Error(describeKafkaError(err, o.brokers));
    } finally {
      await Promise.all(reports.map((r) => r.close()));
    }
  });
}
