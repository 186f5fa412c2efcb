// What vsp needs from the machine besides Node.js, checked before a command starts anything:
// ffmpeg (video files, cameras, streams), java and Maven (the local Kafka), openssl (the local
// secure Kafka's certificates), rpicam-vid (the Raspberry Pi camera). Whatever is missing is named in one line with the command that installs
// it. ffmpeg is the one on PATH when there is one; otherwise the one npm installed with the
// optional @ffmpeg-installer/ffmpeg, once it has decoded the sample video.
import { execFile } from 'node:child_process';
import { constants, existsSync } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { cacheRoot, KAFKA_VERSION } from './kafka/jars.js';
import { REPO } from './vsp-process.js';

export type Tool = 'ffmpeg' | 'java' | 'mvn' | 'openssl' | 'rpicam-vid';

/** A requirement not met: what is missing, and the packages that provide it. */
export interface Missing {
  what: string;
  apt: string;
  /** Homebrew formula; absent where macOS has none (the Pi camera). */
  brew?: string;
}

/** Printed by the CLI as its one line (exit code 1). */
export class MissingRequirement extends Error {
  override name = 'MissingRequirement';
}

export const JAVA_MIN_VERSION = 17;
const FFMPEG: Omit<Missing, 'what'> = { apt: 'ffmpeg', brew: 'ffmpeg' };
const VTEST = path.join(REPO, 'samples/vtest.avi');

/** Throws one MissingRequirement naming every tool of `tools` this machine lacks. */
export async function requireTools(tools: Iterable<Tool>): Promise<void> {
  const missing = (await Promise.all([...new Set(tools)].map(check))).filter((m): m is Missing => m !== undefined);
  if (missing.length > 0) throw new MissingRequirement(describeMissing(missing));
}

/** `missing ffmpeg, java 17+; install: sudo apt-get install ffmpeg default-jdk-headless (macOS: brew install ffmpeg openjdk)` */
export function describeMissing(missing: readonly Missing[]): string {
  const brew = missing.flatMap((m) => (m.brew ? [m.brew] : []));
  const mac = brew.length > 0 ? ` (macOS: brew install ${brew.join(' ')})` : '';
  return `missing ${missing.map((m) => m.what).join(', ')}; install: sudo apt-get install ${missing.map((m) => m.apt).join(' ')}${mac}`;
}

function check(tool: Tool): Promise<Missing | undefined> {
  switch (tool) {
    case 'ffmpeg':
      return findFfmpeg().then((f) => ('command' in f ? undefined : f));
    case 'java':
      return checkJava();
    case 'mvn':
      return checkMaven();
    case 'openssl':
      return findOnPath(['openssl']).then((found) => (found ? undefined : { what: 'openssl (certificates of the secure local Kafka)', apt: 'openssl', brew: 'openssl' }));
    case 'rpicam-vid':
      return findOnPath(PICAMERA_PROGRAMS).then((found) => (found ? undefined : { what: 'rpicam-vid (the Raspberry Pi camera)', apt: 'rpicam-apps' }));
  }
}

/** rpicam-vid, or libcamera-vid before Raspberry Pi OS bookworm. */
export const PICAMERA_PROGRAMS = ['rpicam-vid', 'libcamera-vid'];

/** The first of `names` found as an executable file on PATH, as a full path. */
export async function findOnPath(names: readonly string[], searchPath = process.env.PATH ?? ''): Promise<string | undefined> {
  for (const name of names) {
    for (const dir of searchPath.split(path.delimiter)) {
      if (!dir) continue;
      const candidate = path.join(dir, name);
      try {
        await access(candidate, constants.X_OK);
        if ((await stat(candidate)).isFile()) return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

interface Run {
  code: number | null;
  /** Set when it could not be started (ENOENT: no such program). */
  error?: string;
  stdout: Buffer;
  stderr: string;
}

function run(command: string, args: readonly string[], timeoutMs = 20_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { encoding: 'buffer', timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: unknown }) | null;
      const started = !e || typeof e.code === 'number';
      resolve({
        code: !e ? 0 : typeof e.code === 'number' ? e.code : null,
        ...(started ? {} : { error: e.message }),
        stdout,
        stderr: stderr.toString('utf8'),
      });
    });
  });
}

/** The Java feature version from `java -version` output ("1.8.0_381" → 8, "17.0.15" → 17). */
export function javaVersion(output: string): number | undefined {
  const m = /version "(\d+)(?:\.(\d+))?/.exec(output);
  if (!m) return undefined;
  const major = Number(m[1]);
  return major === 1 && m[2] !== undefined ? Number(m[2]) : major;
}

async function checkJava(): Promise<Missing | undefined> {
  const what = `java ${JAVA_MIN_VERSION}+ (the local Kafka)`;
  const r = await run('java', ['-version']);
  // macOS has a /usr/bin/java that only says there is no Java runtime, and exits non-zero.
  const version = r.code === 0 ? javaVersion(r.stderr + r.stdout.toString('utf8')) : undefined;
  if (version === undefined) return { what, apt: 'default-jdk-headless', brew: 'openjdk' };
  if (version < JAVA_MIN_VERSION) return { what: `${what}, found java ${version}`, apt: `openjdk-${JAVA_MIN_VERSION}-jdk-headless`, brew: 'openjdk' };
  return undefined;
}

/** Maven is needed only until the Kafka jars are in the cache (layout of ensureKafkaJars in kafka/jars.ts). */
async function checkMaven(): Promise<Missing | undefined> {
  if (existsSync(path.join(cacheRoot(), `kafka-${KAFKA_VERSION}`, 'libs', '.complete'))) return undefined;
  return (await findOnPath(['mvn'])) ? undefined : { what: 'mvn (fetches the Kafka jars once)', apt: 'maven', brew: 'maven' };
}

/** The ffmpeg that sources run. */
export interface Ffmpeg {
  /** The program, as a full path. */
  command: string;
  /** Where it was found: `VSP_FFMPEG`, `PATH` or `npm` (@ffmpeg-installer/ffmpeg). */
  origin: 'VSP_FFMPEG' | 'PATH' | 'npm';
  /** Arguments written for a current ffmpeg, as this one takes them (before 5.1: -vsync, not -fps_mode). */
  args(current: readonly string[]): string[];
}

let found: Promise<Ffmpeg | Missing> | undefined;

/** The ffmpeg to run (locateFfmpeg's, found once per process); throws MissingRequirement. */
export async function ffmpeg(): Promise<Ffmpeg> {
  const f = await findFfmpeg();
  if ('command' in f) return f;
  throw new MissingRequirement(describeMissing([f]));
}

function findFfmpeg(): Promise<Ffmpeg | Missing> {
  found ??= locateFfmpeg();
  return found;
}

/**
 * VSP_FFMPEG when set (a path), else `ffmpeg` on PATH, else the one from npm if it decodes
 * samples/vtest.avi (never with VSP_NPM_FFMPEG=0); or what is missing.
 */
export async function locateFfmpeg(env: NodeJS.ProcessEnv = process.env): Promise<Ffmpeg | Missing> {
  const forced = env.VSP_FFMPEG;
  if (forced) {
    const f = await ffmpegAt(forced, 'VSP_FFMPEG');
    return typeof f === 'string' ? { what: `ffmpeg (VSP_FFMPEG=${forced}: ${f})`, ...FFMPEG } : f;
  }
  const onPath = await findOnPath(['ffmpeg'], env.PATH ?? '');
  if (onPath) {
    const f = await ffmpegAt(onPath, 'PATH');
    return typeof f === 'string' ? { what: `ffmpeg (${onPath}: ${f})`, ...FFMPEG } : f;
  }
  const fromNpm = env.VSP_NPM_FFMPEG === '0' ? undefined : npmFfmpeg();
  if (!fromNpm) return { what: 'ffmpeg (video files, cameras and streams)', ...FFMPEG };
  const f = await ffmpegAt(fromNpm, 'npm');
  const problem = typeof f === 'string' ? f : await decodesSample(f);
  return problem === undefined ? (f as Ffmpeg) : { what: `ffmpeg (none on PATH; the one from npm, ${fromNpm}, ${problem})`, ...FFMPEG };
}

/** The binary of the optional @ffmpeg-installer/ffmpeg, when npm installed one for this platform. */
function npmFfmpeg(): string | undefined {
  try {
    return (createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string }).path;
  } catch {
    return undefined; // not installed (--omit=optional), or no binary for this platform
  }
}

/** The ffmpeg at `command`, or why it cannot be run. */
async function ffmpegAt(command: string, origin: Ffmpeg['origin']): Promise<Ffmpeg | string> {
  // -version runs after the options are split, so an unknown -fps_mode fails first.
  const r = await run(command, ['-hide_banner', '-loglevel', 'error', '-fps_mode', 'passthrough', '-version']);
  if (r.error !== undefined) return `cannot run it: ${r.error}`;
  const legacy = r.code !== 0 && /Unrecognized option 'fps_mode'/.test(r.stderr);
  return {
    command,
    origin,
    args: (current) => (legacy ? current.map((a) => (a === '-fps_mode' ? '-vsync' : a)) : [...current]),
  };
}

/** undefined when `f` turns the first frame of the sample video into a JPEG, else what went wrong. */
async function decodesSample(f: Ffmpeg): Promise<string | undefined> {
  if (!existsSync(VTEST)) return undefined;
  const r = await run(f.command, f.args(['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', `file:${VTEST}`, '-map', '0:v:0', '-frames:v', '1',
    '-fps_mode', 'passthrough', '-f', 'mjpeg', '-q:v', '3', '-']));
  if (r.code === 0 && r.stdout[0] === 0xff && r.stdout[1] === 0xd8) return undefined;
  const why = r.error ?? (r.stderr.trim().split('\n').pop() || `exit code ${r.code}`);
  return `could not decode samples/vtest.avi: ${why}`;
}
