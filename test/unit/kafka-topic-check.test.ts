// Pure parts of the topic settings: defaults per cluster size, the data-loss checks of
// `vsp topics check`, under-replicated partitions, and the ports of `vsp kafka start --nodes N`.
import assert from 'node:assert/strict';
import { defaultTopicSettings } from '../../common/kafka/topics.js';
import { topicRisks, underReplicatedOf } from '../../common/kafka/topic-check.js';
import { clusterPorts } from '../../common/kafka/cluster.js';

describe('topic settings and checks', () => {
  it('defaults: RF 3 / min ISR 2 from three brokers up, else 1 / 1; given values win', () => {
    assert.deepEqual(defaultTopicSettings(1), { replicationFactor: 1, minInsyncReplicas: 1, maxMessageBytes: 16 * 1024 * 1024 });
    assert.equal(defaultTopicSettings(2).replicationFactor, 1);
    assert.deepEqual(defaultTopicSettings(5), { replicationFactor: 3, minInsyncReplicas: 2, maxMessageBytes: 16 * 1024 * 1024 });
    assert.deepEqual(defaultTopicSettings(3, { replicationFactor: 1 }), { replicationFactor: 1, minInsyncReplicas: 1, maxMessageBytes: 16 * 1024 * 1024 });
    assert.equal(defaultTopicSettings(3, { minInsyncReplicas: 3, maxMessageBytes: 1000 }).minInsyncReplicas, 3);
  });

  it('flags RF 1 on a cluster, unclean leader election, min ISR 1 with replicas, min ISR above RF', () => {
    const ok = { 'min.insync.replicas': '2', 'unclean.leader.election.enable': 'false' };
    assert.deepEqual(topicRisks('t', 3, ok, 3), []);
    assert.deepEqual(topicRisks('t', 1, { 'min.insync.replicas': '1' }, 1), [], 'a single node has no better choice');
    const problems = (rf: number, config: Record<string, string>, brokers = 3) => topicRisks('t', rf, config, brokers).map((p) => p.problem);
    assert.match(problems(1, { 'min.insync.replicas': '1' }).join(), /replication factor 1 on a 3-broker cluster/);
    assert.match(problems(3, { ...ok, 'unclean.leader.election.enable': 'true' }).join(), /unclean\.leader\.election\.enable=true/);
    assert.match(problems(3, { 'min.insync.replicas': '1' }).join(), /min\.insync\.replicas 1 with acks=all/);
    assert.match(problems(2, { 'min.insync.replicas': '3' }).join(), /acks=all writes always fail/);
  });

  it('under-replicated: fewer in-sync replicas than replicas, or no leader', () => {
    const partitions = [
      { partitionId: 0, leader: 1, replicas: [1, 2, 3], isr: [1, 2, 3] },
      { partitionId: 1, leader: 2, replicas: [2, 3, 1], isr: [2, 3] },
      { partitionId: 2, leader: -1, replicas: [3], isr: [] },
    ];
    assert.deepEqual(
      underReplicatedOf([{ name: 'f', partitions }]).map((u) => u.partition),
      [1, 2],
    );
  });

  it('--nodes N: node i gets port + 2i and controller port + 2i', () => {
    assert.deepEqual(clusterPorts(3, 9092, 9093), [
      { port: 9092, controllerPort: 9093 },
      { port: 9094, controllerPort: 9095 },
      { port: 9096, controllerPort: 9097 },
    ]);
  });
});
