// Tracker snapshots on the wire: JSON (exact doubles), schema-checked when read, and split into
// chunks so that a partition with many cameras stays under the topic's message limit. Pure code.
//   chunk record: key `<stateKey>#<i>`, value {"chunk": i, "of": n, "nextOffset": "…", "data": "…"};
//   the snapshot is the concatenation of the n chunks' data. One snapshot's chunks are written in
//   one request (or one transaction), so they arrive together.
//   whole record (versions 1 and 2, before chunking): key `<stateKey>`, value the snapshot.
import { z } from 'zod';
import { CAMERA_ID } from '../common/frame-limits.js';
import type { KafkaRecord } from '../common/kafka/types.js';

export interface CameraState {
  lastSeq: number;
  tracker: { kind: string; version: number; state: unknown };
}

export interface PartitionSnapshot {
  version: 2;
  /** The first input offset NOT reflected in this state. */
  nextOffset: string;
  cameras: Record<string, CameraState>;
}

/** Characters of snapshot JSON per chunk; escaped in the record, at most twice as many bytes: under Kafka's default 1 MiB message limit. */
export const CHUNK_CHARS = 256 * 1024;

const offset = z.string().regex(/^\d{1,19}$/, 'expected a decimal offset');
const camera = z.object({
  lastSeq: z.number().int().nonnegative(),
  tracker: z.object({ kind: z.string().max(64), version: z.number().int(), state: z.unknown() }),
});
const versionTwo = z.object({ version: z.literal(2), nextOffset: offset, cameras: z.record(z.string().regex(CAMERA_ID), camera) });
// Version 1 (before trackers had kinds) held SORT states only, each with its own version field.
const versionOne = z.object({
  version: z.literal(1),
  nextOffset: offset,
  cameras: z.record(z.string().regex(CAMERA_ID), z.object({ lastSeq: z.number().int().nonnegative(), sort: z.record(z.string(), z.unknown()) })),
});
const chunk = z.object({ chunk: z.number().int().nonnegative(), of: z.number().int().positive().max(100_000), nextOffset: offset, data: z.string() });

export function snapshotRecords(stateKey: string, snapshot: PartitionSnapshot, partition: number, chunkChars = CHUNK_CHARS): KafkaRecord[] {
  const json = JSON.stringify(snapshot);
  const of = Math.max(1, Math.ceil(json.length / chunkChars));
  return Array.from({ length: of }, (_, i) => ({
    key: `${stateKey}#${i}`,
    value: Buffer.from(JSON.stringify({ chunk: i, of, nextOffset: snapshot.nextOffset, data: json.slice(i * chunkChars, (i + 1) * chunkChars) })),
    partition,
  }));
}

/** Header naming a barrier record: a tombstone, so compaction drops it and older readers skip it. */
export const BARRIER_HEADER = 'vsp-barrier';

/** A barrier in a partition's stream of snapshots (see TrackerStateReader.waitForBarrier). */
export function barrierRecord(stateKey: string, id: string, partition: number): KafkaRecord {
  return { key: `${stateKey}#barrier`, value: null, partition, headers: { [BARRIER_HEADER]: id } };
}

/** Why a parsed value is not a snapshot; or the snapshot. */
export function decodeSnapshot(value: unknown): PartitionSnapshot {
  const two = versionTwo.safeParse(value);
  if (two.success) return two.data as PartitionSnapshot;
  const one = versionOne.safeParse(value);
  if (one.success) {
    const cameras: Record<string, CameraState> = {};
    for (const [id, { lastSeq, sort }] of Object.entries(one.data.cameras)) {
      const { version, ...state } = sort;
      cameras[id] = { lastSeq, tracker: { kind: 'sort', version: typeof version === 'number' ? version : 1, state } };
    }
    return { version: 2, nextOffset: one.data.nextOffset, cameras };
  }
  throw new Error(`not a tracker snapshot: ${z.prettifyError(two.error).split('\n').slice(0, 2).join(' ')}`);
}

const MAX_PARTIAL = 10_000;

interface Partial {
  nextOffset: bigint;
  of: number;
  parts: Map<number, string>;
}

/**
 * Reads the tracker-state topic record by record and yields each complete snapshot with its
 * state key. Only the newest generation of chunks per key is kept while it completes.
 */
export class SnapshotAssembler {
  private readonly partial = new Map<string, Partial>();

  /** The snapshot this record completes, if any; throws (naming why) on a record that is not one. */
  add(key: string, value: Buffer): { key: string; snapshot: PartitionSnapshot } | undefined {
    const parsed: unknown = JSON.parse(value.toString('utf8'));
    const hash = key.lastIndexOf('#');
    if (hash < 0) return { key, snapshot: decodeSnapshot(parsed) };
    const base = key.slice(0, hash);
    const c = chunk.parse(parsed);
    if (c.chunk >= c.of || key.slice(hash + 1) !== String(c.chunk)) throw new Error(`chunk ${c.chunk} of ${c.of} under key ${key}`);
    const generation = BigInt(c.nextOffset);
    let p = this.partial.get(base);
    if (p && generation < p.nextOffset) return undefined; // an older generation's leftover
    if (!p || generation > p.nextOffset || c.of !== p.of) {
      p = { nextOffset: generation, of: c.of, parts: new Map() };
      this.partial.delete(base);
      this.partial.set(base, p);
      // Keys are (group, topic, partition): a few per deployment. Many more is a flood; forget the oldest.
      for (const old of this.partial.keys()) {
        if (this.partial.size <= MAX_PARTIAL) break;
        this.partial.delete(old);
      }
    }
    p.parts.set(c.chunk, c.data);
    if (p.parts.size < p.of) return undefined;
    this.partial.delete(base);
    const json = Array.from({ length: p.of }, (_, i) => p.parts.get(i)).join('');
    const snapshot = decodeSnapshot(JSON.parse(json));
    if (snapshot.nextOffset !== c.nextOffset) throw new Error(`chunks of ${base} say nextOffset ${c.nextOffset}, the snapshot ${snapshot.nextOffset}`);
    return { key: base, snapshot };
  }
}
