import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SEQ_BLOCK, SeqStore } from '../../producer/seq-store.js';

describe('SeqStore', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'vsp-seq-'));
    file = path.join(dir, 'state', 'cam.seq');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const take = (s: SeqStore, n: number) => Array.from({ length: n }, () => s.next());

  it('starts at 1 and reserves a block on disk before handing out its first seq', () => {
    const s = new SeqStore(file);
    assert.equal(s.next(), 1);
    assert.equal(readFileSync(file, 'utf8'), `${SEQ_BLOCK}\n`);
    take(s, SEQ_BLOCK - 1);
    assert.equal(readFileSync(file, 'utf8'), `${SEQ_BLOCK}\n`, 'no write within the block');
    assert.equal(s.next(), SEQ_BLOCK + 1);
    assert.equal(readFileSync(file, 'utf8'), `${2 * SEQ_BLOCK}\n`);
  });

  it('continues with no gap after a clean close', () => {
    const a = new SeqStore(file);
    take(a, 10);
    a.close();
    assert.deepEqual(take(new SeqStore(file), 3), [11, 12, 13]);
  });

  it('after a crash (no close) continues past the reserved block: no seq reused', () => {
    take(new SeqStore(file), 10);
    assert.equal(new SeqStore(file).next(), SEQ_BLOCK + 1);
  });

  it('refuses a corrupt state file', () => {
    take(new SeqStore(file), 1);
    writeFileSync(file, 'garbage\n');
    assert.throws(() => new SeqStore(file), /corrupt seq state file .*cam\.seq: "garbage\\n"/);
  });
});
