import { Command, Option } from 'commander';
import { frameLimitsFromOptions, nonNegativeInt, nonNegativeNumber, parseFrom, positiveInt, withFrameLimitOptions, withKafkaOptions, type KafkaOptions } from '../common/cli/options.js';
import { DEFAULT_TRACKING_LIMITS } from './camera-tracking.js';
import { UsageError } from '../common/errors.js';
import { createKafka } from '../common/kafka/client.js';
import { connectionFromOptions } from '../common/kafka/connection.js';
import { kafkaFailure } from '../common/kafka/errors.js';
import { topicNames } from '../common/kafka/topics.js';
import { createLogger } from '../common/log.js';
import { Broker } from './broker.js';
import { watchReplication } from './replication-watch.js';
import { metricsPortOption, serveMetrics } from '../common/metrics.js';
import { addTrackerOptions, trackerSpecFromOptions } from './tracker/options.js';
import { trackerKind } from './tracker/registry.js';
import { withChannelSecurityOptions, channelSecurityFromOptions, type ChannelSecurityFlags } from '../common/cli/grpc-security.js';
import { parseEndpointSpec } from './processor-endpoints.js';
import { NoProcessor, ProcessorPool, type FailurePolicy } from './processor-pool.js';

interface BrokerCliOptions extends KafkaOptions, ChannelSecurityFlags {
  processor: string;
  group: string;
  window: number;
  batch: number;
  exactlyOnce: boolean;
  commitEvery: number;
  commitIntervalMs?: number;
  from: string;
  onFailure: FailurePolicy;
  maxRetries: number;
  deadlineMs: number;
  callsPerProcessor: number;
  maxSeqGap: number;
  maxDetections: number;
  maxCameras: number;
  cameraIdleTtl: number;
  maxImageBytes: number;
  maxPixels: number;
  maxAttributes: number;
  drainTimeout: number;
  metricsPort?: number;
}

export function brokerCommand(): Command {
  const cmd = withKafkaOptions(
    new Command('broker')
      .description('consume frames, call processors (many in flight), track per camera in frame order, produce tracked frames')
      .requiredOption('--processor <list>', 'processor endpoints HOST:PORT[,...]; grpcs://HOST:PORT over TLS (--processor-ca, ...); legacy://HOST:PORT (legacy+grpcs://) for servers of the original Detector proto; none: only edge frames (with detections) are tracked, others are marked PROCESSOR_FAILED')
      .option('--group <name>', 'consumer group (a new group re-processes from --from)', 'vsp-broker')
      .addOption(new Option('--window <n>', 'frames of one partition in flight at once').argParser(positiveInt).default(32))
      .addOption(new Option('--batch <n>', 'frames per processor call').argParser(positiveInt).default(1))
      .option('--exactly-once', 'outputs, tracker state and offsets committed in one Kafka transaction', false)
      .addOption(new Option('--commit-every <n>', 'commit after this many frames of a partition').argParser(positiveInt).default(100))
      .addOption(new Option('--commit-interval-ms <ms>', '... or after this long (default: 1000; with --exactly-once 200, as it delays the tracks)').argParser(positiveInt))
      .option('--from <where>', 'where a group with no commits starts: earliest | latest | ISO time', 'earliest')
      .addOption(new Option('--on-failure <policy>', 'when no processor answers: block (wait, Kafka buffers) or skip (mark the frame failed)').choices(['block', 'skip']).default('block'))
      .addOption(new Option('--max-retries <n>', 'skip policy: retries before a frame is marked failed').argParser(nonNegativeInt).default(3))
      .addOption(new Option('--deadline-ms <ms>', 'deadline of one processor call').argParser(positiveInt).default(10000))
      .addOption(new Option('--calls-per-processor <n>', 'calls in flight per processor endpoint').argParser(positiveInt).default(32))
      .addOption(new Option('--max-seq-gap <n>', 'a seq jump above this restarts the camera\'s tracker instead of predicting through the gap').argParser(positiveInt).default(DEFAULT_TRACKING_LIMITS.maxSeqGap))
      .addOption(new Option('--max-detections <n>', 'a processor result with more detections marks the frame FRAME_REJECTED').argParser(nonNegativeInt).default(DEFAULT_TRACKING_LIMITS.maxDetections))
      .addOption(new Option('--max-cameras <n>', 'cameras tracked per partition; the least recently seen is dropped beyond it').argParser(positiveInt).default(DEFAULT_TRACKING_LIMITS.maxCameras))
      .addOption(new Option('--camera-idle-ttl <s>', 'a camera without a frame for this long is dropped (its tracker and snapshot state)').argParser(positiveInt).default(DEFAULT_TRACKING_LIMITS.idleTtlMs / 1000))
      .addOption(new Option('--drain-timeout <s>', 'on SIGTERM, how long in-flight frames may take before the broker exits anyway').argParser(nonNegativeNumber).default(10))
      .addOption(metricsPortOption()),
  );
  withFrameLimitOptions(cmd);
  withChannelSecurityOptions(cmd);
  return addTrackerOptions(cmd).action(async (o: BrokerCliOptions & Record<string, unknown>) => {
    const tracker = trackerSpecFromOptions(o);
    const log = createLogger('broker');
    const processors = o.processor === 'none' ? [] : o.processor.split(',').map((s) => s.trim()).filter(Boolean);
    for (const p of processors) {
      if (!parseEndpointSpec(p)) throw new UsageError(`--processor: '${p}' is not HOST:PORT, grpcs://HOST:PORT, legacy://HOST:PORT or legacy+grpcs://HOST:PORT (or none)`);
    }
    const security = channelSecurityFromOptions(o);
    if (security && !processors.some((p) => parseEndpointSpec(p)!.tls)) {
      throw new UsageError('--processor-ca, --processor-cert, --processor-key and --processor-token-file apply to grpcs:// processors only, and none is given');
    }
    if (processors.length === 0 && o.processor !== 'none') throw new UsageError('--processor: give HOST:PORT[,...] or none');
    const pool = processors.length === 0 ? new NoProcessor() : new ProcessorPool(processors, {
      deadlineMs: o.deadlineMs,
      maxRetries: o.maxRetries,
      onFailure: o.onFailure,
      callsPerEndpoint: o.callsPerProcessor,
      healthIntervalMs: 1000,
      security,
      minScore: trackerKind(tracker.kind).minScore(tracker.params),
      log,
    });
    const connection = connectionFromOptions(o, `vsp-broker-${process.pid}`);
    const kafka = createKafka(connection, { log });
    const broker = new Broker({
      kafka,
      group: o.group,
      topics: topicNames(o.prefix),
      pool,
      window: o.window,
      batch: o.batch,
      exactlyOnce: o.exactlyOnce,
      commitEvery: o.commitEvery,
      // at-least-once: a commit only bounds what a crash replays; exactly-once: tracks are visible per commit.
      commitIntervalMs: o.commitIntervalMs ?? (o.exactlyOnce ? 200 : 1000),
      from: parseFrom(o.from),
      tracker,
      frameLimits: frameLimitsFromOptions(o),
      trackingLimits: { maxSeqGap: o.maxSeqGap, maxDetections: o.maxDetections, maxCameras: o.maxCameras, idleTtlMs: o.cameraIdleTtl * 1000 },
      log,
    });
    const metrics = o.metricsPort === undefined ? undefined : await serveMetrics(o.metricsPort);
    if (metrics) log.info({ port: metrics.port }, 'metrics on http://127.0.0.1:%d/metrics', metrics.port);
    pool.start();
    try {
      await broker.start();
    } catch (err) {
      pool.close();
      throw kafkaFailure(err, connection);
    }
    // With metrics served: vsp_broker_under_replicated_partitions, checked every 30 s.
    const replication = metrics ? watchReplication(kafka, o.prefix, 30_000, log) : undefined;
    log.info({ processors, window: o.window, batch: o.batch, exactlyOnce: o.exactlyOnce }, 'broker running');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    log.info({ drainTimeoutS: o.drainTimeout }, 'stopping: finishing in-flight frames and committing');
    // A second signal means now.
    const now = () => process.exit(1);
    process.once('SIGINT', now);
    process.once('SIGTERM', now);
    replication?.stop();
    const clean = await broker.stop(o.drainTimeout * 1000);
    pool.close();
    await metrics?.close();
    if (clean) log.info('broker stopped');
    else log.warn('broker stopped at --drain-timeout: frames not committed will be processed again by the next owner');
    const blocked = kafka.blockedCalls();
    if (blocked > 0) log.warn({ blocked }, 'Kafka client calls that may never return are still running in its native library: the process ends on SIGTERM (an exit would wait for them)');
    // Client retries (Kafka or processors unreachable) must not keep the process alive.
    await new Promise<void>((resolve) => log.flush(() => resolve()));
    if (blocked > 0) {
      process.removeAllListeners('SIGTERM');
      process.kill(process.pid, 'SIGTERM');
    }
    process.exit(0);
  });
}
