import { Command, Option } from 'commander';
import { nonNegativeNumber, parseFrom, withKafkaOptions, type KafkaOptions } from '../common/cli/options.js';
import { createKafka, describeKafkaError, topicNames } from '../common/kafka/client.js';
import { createLogger } from '../common/log.js';
import { UsageError } from '../common/errors.js';
import type { Frame__Output } from '../common/gen/vsp/v1/Frame.js';
import type { TrackedFrame__Output } from '../common/gen/vsp/v1/TrackedFrame.js';
import { createReport, type ImageReport, type Report } from './reports.js';
import { readTracks } from './tracks-reader.js';
import { readFrames } from './frames-reader.js';
import { FrameJoin, type Joined } from './join.js';
import { parseDisplay, startWebViewer } from './web/server.js';
import { loadRulesConfig } from './rules/load.js';
import { startRuleHooks } from './hooks/rule-hooks.js';
import { metricsPortOption, serveMetrics } from '../common/metrics.js';

interface ConsumerCliOptions extends KafkaOptions {
  metricsPort?: number;
  report: string[];
  camera?: string;
  group?: string;
  from?: string;
  exitWhenIdle?: number;
  display?: string;
  webHost: string;
  webToken?: string;
  rules?: string;
}

export function consumerCommand(): Command {
  return withKafkaOptions(
    new Command('consumer')
      .description('read tracked frames and write reports or show them live')
      .addOption(
        new Option('--report <spec>', 'jsonl:FILE (one JSON line per frame) | mot:FILE (MOTChallenge rows; {camera} in FILE for one file per camera) | annotated:DIR (DIR/<camera>/<seq>.jpg with the tracks drawn) | csv:FILE (one row per track); repeatable')
          .argParser((v: string, prev: string[]) => [...prev, v])
          .default([]),
      )
      .option('--camera <id>', 'only this camera')
      .option('--group <name>', 'be a committed consumer-group member that resumes where it left off (default: read all, commit nothing)')
      .option('--from <where>', 'earliest | latest | ISO time (default: latest with --display, else earliest)')
      .addOption(new Option('--exit-when-idle <seconds>', 'exit after this many seconds without a new record').argParser(nonNegativeNumber))
      .option('--display <spec>', 'web[:PORT]: live web viewer of the cameras (default port 8080) | window: a desktop window per camera (OpenCV; q quits)')
      .option('--web-host <host>', 'address the web viewer listens on', '127.0.0.1')
      .addOption(new Option('--web-token <token>', 'web viewer: require this token (?token=... or Authorization: Bearer)').env('VSP_WEB_TOKEN'))
      .addOption(metricsPortOption())
      .option('--rules <file>', 'zones, lines, rules and hook targets (YAML or JSON; see docs/rules.md): events to webhooks, MQTT, Kafka, commands'),
  ).action(async (o: ConsumerCliOptions) => {
    const log = createLogger('consumer');
    const metrics = o.metricsPort === undefined ? undefined : await serveMetrics(o.metricsPort);
    if (metrics) log.info({ port: metrics.port }, 'metrics on http://127.0.0.1:%d/metrics', metrics.port);
    if (o.report.length === 0 && o.display === undefined && o.rules === undefined) throw new UsageError('nothing to do: give --report SPEC, --display web[:PORT] and/or --rules FILE');
    const rules = o.rules === undefined ? undefined : loadRulesConfig(o.rules);
    const inWindow = o.display === 'window';
    const display = o.display === undefined || inWindow ? undefined : parseDisplay(o.display);
    const all = o.report.map((spec) => createReport(spec, { zones: rules?.zones }));
    const hooks = rules && startRuleHooks(rules, { brokers: o.brokers, prefix: o.prefix, log });
    const reports = all.filter((r): r is Report => 'add' in r);
    const imageReports = all.filter((r): r is ImageReport => 'addJoined' in r);
    const from = parseFrom(o.from ?? (o.display ? 'latest' : 'earliest'));
    // Frames carry the images: they are read, and joined with their tracks, only to draw them.
    const join = o.display || imageReports.length ? new FrameJoin<Frame__Output, TrackedFrame__Output>() : undefined;
    const viewer = display && join
      ? await startWebViewer({ host: o.webHost, port: display.port, token: o.webToken, joinCounters: () => join.counters, log })
      : undefined;
    if (viewer) process.stdout.write(`${viewer.url}\n`);
    const abort = new AbortController();
    const desktop = inWindow ? await (await import('./display/window.js')).startWindowDisplay({ log, onQuit: () => abort.abort() }) : undefined;
    const draw = (pair: Joined<Frame__Output, TrackedFrame__Output> | undefined) => {
      if (!pair) return;
      viewer?.show(pair.frame, pair.tracks);
      desktop?.show(pair.frame, pair.tracks);
      for (const r of imageReports) r.addJoined(pair.tracks, pair.frame);
    };
    const stop = () => abort.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const read = {
      kafka: createKafka(o.brokers, 'vsp-consumer', undefined, log),
      topics: topicNames(o.prefix),
      from,
      camera: o.camera,
      exitWhenIdleS: o.exitWhenIdle,
      log,
      signal: abort.signal,
    };
    // One reader failing stops the other.
    const stopOnError = (err: unknown) => {
      abort.abort();
      throw err;
    };
    try {
      const [counts, frames] = await Promise.all([
        readTracks({
          ...read,
          group: o.group,
          onFrame: async (frame) => {
            reports.forEach((r) => r.add(frame));
            hooks?.onFrame(frame);
            if (join) {
              draw(join.addTracks(frame));
              await Promise.all(imageReports.map((r) => r.ready()));
            }
          },
        }).catch(stopOnError),
        join &&
          readFrames({
            ...read,
            onFrame: async (frame) => {
              draw(join.addFrame(frame));
              await Promise.all(imageReports.map((r) => r.ready()));
            },
          }).catch(stopOnError),
      ]);
      log.info({ ...counts, ...(frames && { images: frames, join: join?.counters }) }, 'consumer finished');
    } catch (err) {
      throw new Error(describeKafkaError(err, o.brokers));
    } finally {
      await metrics?.close();
      await viewer?.close();
      await desktop?.close();
      await hooks?.close();
      await Promise.all(all.map((r) => r.close()));
    }
  });
}
