// The frame store: a claim check for large frames (docs/frame-store.md). The producer keeps a
// frame's image bytes in Redis (or Valkey, KeyDB) under a key with a TTL and sends only a
// reference (Frame.image_ref) through Kafka; processors and consumers fetch the bytes back. The
// broker never touches them. This is the only code that knows the Redis client library.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { Redis } from 'ioredis';
import { UsageError } from './errors.js';
import type { Frame__Output } from './gen/vsp/v1/Frame.js';
import type { FrameRef, FrameRef__Output } from './gen/vsp/v1/FrameRef.js';
import type { Logger } from './log.js';
import { counter } from './metrics.js';
import { positiveInt } from './cli/options.js';

/** The error a frame gets when its reference has no bytes (the TTL passed, Redis lost them). */
export const EXPIRED_ERROR = 'frame image expired in the frame store';
/** A frame with a reference reached a component that has no --frame-store. */
export const NO_STORE_ERROR = 'frame image is in a frame store and no --frame-store is configured here';

const storeMetrics = {
  fetched: counter('vsp_frame_store_fetches_total', 'Frame images fetched from the frame store, by outcome (ok, expired, corrupt)', ['outcome']),
};

/** The store could not be reached in time: retry later (the frames themselves may be fine). */
export class FrameStoreUnavailable extends Error {
  override name = 'FrameStoreUnavailable';
}

export interface FrameStoreConfig {
  /** redis://[user@]HOST:PORT[/DB] or rediss:// (TLS). */
  url: string;
  password?: string;
  /** Bound of one store round trip (connect, get, set). */
  timeoutMs: number;
}

/** Checks a --frame-store URL; returns it without credentials, for logs. */
export function checkStoreUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`--frame-store: '${url}' is not redis://HOST:PORT[/DB] or rediss://HOST:PORT[/DB]`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new UsageError(`--frame-store: '${u.protocol}' is not redis: or rediss:`);
  if (!u.hostname) throw new UsageError(`--frame-store: '${url}' has no host`);
  const db = u.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d{1,2}$/.test(db)) throw new UsageError(`--frame-store: database '${db}' is not a number`);
  if (u.password) throw new UsageError('--frame-store: put the password in VSP_FRAME_STORE_PASSWORD or --frame-store-password-file, not in the URL');
  return `${u.protocol}//${u.host}${u.pathname}`;
}

/** The store key of a frame: unique per producer run, so that a restart never overwrites. */
export function frameStoreKey(cameraId: string, runId: string, seq: number): string {
  return `vsp:frame:${cameraId}:${runId}:${seq}`;
}

/** A short random id for one producer run. */
export function newRunId(): string {
  return randomBytes(6).toString('hex');
}

/** The reference a Frame carries for bytes stored under `key`. */
export function frameRefFor(key: string, image: Uint8Array): FrameRef {
  return { key, length: image.length, sha256: createHash('sha256').update(image).digest() };
}

export type FetchOutcome = { image: Buffer } | { error: string };

export class FrameStore {
  private down = false;

  private constructor(
    private readonly redis: Redis,
    readonly description: string,
    private readonly timeoutMs: number,
  ) {}

  static open(config: FrameStoreConfig, log: Logger): FrameStore {
    const description = checkStoreUrl(config.url);
    const redis = new Redis(config.url, {
      ...(config.password !== undefined && { password: config.password }),
      connectTimeout: config.timeoutMs,
      commandTimeout: config.timeoutMs,
      // A command fails after one reconnection attempt: callers retry (or mark) on their own terms.
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 2000),
      lazyConnect: false,
    });
    const store = new FrameStore(redis, description, config.timeoutMs);
    // The client reconnects by itself; one line when the store goes away, one when it is back.
    redis.on('error', (err: Error) => {
      if (store.down) return;
      store.down = true;
      log.warn({ store: description, err: err.message }, 'frame store unreachable: retrying');
    });
    redis.on('ready', () => {
      if (store.down) log.info({ store: description }, 'frame store reachable again');
      store.down = false;
    });
    return store;
  }

  /** Stores images with a TTL, in one pipelined round trip. Throws FrameStoreUnavailable. */
  async put(items: readonly { key: string; image: Uint8Array }[], ttlS: number): Promise<void> {
    if (items.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const { key, image } of items) pipeline.set(key, Buffer.from(image.buffer, image.byteOffset, image.byteLength), 'EX', ttlS);
    const replies = await this.bounded(pipeline.exec(), 'write');
    const failed = (replies ?? []).find(([err]) => err);
    if (!replies || failed) throw new FrameStoreUnavailable(`frame store write failed: ${failed?.[0]?.message ?? 'no reply'}`);
  }

  /** Fetches the bytes of each reference, in one pipelined round trip. Throws FrameStoreUnavailable. */
  async fetch(refs: readonly FrameRef__Output[]): Promise<FetchOutcome[]> {
    if (refs.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const ref of refs) pipeline.getBuffer(ref.key);
    const replies = await this.bounded(pipeline.exec(), 'read');
    if (!replies) throw new FrameStoreUnavailable('frame store read failed: no reply');
    return refs.map((ref, i) => {
      const [err, value] = replies[i] ?? [new Error('no reply'), null];
      if (err) throw new FrameStoreUnavailable(`frame store read failed: ${err.message}`);
      const outcome = checkFetched(ref, value as Buffer | null);
      storeMetrics.fetched.inc({ outcome: 'image' in outcome ? 'ok' : value === null ? 'expired' : 'corrupt' });
      return outcome;
    });
  }

  /** Deletes keys (tests and tools); missing ones are fine. */
  async delete(keys: readonly string[]): Promise<void> {
    if (keys.length > 0) await this.bounded(this.redis.del(...keys), 'delete');
  }

  async close(): Promise<void> {
    try {
      await this.bounded(this.redis.quit(), 'quit');
    } catch {
      this.redis.disconnect();
    }
  }

  private async bounded<T>(p: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new FrameStoreUnavailable(`frame store ${what} timed out after ${this.timeoutMs} ms (${this.description})`)), this.timeoutMs + 100);
    });
    try {
      return await Promise.race([p, timeout]);
    } catch (err) {
      if (err instanceof FrameStoreUnavailable) throw err;
      throw new FrameStoreUnavailable(`frame store ${what} failed (${this.description}): ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }
}

function checkFetched(ref: FrameRef__Output, value: Buffer | null): FetchOutcome {
  if (value === null) return { error: EXPIRED_ERROR };
  if (value.length !== Number(ref.length)) return { error: `frame image in the frame store is ${value.length} bytes, the reference says ${ref.length}` };
  if (ref.sha256.length > 0 && !createHash('sha256').update(value).digest().equals(ref.sha256)) return { error: 'frame image in the frame store does not match its sha256' };
  return { image: value };
}

/**
 * Puts the image of every frame that has a reference into `frame.image`; returns, per frame,
 * why it has no image (expired, corrupt, no store here) or undefined. Inline frames are left as
 * they are. Throws FrameStoreUnavailable when the store cannot be reached in time.
 */
export async function resolveFrameImages(store: FrameStore | undefined, frames: Frame__Output[]): Promise<(string | undefined)[]> {
  const problems: (string | undefined)[] = frames.map(() => undefined);
  const referenced = frames.flatMap((f, i) => (f.imageRef && f.image.length === 0 ? [i] : []));
  if (referenced.length === 0) return problems;
  if (!store) {
    for (const i of referenced) problems[i] = NO_STORE_ERROR;
    return problems;
  }
  const fetched = await store.fetch(referenced.map((i) => frames[i]!.imageRef!));
  referenced.forEach((frameIndex, k) => {
    const outcome = fetched[k]!;
    if ('image' in outcome) frames[frameIndex]!.image = outcome.image;
    else problems[frameIndex] = outcome.error;
  });
  return problems;
}

// --- command-line flags ------------------------------------------------------------------------

export interface FrameStoreFlags {
  frameStore?: string;
  frameStorePasswordFile?: string;
  frameStoreTimeoutMs: number;
}

/** --frame-store, --frame-store-password-file, --frame-store-timeout-ms. */
export function withFrameStoreOptions(cmd: Command, purpose: string): Command {
  return cmd
    .option('--frame-store <url>', `redis://HOST:PORT[/DB] or rediss:// (TLS): ${purpose}; password from env VSP_FRAME_STORE_PASSWORD or --frame-store-password-file`)
    .option('--frame-store-password-file <file>', 'file holding the frame store password (first line)')
    .addOption(new Option('--frame-store-timeout-ms <ms>', 'bound of one frame store round trip').argParser(positiveInt).default(2000));
}

export function frameStoreConfig(o: FrameStoreFlags): FrameStoreConfig | undefined {
  if (o.frameStore === undefined) return undefined;
  checkStoreUrl(o.frameStore);
  let password = process.env.VSP_FRAME_STORE_PASSWORD || undefined;
  if (o.frameStorePasswordFile !== undefined) {
    try {
      password = readFileSync(o.frameStorePasswordFile, 'utf8').split(/\r?\n/)[0];
    } catch (err) {
      throw new UsageError(`--frame-store-password-file: cannot read ${o.frameStorePasswordFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  return { url: o.frameStore, password, timeoutMs: o.frameStoreTimeoutMs };
}

/** Opens the store the flags name, or undefined without --frame-store. */
export function openFrameStore(o: FrameStoreFlags, log: Logger): FrameStore | undefined {
  const config = frameStoreConfig(o);
  return config && FrameStore.open(config, log);
}
