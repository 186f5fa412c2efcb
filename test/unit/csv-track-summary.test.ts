import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TrackedFrame__Output } from '../../common/gen/vsp/v1/TrackedFrame.js';
import { parseRulesConfig } from '../../consumer/rules/config.js';
import { csvField, TrackSummaryReport } from '../../consumer/reports/csv.js';
import { createReport } from '../../consumer/reports/registry.js';

const T0 = 1_700_000_000_000;

function frame(camera: string, seq: number, tracks: Array<[id: number, cx: number, bottom: number, label: string]>): TrackedFrame__Output {
  const ms = T0 + 100 * seq;
  return {
    cameraId: camera, seq, captureTime: { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 }, source: null, width: 640, height: 480,
    detections: [], tracks: tracks.map(([trackId, cx, bottom, label]) => ({ trackId, x1: cx - 5, y1: bottom - 20, x2: cx + 5, y2: bottom, classId: 0, label, score: 0.9 })),
    processor: '', timings: null, status: 'OK', error: '',
  };
}

describe('csv track summary report', () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'vsp-csv-'));

  it('writes one row per track with its span, path length and zones visited; replays change nothing', async () => {
    const { zones } = parseRulesConfig({
      zones: {
        left: { polygon: [[0, 0], [50, 0], [50, 200], [0, 200]] },
        right: { camera: 'cam-a', polygon: [[100, 0], [200, 0], [200, 200], [100, 200]] },
      },
      rules: [{ name: 'r', on: 'new' }],
    });
    const file = path.join(work, 'sub', 'tracks.csv');
    const report = new TrackSummaryReport(file, zones);
    const frames = [
      frame('cam-a', 1, [[1, 40, 100, 'person'], [2, 300, 100, 'car']]),
      frame('cam-a', 2, [[1, 43, 104, 'person']]), // moved 5 px
      frame('cam-a', 3, [[1, 150, 104, 'dog'], [2, 300, 100, 'car']]), // 107 px, into "right"
      frame('cam-b', 7, [[1, 150, 50, 'a "quoted", label']]), // "right" is cam-a's only
      frame('cam-a', 4, [[1, 160, 104, 'person']]),
    ];
    for (const f of frames) report.add(f);
    report.add(frames[1]!); // a replayed (camera, seq)
    await report.close();
    assert.equal(readFileSync(file, 'utf8'), [
      'camera,track_id,label,first_seq,last_seq,first_time,last_time,frames,path_px,zones',
      `cam-a,1,person,1,4,${new Date(T0 + 100).toISOString()},${new Date(T0 + 400).toISOString()},4,122.0,left;right`,
      `cam-a,2,car,1,3,${new Date(T0 + 100).toISOString()},${new Date(T0 + 300).toISOString()},2,0.0,`,
      `cam-b,1,"a ""quoted"", label",7,7,${new Date(T0 + 700).toISOString()},${new Date(T0 + 700).toISOString()},1,0.0,`,
      '',
    ].join('\n'));
  });

  it('is the csv:FILE report', async () => {
    const file = path.join(work, 'plain.csv');
    const report = createReport(`csv:${file}`);
    assert.ok(report instanceof TrackSummaryReport);
    report.add(frame('cam', 1, [[3, 10, 10, 'x']]));
    await report.close();
    assert.equal(readFileSync(file, 'utf8').split('\n')[1], `cam,3,x,1,1,${new Date(T0 + 100).toISOString()},${new Date(T0 + 100).toISOString()},1,0.0,`);
  });

  it('quotes fields as RFC 4180 says', () => {
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField(1.5), '1.5');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('two\nlines'), '"two\nlines"');
  });
});
