import { Command, Option } from 'commander';
import { nonNegativeNumber, positiveInt, withKafkaOptions } from '../common/cli/options.js';
import { DEFAULT_MAX_CLIENTS } from './web/server.js';
import { metricsPortOption } from '../common/metrics.js';
import { reportHelp } from './reports/registry.js';
import { runConsumer, type ConsumerOptions } from './run.js';
import { withFrameStoreOptions } from '../common/frame-store.js';

export function consumerCommand(): Command {
  const command = withKafkaOptions(
    new Command('consumer')
      .description('read tracked frames and write reports or show them live')
      .addOption(
        new Option('--report <spec>', reportHelp())
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
      .option('--web-tls-cert <file>', 'web viewer: serve HTTPS with this certificate chain (PEM), with --web-tls-key')
      .option('--web-tls-key <file>', 'web viewer: private key (PEM) of --web-tls-cert')
      .addOption(new Option('--web-allowed-hosts <list>', 'web viewer: Host header values served, NAME or NAME:PORT, comma-separated (default: --web-host, localhost and 127.0.0.1 with the port); others get 403').argParser(commaList))
      .addOption(new Option('--web-max-clients <n>', 'web viewer: WebSocket clients at once; more are refused (503)').argParser(positiveInt).default(DEFAULT_MAX_CLIENTS))
      .addOption(metricsPortOption())
      .option('--rules <file>', 'zones, lines, rules and hook targets (YAML or JSON; see docs/rules.md): events to webhooks, MQTT, Kafka, commands'),
  );
  return withFrameStoreOptions(command, 'where the viewer, window and annotated report fetch the images of referenced frames').action(async (o: ConsumerOptions) => {
    const abort = new AbortController();
    const stop = () => abort.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    await runConsumer({ ...o, onViewerUrl: (url) => process.stdout.write(`${url}\n`) }, abort.signal);
  });
}

function commaList(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}
