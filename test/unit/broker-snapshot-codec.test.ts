// Tracker snapshots on the wire: chunked under the message limit, reassembled, schema-checked.
import assert from 'node:assert/strict';
import { SnapshotAssembler, decodeSnapshot, snapshotRecords, type PartitionSnapshot } from '../../broker/snapshot-codec.js';

function snapshot(cameras: number, nextOffset = '42'): PartitionSnapshot {
  const snap: PartitionSnapshot = { version: 2, nextOffset, cameras: {} };
  for (let i = 0; i < cameras; i++) {
    snap.cameras[`cam-${i}`] = { lastSeq: i, tracker: { kind: 'sort', version: 1, state: { params: { maxAge: 1 }, frameCount: i, nextId: 1, trackers: [], pad: 'x'.repeat(100) } } };
  }
  return snap;
}

const feed = (a: SnapshotAssembler, records: ReturnType<typeof snapshotRecords>) =>
  records.map((r) => a.add(String(r.key), r.value as Buffer)).filter((x) => x !== undefined);

describe('tracker snapshot codec', () => {
  it('splits a large snapshot into chunks under the limit and reassembles it exactly', () => {
    const snap = snapshot(500);
    const records = snapshotRecords('g/frames/3', snap, 3, 4096);
    assert.ok(records.length > 10);
    for (const [i, r] of records.entries()) {
      assert.equal(r.key, `g/frames/3#${i}`);
      assert.equal(r.partition, 3);
      assert.ok((r.value as Buffer).length < 2 * 4096 + 200, 'JSON escaping at most doubles a chunk');
    }
    const done = feed(new SnapshotAssembler(), records);
    assert.deepEqual(done, [{ key: 'g/frames/3', snapshot: snap }]);
  });

  it('ignores leftovers of an older generation and completes only whole generations', () => {
    const a = new SnapshotAssembler();
    const older = snapshotRecords('k', snapshot(100, '10'), 0, 2048);
    const newer = snapshotRecords('k', snapshot(30, '20'), 0, 2048);
    assert.ok(older.length > newer.length);
    assert.deepEqual(feed(a, newer).map((d) => d.snapshot.nextOffset), ['20']);
    // Compaction keeps the older generation's extra keys: they complete nothing.
    assert.deepEqual(feed(a, older.slice(newer.length)), []);
    // A generation missing a chunk completes nothing either.
    assert.deepEqual(feed(a, snapshotRecords('k', snapshot(30, '30'), 0, 2048).slice(1)), []);
  });

  it('still reads a whole (unchunked) version 1 or 2 record', () => {
    const a = new SnapshotAssembler();
    const two = snapshot(2);
    assert.deepEqual(a.add('k', Buffer.from(JSON.stringify(two))), { key: 'k', snapshot: two });
    const one = { version: 1, nextOffset: '7', cameras: { cam: { lastSeq: 3, sort: { version: 1, params: {}, frameCount: 3, nextId: 1, trackers: [] } } } };
    assert.deepEqual(a.add('k', Buffer.from(JSON.stringify(one)))?.snapshot, {
      version: 2,
      nextOffset: '7',
      cameras: { cam: { lastSeq: 3, tracker: { kind: 'sort', version: 1, state: { params: {}, frameCount: 3, nextId: 1, trackers: [] } } } },
    });
  });

  it('refuses forged or broken snapshots, naming the problem', () => {
    const bad = (value: unknown) => () => decodeSnapshot(value);
    assert.throws(bad({ version: 2, nextOffset: 'NaN', cameras: {} }), /not a tracker snapshot: .*nextOffset/);
    assert.throws(bad({ version: 2, nextOffset: '1', cameras: { cam: { lastSeq: 'x', tracker: { kind: 'sort', version: 1, state: {} } } } }), /lastSeq/);
    assert.throws(bad({ version: 2, nextOffset: '1', cameras: { '../../etc/passwd': { lastSeq: 1, tracker: { kind: 'sort', version: 1, state: {} } } } }), /not a tracker snapshot/);
    assert.throws(bad({ version: 3, nextOffset: '1', cameras: {} }), /not a tracker snapshot/);
    assert.throws(bad(null), /not a tracker snapshot/);
    const a = new SnapshotAssembler();
    assert.throws(() => a.add('k', Buffer.from('{not json')), SyntaxError);
    assert.throws(() => a.add('k#0', Buffer.from(JSON.stringify({ chunk: 5, of: 2, nextOffset: '1', data: '' }))), /chunk 5 of 2/);
    assert.throws(() => a.add('k#0', Buffer.from(JSON.stringify({ chunk: 0, of: 1, nextOffset: '1', data: '{"version":2}' }))), /not a tracker snapshot/);
  });
});
