import assert from 'node:assert/strict';
import { partitionKey, reconcile, type TopicPartition } from '../../common/kafka/rdkafka/reconcile.js';

const tp = (partition: number, topic = 'frames'): TopicPartition => ({ topic, partition });
const keys = (list: TopicPartition[]) => list.map(partitionKey);

describe('rdkafka consumer: the group assignment against what librdkafka fetches (reconcile)', () => {
  it('in step: nothing to assign again, every unpaused partition resumed, nothing missing', () => {
    const r = reconcile([tp(0), tp(1), tp(2)], [tp(2), tp(0), tp(1)], new Set(['frames/1']), new Set());
    assert.deepEqual(r.reassign, []);
    assert.deepEqual(keys(r.resume), ['frames/0', 'frames/2']);
    assert.deepEqual([...r.missing], []);
  });

  it('a partition missing once is only noted: the package may still be applying a change', () => {
    const r = reconcile([tp(0), tp(1)], [tp(0)], new Set(), new Set());
    assert.deepEqual(r.reassign, []);
    assert.deepEqual([...r.missing], ['frames/1']);
    assert.deepEqual(keys(r.resume), ['frames/0'], 'a partition librdkafka does not hold is not resumed');
  });

  it('missing at two checks in a row (librdkafka lost it): assigned again', () => {
    const first = reconcile([tp(0), tp(1), tp(3)], [], new Set(), new Set());
    const second = reconcile([tp(0), tp(1), tp(3)], [tp(3)], new Set(['frames/0']), first.missing);
    assert.deepEqual(keys(second.reassign), ['frames/0', 'frames/1']);
    assert.deepEqual([...second.missing], ['frames/0', 'frames/1']);
    assert.deepEqual(keys(second.resume), ['frames/3']);
  });

  it('a partition missing before but revoked since is not assigned again; topics are told apart', () => {
    const r = reconcile([tp(1, 'other')], [], new Set(), new Set(['frames/1', 'other/2']));
    assert.deepEqual(r.reassign, []);
    assert.deepEqual([...r.missing], ['other/1']);
  });

  it('a paused partition stays paused, whether or not librdkafka holds it', () => {
    const r = reconcile([tp(0), tp(1)], [tp(0), tp(1)], new Set(['frames/0', 'frames/1']), new Set());
    assert.deepEqual(r.resume, []);
  });
});
