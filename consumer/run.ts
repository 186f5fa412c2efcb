// The consumer's wiring, without commander: reports, the live viewer (web page or desktop
// window) and rule hooks around the two readers (tracks always; frames, joined with their
// tracks, only when something draws them). cli.ts parses the flags and calls runConsumer.
import { parseFrom, type KafkaOptions } from '../common/cli/options.js';
import { createKafka } from '../common/kafka/client.js';
import { connectionFromOptions } from '../common/kafka/connection.js';
import { kafkaFailure } from '../common/kafka/errors.js';
import { topicNames } from '../common/kafka/topics.js';
import { createLogger, type Logger } from '../common/log.js';
import { UsageError } from '../common/errors.js';
import { serveMetrics } from '../common/metrics.js';
import type { Frame__Output } from '../common/gen/vsp/v1/Frame.js';
import type { TrackedFrame__Output } from '../common/gen/vsp/v1/TrackedFrame.js';
import { isImageReport, type ImageReport, type Report } from './reports/report.js';
import { createReport, parseReportSpec } from './reports/registry.js';
import { readTracks } from './tracks-reader.js';
import { readFrames } from './frames-reader.js';
import { FrameJoin, type JoinCounters, type Joined } from './join.js';
import { parseDisplay, startWebViewer, type WebViewer } from './web/server.js';
import type { WindowDisplay } from './display/window.js';
import { loadRulesConfig } from './rules/load.js';
import { startRuleHooks, type RuleHooks } from './hooks/rule-hooks.js';
import { openFrameStore, type FrameStore, type FrameStoreFlags } from '../common/frame-store.js';

/** What `vsp consumer` does, as its flags say it. */
export interface ConsumerOptions extends KafkaOptions, Partial<FrameStoreFlags> {
  /** --report values: jsonl:FILE, mot:FILE, annotated:DIR, csv:FILE (reports/registry.ts). */
  report: string[];
  camera?: string;
  /** Be a committed member of this consumer group (default: read all, commit nothing). */
  group?: string;
  /** earliest | latest | ISO time (default: latest with a display, else earliest). */
  from?: string;
  exitWhenIdle?: number;
  /** web[:PORT] | window */
  display?: string;
  webHost: string;
  webToken?: string;
  /** HTTPS for the viewer: certificate chain and key (PEM files). */
  webTlsCert?: string;
  webTlsKey?: string;
  /** Host header values the viewer serves (default: its address, localhost, 127.0.0.1, with the port). */
  webAllowedHosts?: string[];
  /** WebSocket clients of the viewer at once. */
  webMaxClients?: number;
  /** Rules file: zones, lines, rules and hook targets. */
  rules?: string;
  metricsPort?: number;
  /** Told the web viewer's URL once it listens (the CLI prints it). */
  onViewerUrl?: (url: string) => void;
  log?: Logger;
}

export interface ConsumerSummary {
  frames: number;
  deadLetters: number;
  /** When frames were read (something drew them). */
  images?: { frames: number; undecodable: number; withoutImage: number };
  join?: JoinCounters;
}

/**
 * Reads until `signal` aborts, --exit-when-idle is reached or the window's `q` is pressed; then
 * writes the reports, drains the hooks and closes everything it started. Bad options throw a
 * UsageError before anything starts.
 */
export async function runConsumer(o: ConsumerOptions, signal?: AbortSignal): Promise<ConsumerSummary> {
  const log = o.log ?? createLogger('consumer');
  if (o.report.length === 0 && o.display === undefined && o.rules === undefined) throw new UsageError('nothing to do: give --report SPEC, --display web[:PORT] and/or --rules FILE');
  if (Boolean(o.webTlsCert) !== Boolean(o.webTlsKey)) throw new UsageError('--web-tls-cert and --web-tls-key go together');
  const rules = o.rules === undefined ? undefined : loadRulesConfig(o.rules);
  const inWindow = o.display === 'window';
  const display = o.display === undefined || inWindow ? undefined : parseDisplay(o.display);
  const specs = o.report.map(parseReportSpec);
  const from = parseFrom(o.from ?? (o.display ? 'latest' : 'earliest'));

  const abort = new AbortController();
  const stop = () => abort.abort();
  signal?.addEventListener('abort', stop, { once: true });
  const metrics = o.metricsPort === undefined ? undefined : await serveMetrics(o.metricsPort);
  if (metrics) log.info({ port: metrics.port }, 'metrics on http://127.0.0.1:%d/metrics', metrics.port);
  let hooks: RuleHooks | undefined;
  const all: Array<Report | ImageReport> = [];
  let viewer: WebViewer | undefined;
  let desktop: WindowDisplay | undefined;
  let frameStore: FrameStore | undefined;
  try {
    const connection = connectionFromOptions(o, 'vsp-consumer');
    hooks = rules && startRuleHooks(rules, { connection, prefix: o.prefix, log });
    for (const spec of specs) all.push(createReport(spec, { zones: rules?.zones }));
    const reports = all.filter((r): r is Report => !isImageReport(r));
    const imageReports = all.filter(isImageReport);
    // Frames carry the images: they are read, and joined with their tracks, only to draw them.
    const join = o.display || imageReports.length ? new FrameJoin<Frame__Output, TrackedFrame__Output>() : undefined;
    if (display && join) {
      const tls = o.webTlsCert && o.webTlsKey ? { certFile: o.webTlsCert, keyFile: o.webTlsKey } : undefined;
      viewer = await startWebViewer({ host: o.webHost, port: display.port, token: o.webToken, tls, allowedHosts: o.webAllowedHosts, maxClients: o.webMaxClients, joinCounters: () => join.counters, log });
      o.onViewerUrl?.(viewer.url);
    }
    if (inWindow) desktop = await (await import('./display/window.js')).startWindowDisplay({ log, onQuit: stop });
    const draw = (pair: Joined<Frame__Output, TrackedFrame__Output> | undefined) => {
      if (!pair) return;
      viewer?.show(pair.frame, pair.tracks);
      desktop?.show(pair.frame, pair.tracks);
      for (const r of imageReports) r.addJoined(pair.tracks, pair.frame);
    };
    const read = {
      kafka: createKafka(connection, { log }),
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
            const fired = hooks?.onFrame(frame);
            // A committed member commits a frame only once its events are delivered or dead-lettered.
            if (o.group !== undefined) await fired;
            if (join) {
              draw(join.addTracks(frame));
              await Promise.all(imageReports.map((r) => r.ready()));
            }
          },
        }).catch(stopOnError),
        join &&
          readFrames({
            ...read,
            frameStore: (frameStore = openFrameStore({ ...o, frameStoreTimeoutMs: o.frameStoreTimeoutMs ?? 2000 }, log)),
            onFrame: async (frame) => {
              draw(join.addFrame(frame));
              await Promise.all(imageReports.map((r) => r.ready()));
            },
          }).catch(stopOnError),
      ]);
      const summary: ConsumerSummary = { ...counts, ...(frames && { images: frames, join: join?.counters }) };
      log.info(summary, 'consumer finished');
      return summary;
    } catch (err) {
      throw kafkaFailure(err, connection);
    }
  } finally {
    signal?.removeEventListener('abort', stop);
    await metrics?.close();
    await viewer?.close();
    await desktop?.close();
    await hooks?.close();
    await frameStore?.close();
    await Promise.all(all.map((r) => r.close()));
  }
}
