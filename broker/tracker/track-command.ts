// `vsp track`: a tracker offline on a MOTChallenge detection file, MOTChallenge rows out.
import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { UsageError } from '../../common/errors.js';
import { readMotFile } from '../../common/mot/read-file.js';
import { trackMot } from './mot-track.js';
import { addTrackerOptions, trackerSpecFromOptions } from './options.js';

interface TrackOptions {
  mot: string;
  out?: string;
}

export function trackCommand(): Command {
  return addTrackerOptions(
    new Command('track')
      .description('run a tracker (SORT by default) on a MOTChallenge detection file (frame,id,x,y,w,h,score,...)')
      .requiredOption('--mot <file>', 'detections, MOTChallenge format')
      .option('--out <file>', 'write the tracks here instead of stdout'),
  ).action((o: TrackOptions & Record<string, unknown>) => {
      const spec = trackerSpecFromOptions(o);
      const rows = readMotFile(o.mot, '--mot');
      const { lines, rejected } = trackMot(rows, spec);
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
