// The roles' ACLs of `vsp kafka start --secure` (and the table in docs/security.md): exactly what
// each component uses, nothing more. test/integration/kafka-secure.test.ts shows they suffice.
import assert from 'node:assert/strict';
import { roleAcls } from '../../common/kafka/secure.js';

describe('roleAcls', () => {
  it('grants each role only its topics, groups, transactional ids and idempotent writes', () => {
    const table = roleAcls('cams').map((a) => `${a.principal} ${a.operation} ${a.resource}:${a.name}${a.pattern === 'prefixed' ? '*' : ''}`);
    assert.deepEqual(table.sort(), [
      'User:broker describe topic:cams.dead-letter',
      'User:broker describe topic:cams.frames',
      'User:broker describe topic:cams.tracker-state',
      'User:broker describe topic:cams.tracks',
      'User:broker describe transactional-id:vsp-broker*',
      'User:broker idempotent-write cluster:kafka-cluster',
      'User:broker read group:vsp-broker*',
      'User:broker read topic:cams.frames',
      'User:broker read topic:cams.tracker-state',
      'User:broker write topic:cams.dead-letter',
      'User:broker write topic:cams.tracker-state',
      'User:broker write topic:cams.tracks',
      'User:broker write transactional-id:vsp-broker*',
      'User:consumer describe topic:cams.dead-letter',
      'User:consumer describe topic:cams.events',
      'User:consumer describe topic:cams.frames',
      'User:consumer describe topic:cams.tracks',
      'User:consumer read group:vsp-consumer*',
      'User:consumer read topic:cams.events',
      'User:consumer read topic:cams.frames',
      'User:consumer read topic:cams.tracks',
      'User:consumer write topic:cams.dead-letter',
      'User:consumer write topic:cams.events',
      'User:producer describe topic:cams.frames',
      'User:producer idempotent-write cluster:kafka-cluster',
      'User:producer write topic:cams.frames',
    ]);
    assert.ok(roleAcls('cams').every((a) => a.permission === undefined && a.host === undefined), 'allow, from any host');
  });
});
