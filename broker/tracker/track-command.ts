// `vsp track`: SORT offline on a MOTChallenge detection file, MOTChallenge rows out.
import { writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { nonNegativeInt, nonNegativeNumber } from '../../common/cli/options.js';
import { UsageError } from '../../common/cli/run.js';
import { readMotFile } from '../../common/mot/read-file.js';
import { DEFAULT_SORT_PARAMS } from './sort.js';
import { trackMot } from './mot-track.js';

interface TrackOptions {
  mot: string;
  maxAge: number;
  minHits: number;
  iou: number;
  out?: string;
}

export function trackCommand(): Command {
  return new Command('track')
    .description('run the SORT tracker on a MOTChallenge detection file (frame,id,x,y,w,h,score,...)')
    .requiredOption('--mot <file>', 'detections, MOTChallenge format')
    .addOption(new Option('--max-age <n>', 'updates a track survives unmatched').argParser(nonNegativeInt).default(DEFAULT_SORT_PARAMS.maxAge))
    .addOption(new Option('--min-hits <n>', 'matches before a track is output').argParser(nonNegativeInt).default(DEFAULT_SORT_PARAMS.minHits))
    .addOption(new Option('--iou <x>', 'minimum IoU to match, in [0, 1]').argParser(nonNegativeNumber).default(DEFAULT_SORT_PARAMS.iouThreshold))
    .option('--out <file>', 'write the tracks here instead of stdout')
    .action((o: TrackOptions) => {
      if (o.iou > 1) throw new UsageError(`--iou: expected a number in [0, 1], got ${o.iou}`);
      const rows = readMotFile(o.mot, '--mot');
      const { lines, rejected } = trackMot(rows, { maxAge: o.maxAge, minHits: o.minHits, iouThreshold: o.iou });
      for (const r of rejected) process.stderr.write(`vsp track: ${o.mot}: frame ${r.frame}, detection ${r.index + 1}: skipped, ${r.reason}\n`);
      const text = lines.length > 0 ? `${lines.join('\n')}\n` : '';
      if (o.out === undefined) process.stdout.write(text);
      else writeText(o.out, text);
    });
}

function writeText(path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (err) {
    throw new UsageError(`--out: cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}
