// What a consumer report is. Reports are fed with tracked frames in arrival order; pure
// formatting plus file output, no Kafka. One file per format next to this one; registry.ts lists
// them and parses `--report kind:target`.
import type { TrackedFrame__Output } from '../../common/gen/vsp/v1/TrackedFrame.js';
import type { Frame__Output } from '../../common/gen/vsp/v1/Frame.js';
import type { Zone } from '../rules/config.js';

export interface Report {
  add(frame: TrackedFrame__Output): void;
  /** Writes what is buffered and closes files. */
  close(): Promise<void>;
}

/** A report that draws on the images: fed each tracked frame joined with its frame. */
export interface ImageReport {
  addJoined(tracked: TrackedFrame__Output, frame: Frame__Output): void;
  /** Resolves once it can take more: the frames reader waits for it. */
  ready(): Promise<void>;
  /** Writes what is queued. */
  close(): Promise<void>;
}

/** What a report may take from the consumer besides its target. */
export interface ReportContext {
  /** Zones from --rules: a csv row lists the zones its track visited. */
  zones?: readonly Zone[];
}

/** One `--report KIND:TARGET` format. */
export interface ReportFormat {
  kind: string;
  /** What follows the colon, as help and errors name it. */
  target: 'FILE' | 'DIR';
  /** What it writes, for --help. */
  help: string;
  create(target: string, ctx: ReportContext): Report | ImageReport;
}

export function isImageReport(r: Report | ImageReport): r is ImageReport {
  return 'addJoined' in r;
}

/**
 * A camera id as a file or folder name, for every report that names files after cameras: ids
 * come from Kafka and are not trusted, so anything but letters, digits, '.', '_' and '-' becomes
 * '_', and no name is '.', '..' or empty — a name never leaves its report folder.
 */
export function cameraFileName(cameraId: string): string {
  const safe = cameraId.replace(/[^\w.-]/g, '_').slice(0, 128);
  return /^\.*$/.test(safe) ? '_' : safe;
}
