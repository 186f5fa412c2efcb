// The replay workflow run twice from one folder: `vsp producer --source mot:DET.txt` keeps its
// seq state in that folder, yet the second run numbers the frames as the file does again, so the
// replay processor finds the same detections and the tracks come out the same.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestKafka, type TestKafka } from '../helpers/kafka.js';
import { REPO, stopAll, vspRun } from '../helpers/processes.js';
import { startBroker, startProcessor, waitForGroupDone } from '../helpers/pipeline.js';

const DETS = path.join(REPO, 'test/fixtures/mot15/det');
const CAMERA = 'TUD-Campus';

describe('replaying a MOT file twice from one folder', function () {
  let kafka: TestKafka;
  const work = mkdtempSync(path.join(os.tmpdir(), 'vsp-mot-replay-'));

  before(async () => {
    kafka = await startTestKafka();
  });
  after(async () => {
    await stopAll();
    await kafka?.stop();
  });

  it('gives the same tracks both times, those of vsp track', async () => {
    const processor = await startProcessor(['--impl', 'replay', '--mot-dets', DETS]);
    const state = path.join(work, 'state'); // one folder for both runs, as a user replaying twice has
    const replay = async (run: string): Promise<string> => {
      const prefix = await kafka.topics(1);
      const common = ['--brokers', kafka.bootstrap, '--prefix', prefix];
      const produced = await vspRun(['producer', ...common, '--source', `mot:${path.join(DETS, `${CAMERA}.txt`)}`, '--state-dir', state]);
      assert.equal(produced.code, 0, produced.stderr);
      const broker = await startBroker([...common, '--processor', processor.address, '--group', run]);
      await waitForGroupDone(kafka.bootstrap, prefix, run);
      await broker.stop();
      const mot = path.join(work, `${run}.txt`);
      const r = await vspRun(['consumer', ...common, '--report', `mot:${mot}`, '--exit-when-idle', '3']);
      assert.equal(r.code, 0, r.stderr);
      return readFileSync(mot, 'utf8');
    };

    const first = await replay('first');
    const second = await replay('second');
    const expected = await vspRun(['track', '--mot', path.join(DETS, `${CAMERA}.txt`)]);
    assert.ok(expected.stdout.length > 0);
    assert.equal(first, expected.stdout, 'the first replay tracks the file');
    assert.equal(second, first, 'the second replay from the same folder gives the same tracks');
  });
});
