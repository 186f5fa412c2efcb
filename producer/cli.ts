import { Command, Option } from 'commander';
import { positiveInt, nonNegativeInt, nonNegativeNumber, withKafkaOptions, type KafkaOptions } from '../common/cli/options.js';
import { UsageError } from '../common/errors.js';
import { createKafka } from '../common/kafka/client.js';
import { connectionFromOptions } from '../common/kafka/connection.js';
import { kafkaFailure } from '../common/kafka/errors.js';
import { createLogger } from '../common/log.js';
import { cameraIdProblem } from '../common/frame-limits.js';
import { requireTools } from '../common/requirements.js';
import { CAMERA_DEFAULTS, camerasTools, runCameras, sourceFor, type CameraSettings } from './cameras.js';
import { loadCamerasConfig } from './cameras-config.js';
import { motCameraId } from './sources/mot-blank.js';
import { metricsPortOption, serveMetrics } from '../common/metrics.js';
import { newRunId, openFrameStore, withFrameStoreOptions, type FrameStoreFlags } from '../common/frame-store.js';
import { DEFAULT_MAX_RECORD_BYTES } from './publish.js';
import { parseSendImage, type EdgeDetectors } from './edge.js';

/** The camera's settings as flags: --source and --send-image (edge mode only) may be absent. */
type CameraFlags = Pick<CameraSettings, 'fps' | 'frames' | 'realtime' | 'loop' | 'seed' | 'bufferMb' | 'width' | 'height'> &
  Partial<Pick<CameraSettings, 'source' | 'sendImage'>>;

interface ProducerOptions extends KafkaOptions, FrameStoreFlags, CameraFlags {
  frameTtl: number;
  inlineMaxBytes: number;
  maxRecordBytes: number;
  detect?: string;
  metricsPort?: number;
  config?: string;
  camera?: string;
  statsInterval: number;
  stateDir: string;
}

/** `edge`: the detector implementations --detect may run in-process (given by the CLI). */
export function producerCommand(edge?: EdgeDetectors): Command {
  const command = withKafkaOptions(
    new Command('producer')
      .description('publish a camera, stream, file or synthetic scene (or many, with --config) as JPEG frames to <prefix>.frames, keyed by camera id')
      .option('--camera <id>', 'camera id (Kafka key); defaults to the file name for mot: sources')
      .option(
        '--source <spec>',
        'picamera[:WxH@FPS] | v4l2:/dev/videoN[:WxH@FPS] | rtsp://… | http(s)://… | file:PATH | images:DIR | synthetic[:WxH] | mot:DET.txt',
      )
      .option('--config <file>', 'a YAML file of cameras to run in this one process, each with its source and settings (docs/producer.md), instead of --camera/--source')
      .addOption(new Option('--fps <f>', 'frame rate: cap for live sources, pace for synthetic').argParser(nonNegativeNumber))
      .addOption(new Option('--frames <n>', 'stop after n frames').argParser(positiveInt))
      .option('--realtime', 'file: pace at the file frame rate instead of as fast as Kafka takes it', false)
      .option('--loop', 'file: start again at the end', false)
      .addOption(new Option('--seed <n>', 'synthetic: scene seed').argParser(nonNegativeInt).default(CAMERA_DEFAULTS.seed))
      .addOption(new Option('--buffer-mb <n>', 'encoded frames held while Kafka is slow or away; beyond it live sources drop the oldest, files wait').argParser(positiveInt).default(CAMERA_DEFAULTS.bufferMb))
      .addOption(new Option('--width <px>', 'downscale frames wider than this (re-encoding them); keeps the aspect ratio unless --height is given too').argParser(positiveInt))
      .addOption(new Option('--height <px>', 'downscale frames taller than this (re-encoding them); keeps the aspect ratio unless --width is given too').argParser(positiveInt))
      .addOption(metricsPortOption())
      .addOption(new Option('--stats-interval <s>', 'seconds between progress log lines (frames published, dropped, buffered, fps); 0: none').argParser(nonNegativeNumber).default(5))
      .option('--state-dir <dir>', 'where the last seq per camera is kept across restarts (mot: sources number frames as their file does)', '.vsp/producer'),
  );
  withFrameStoreOptions(command, 'frame images above --inline-max-bytes are kept there and referenced from Kafka (docs/frame-store.md)')
    .addOption(new Option('--frame-ttl <s>', 'seconds a stored image is kept: longer than the longest processing backlog').argParser(positiveInt).default(600))
    .addOption(new Option('--inline-max-bytes <n>', 'with --frame-store, images above this go to the store; smaller ones travel inline').argParser(nonNegativeInt).default(256 * 1024))
    .addOption(new Option('--max-record-bytes <n>', "largest Kafka record (the frames topic's max.message.bytes); a bigger frame stops the producer with one line").argParser(positiveInt).default(DEFAULT_MAX_RECORD_BYTES));
  if (edge) {
    command
      .addOption(new Option('--detect <impl>', 'edge mode: run this detector in-process and attach its detections (the broker then needs no processor)').choices(edge.names))
      .addOption(new Option('--send-image <when>', 'edge mode: send the image always, never or every:N frames').argParser(parseSendImage).default(parseSendImage('always'), 'always'));
    // The implementations' own flags; a name the producer already has (--seed) is shared.
    const taken = new Set(command.options.map((opt) => opt.attributeName()));
    for (const option of edge.options()) if (!taken.has(option.attributeName())) command.addOption(option);
  }
  return command.action(async (o: ProducerOptions, cmd: Command) => {
    const cameras = o.config === undefined ? [cameraFromFlags(o)] : await camerasFromConfig(o.config, cmd);
    const processLog = createLogger('producer');
    // One camera logs as it always has: every line with its camera id.
    const log = cameras.length === 1 ? processLog.child({ camera: cameras[0]!.id }) : processLog;
    for (const camera of cameras) sourceFor(camera, log); // a bad spec fails before anything starts
    await requireTools(camerasTools(cameras));
    const metrics = o.metricsPort === undefined ? undefined : await serveMetrics(o.metricsPort);
    if (metrics) log.info({ port: metrics.port }, 'metrics on http://127.0.0.1:%d/metrics', metrics.port);
    const connection = connectionFromOptions(o, cameras.length === 1 ? `vsp-producer-${cameras[0]!.id}` : 'vsp-producer');
    const kafka = createKafka(connection, { log });
    const store = openFrameStore(o, log);
    const detector = o.detect === undefined || !edge ? undefined : await edge.create(o.detect, o);
    const abort = new AbortController();
    const stop = () => abort.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      if (cameras.length > 1) log.info({ cameras: cameras.map((c) => c.id) }, 'starting %d cameras', cameras.length);
      const outcomes = await runCameras({
        cameras,
        kafka,
        prefix: o.prefix,
        stateDir: o.stateDir,
        statsIntervalMs: o.statsInterval * 1000,
        frameStore: store && { store, ttlS: o.frameTtl, runId: newRunId(), inlineMaxBytes: o.inlineMaxBytes },
        maxRecordBytes: o.maxRecordBytes,
        detector,
        log: processLog,
        signal: abort.signal,
      });
      const failed = outcomes.flatMap((r) => ('error' in r ? [r] : []));
      if (cameras.length > 1) {
        log.info({ finished: outcomes.length - failed.length, failed: failed.map((f) => f.camera) }, 'all cameras ended');
      }
      // One camera fails the command as it always has; of many, any failed one does, once all have ended.
      if (failed.length === 1 && cameras.length === 1) throw failed[0]!.error;
      if (failed.length > 0) {
        const why = failed.map((f) => `${f.camera}: ${f.error instanceof UsageError ? f.error.message : kafkaFailure(f.error, connection).message}`);
        throw new Error(`${failed.length} of ${cameras.length} cameras failed (the others ran to their end): ${why.join('; ')}`);
      }
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw kafkaFailure(err, connection);
    } finally {
      await detector?.close();
      await store?.close();
      await metrics?.close();
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  });
}

// The flags that describe one camera; with --config they come from the file instead.
const CAMERA_FLAGS = ['camera', 'source', 'fps', 'frames', 'realtime', 'loop', 'seed', 'bufferMb', 'width', 'height', 'sendImage'] as const;

/** The one camera `--camera ID --source SPEC` and the other flags describe. */
function cameraFromFlags(o: ProducerOptions): CameraSettings {
  if (o.source === undefined) throw new UsageError("required option '--source <spec>' not specified (or --config FILE for many cameras)");
  const id = o.camera ?? (o.source.startsWith('mot:') ? motCameraId(o.source.slice(4)) : undefined);
  if (!id) throw new UsageError("required option '--camera <id>' not specified");
  const badId = cameraIdProblem(id);
  if (badId) throw new UsageError(`--camera: ${badId}`);
  return {
    id,
    source: o.source,
    fps: o.fps,
    frames: o.frames,
    realtime: o.realtime,
    loop: o.loop,
    seed: o.seed,
    bufferMb: o.bufferMb,
    width: o.width,
    height: o.height,
    sendImage: o.sendImage ?? CAMERA_DEFAULTS.sendImage,
  };
}

async function camerasFromConfig(file: string, cmd: Command): Promise<CameraSettings[]> {
  for (const name of CAMERA_FLAGS) {
    const from = cmd.getOptionValueSource(name);
    if (from === 'cli' || from === 'env') {
      const flag = cmd.options.find((opt) => opt.attributeName() === name)?.long ?? name;
      throw new UsageError(`${flag} describes one camera: with --config, set it in the file (under defaults: or per camera)`);
    }
  }
  return loadCamerasConfig(file);
}
