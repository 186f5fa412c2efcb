// The cameras file of `vsp producer --config FILE` (YAML, or JSON, which is YAML too):
//
//   defaults: { fps: 15, width: 640 }          # optional: any camera setting
//   cameras:
//     - { id: gate-1, source: "rtsp://10.0.0.21/stream1", fps: 10 }
//     - { id: lobby, source: "v4l2:/dev/video0:1280x720@30" }
//     - { folder: videos/, realtime: true }    # one camera per video file, id = file name
//
// Validated with zod; every problem is one UsageError naming the file and the field path, e.g.
// `cameras.yaml: cameras[2].fps: expected a number ≥ 0`. A camera's setting wins over the
// defaults, which win over the built-in defaults (CAMERA_DEFAULTS). Relative paths (file:,
// images:, mot: sources and folders) are relative to the config file.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { pino } from 'pino';
import { z } from 'zod';
import { configError, firstIssue, formatPath, readConfigFile, type ConfigIssue } from '../common/config-file.js';
import { cameraIdProblem } from '../common/frame-limits.js';
import { CAMERA_DEFAULTS, sourceFor, type CameraSettings } from './cameras.js';
import { parseSendImage } from './edge.js';
import { motCameraId } from './sources/mot-blank.js';

/** Files a `folder:` entry turns into cameras (by extension, any case). */
export const VIDEO_EXTENSIONS = ['3gp', 'avi', 'flv', 'm2ts', 'm4v', 'mjpeg', 'mkv', 'mov', 'mp4', 'mpeg', 'mpg', 'mts', 'ogv', 'ts', 'webm', 'wmv', 'y4m'];

const LIVE_SCHEMES = new Set(['picamera', 'v4l2', 'rtsp', 'http', 'https']);
const LOOP_SCHEMES = new Set(['file', 'images']);
const PATH_SCHEMES = new Set(['file', 'images', 'mot']);

const positiveInt = z.number({ error: 'expected a positive integer' }).int({ error: 'expected a positive integer' }).positive({ error: 'expected a positive integer' });
const nonNegativeInt = z.number({ error: 'expected an integer ≥ 0' }).int({ error: 'expected an integer ≥ 0' }).min(0, { error: 'expected an integer ≥ 0' });
const bool = z.boolean({ error: 'expected true or false' });

/** The settings a camera entry and `defaults` may both give. */
const settingsShape = {
  prefix: z.string({ error: 'expected a topic prefix' }).regex(/^[A-Za-z0-9._-]{1,200}$/, { error: "expected a topic prefix of letters, digits, '.', '_' or '-'" }),
  fps: z.number({ error: 'expected a number ≥ 0 (0: no rate)' }).min(0, { error: 'expected a number ≥ 0 (0: no rate)' }),
  frames: positiveInt,
  realtime: bool,
  loop: bool,
  seed: nonNegativeInt,
  bufferMb: positiveInt,
  width: positiveInt,
  height: positiveInt,
  sendImage: z.string({ error: 'expected always, never or every:N' }).transform((value, ctx) => {
    try {
      return parseSendImage(value);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  }),
};

type Settings = { [K in keyof typeof settingsShape]?: z.output<(typeof settingsShape)[K]> };

const optional = <T extends Record<string, z.ZodType>>(shape: T) =>
  Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, v.optional()])) as { [K in keyof T]: z.ZodOptional<T[K]> };

const settingsSchema = z.strictObject(optional(settingsShape), { error: 'expected a mapping of camera settings' });

const cameraSchema = z.strictObject(
  {
    // YAML reads `id: 7` as a number; a camera id is text.
    id: z.preprocess((v) => (typeof v === 'number' ? String(v) : v), z.string({ error: 'expected a camera id' })).optional(),
    source: z.string({ error: 'expected a source spec (file:PATH, rtsp://…, v4l2:/dev/video0, …)' }).min(1, { error: 'expected a source spec' }).optional(),
    folder: z.string({ error: 'expected a folder path' }).min(1, { error: 'expected a folder path' }).optional(),
    idPrefix: z.string({ error: 'expected text to put before each file name' }).optional(),
    ...optional(settingsShape),
  },
  { error: 'expected a mapping with id and source (or folder)' },
);

const configSchema = z.strictObject(
  {
    defaults: settingsSchema.optional(),
    cameras: z.array(cameraSchema, { error: 'expected a list of cameras' }).min(1, { error: 'expected at least one camera' }),
  },
  { error: 'expected a mapping with a cameras: list' },
);

export interface ConfigSource {
  /** Names the config in messages (the file as given). */
  name: string;
  /** Relative paths in the config are resolved against this directory. */
  baseDir: string;
}

/** Reads and validates a cameras file; every problem is a one-line UsageError. */
export async function loadCamerasConfig(file: string): Promise<CameraSettings[]> {
  return parseCamerasConfig(readConfigFile(file, '--config'), { name: file, baseDir: path.dirname(path.resolve(file)) });
}

/**
 * Validates a parsed cameras config and resolves it into one CameraSettings per camera (folders
 * expanded, defaults applied, ids checked for form and duplicates, source specs parsed). Reads
 * the folders of `folder:` entries, nothing else.
 */
export async function parseCamerasConfig(raw: unknown, from: ConfigSource): Promise<CameraSettings[]> {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw configError(from.name, firstIssue(parsed.error));
  const defaults: Settings = parsed.data.defaults ?? {};
  const cameras: CameraSettings[] = [];
  const seen = new Map<string, string>();
  const fail = (issue: ConfigIssue): never => {
    throw configError(from.name, issue);
  };

  for (const [i, entry] of parsed.data.cameras.entries()) {
    const at = (...p: PropertyKey[]) => ['cameras', i, ...p];
    const { id, source, folder, idPrefix, ...own } = entry;
    if (source === undefined && folder === undefined) fail({ path: at('source'), message: 'required (or folder: DIR for one camera per video file)' });
    if (source !== undefined && folder !== undefined) fail({ path: at('folder'), message: 'a camera has a source or a folder, not both' });
    if (folder !== undefined && id !== undefined) fail({ path: at('id'), message: "a folder's cameras are named after their files (idPrefix: puts text before the names)" });
    if (folder === undefined && idPrefix !== undefined) fail({ path: at('idPrefix'), message: 'applies to folder: entries only' });

    const members: Array<{ id: string; source: string; where: ConfigIssue['path']; what: string }> = [];
    if (folder !== undefined) {
      const dir = path.resolve(from.baseDir, folder);
      for (const file of await listVideos(dir, (message) => fail({ path: at('folder'), message }))) {
        const name = path.basename(file);
        members.push({ id: `${idPrefix ?? ''}${name.slice(0, name.length - path.extname(name).length)}`, source: `file:${file}`, where: at('folder'), what: `file ${JSON.stringify(name)}: ` });
      }
    } else {
      const spec = resolvePaths(source as string, from.baseDir);
      const cameraId = id ?? (spec.startsWith('mot:') ? motCameraId(spec.slice(4)) : undefined);
      if (cameraId === undefined) fail({ path: at('id'), message: 'required' });
      members.push({ id: cameraId as string, source: spec, where: at('id'), what: '' });
    }

    for (const m of members) {
      const problem = cameraIdProblem(m.id);
      if (problem) fail({ path: m.where, message: `${m.what}${problem}` });
      const other = seen.get(m.id);
      if (other) fail({ path: m.where, message: `${m.what}camera id ${JSON.stringify(m.id)} is already ${other}` });
      seen.set(m.id, formatPath(at()));
      cameras.push(settle(m.id, m.source, defaults, own, at, fail));
    }
  }
  return cameras;
}

/** A camera's settings: its own over the defaults (those that apply to its kind of source) over the built-in ones. */
function settle(id: string, source: string, defaults: Settings, own: Settings, at: (...p: PropertyKey[]) => PropertyKey[], fail: (issue: ConfigIssue) => never): CameraSettings {
  const scheme = schemeOf(source);
  // A default is for the cameras it applies to (fps for live sources, loop for files); a
  // camera's own setting that cannot apply is an error.
  const applicable: Settings = { ...defaults };
  if (scheme === 'file') delete applicable.fps;
  if (!LOOP_SCHEMES.has(scheme)) delete applicable.loop;
  if (scheme === 'file' && own.fps !== undefined) fail({ path: at('fps'), message: "does not apply to file: sources (they run at the file's own rate; realtime: true paces them)" });
  if (LIVE_SCHEMES.has(scheme) && own.loop !== undefined) fail({ path: at('loop'), message: `applies to file: and images: sources, not ${scheme}` });
  const s = { ...applicable, ...own };
  const camera: CameraSettings = {
    id,
    source,
    ...(s.prefix !== undefined && { prefix: s.prefix }),
    ...(s.fps !== undefined && { fps: s.fps }),
    ...(s.frames !== undefined && { frames: s.frames }),
    realtime: s.realtime ?? CAMERA_DEFAULTS.realtime,
    loop: s.loop ?? CAMERA_DEFAULTS.loop,
    seed: s.seed ?? CAMERA_DEFAULTS.seed,
    bufferMb: s.bufferMb ?? CAMERA_DEFAULTS.bufferMb,
    ...(s.width !== undefined && { width: s.width }),
    ...(s.height !== undefined && { height: s.height }),
    sendImage: s.sendImage ?? CAMERA_DEFAULTS.sendImage,
  };
  try {
    sourceFor(camera, SILENT);
  } catch (err) {
    fail({ path: at(own.loop !== undefined && /--loop/.test((err as Error).message) ? 'loop' : 'source'), message: (err as Error).message.replace(/^--source:? /, '') });
  }
  return camera;
}

const SILENT = pino({ level: 'silent' });

function schemeOf(spec: string): string {
  const colon = spec.indexOf(':');
  return colon < 0 ? spec : spec.slice(0, colon);
}

/** file:, images: and mot: paths relative to the config file's directory. */
function resolvePaths(spec: string, baseDir: string): string {
  const scheme = schemeOf(spec);
  if (!PATH_SCHEMES.has(scheme)) return spec;
  const rest = spec.slice(scheme.length + 1);
  return rest === '' || path.isAbsolute(rest) ? spec : `${scheme}:${path.join(baseDir, rest)}`;
}

/** The video files of a folder (not its subfolders), in natural name order (cam2 before cam10). */
async function listVideos(dir: string, fail: (message: string) => never): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    return fail(`cannot read folder ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const video = new RegExp(`\\.(${VIDEO_EXTENSIONS.join('|')})$`, 'i');
  const collator = new Intl.Collator('en', { numeric: true });
  const names = entries.filter((e) => (e.isFile() || e.isSymbolicLink()) && video.test(e.name)).map((e) => e.name).sort(collator.compare);
  if (names.length === 0) fail(`no video files in ${dir} (looked for .${VIDEO_EXTENSIONS.join(', .')})`);
  return names.map((name) => path.join(dir, name));
}
