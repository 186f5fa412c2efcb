import assert from 'node:assert/strict';
import { MotParseError, formatMotRow, lastFrame, parseMot, rowsByFrame } from '../../common/mot/format.js';

describe('MOT file format', () => {
  it('parses detection, ground-truth and tracker rows, tolerating CRLF, blanks, spaces and extra fields', () => {
    const text = '1,-1,281.931,187.466,79.93,209.537,0.997784,-1,-1,-1\r\n\r\n  2, 7, 1, 2, 3, 4, 1  \n3 5 1.5 -2 3e1 4 -1 0 0\n';
    assert.deepEqual(parseMot(text), [
      { frame: 1, id: -1, x: 281.931, y: 187.466, w: 79.93, h: 209.537, score: 0.997784 },
      { frame: 2, id: 7, x: 1, y: 2, w: 3, h: 4, score: 1 },
      { frame: 3, id: 5, x: 1.5, y: -2, w: 30, h: 4, score: -1 },
    ]);
    assert.deepEqual(parseMot(''), []);
  });

  it('names the source and the line of a bad row', () => {
    const cases: [string, number, RegExp][] = [
      ['1,-1,1,2,3,4,1\n1,-1,1,2,3\n', 2, /^dets\.txt:2: expected at least 7 fields \(frame,id,x,y,w,h,score\), got 5$/],
      ['\n\n1,-1,1,abc,3,4,1\n', 3, /^dets\.txt:3: y is not a number: 'abc'$/],
      ['1,-1,1,,3,4,1\n', 1, /^dets\.txt:1: y is not a number: ''$/],
      ['0,-1,1,2,3,4,1\n', 1, /frame must be an integer ≥ 1, got 0/],
      ['1.5,-1,1,2,3,4,1\n', 1, /frame must be an integer ≥ 1, got 1.5/],
      ['1,2.5,1,2,3,4,1\n', 1, /id must be an integer, got 2.5/],
      ['1,-1,1,2,1e999,4,1\n', 1, /w is out of range: Infinity/],
      ['1,-1,1,2,NaN,4,1\n', 1, /w is not a number: 'NaN'/],
    ];
    for (const [text, line, message] of cases) {
      assert.throws(
        () => parseMot(text, 'dets.txt'),
        (err: unknown) => err instanceof MotParseError && err.line === line && message.test(err.message),
        text,
      );
    }
  });

  it('groups rows by frame in file order and finds the last frame', () => {
    const rows = parseMot('2,1,0,0,1,1,1\n1,1,0,0,1,1,1\n2,2,0,0,1,1,1\n5,1,0,0,1,1,1\n');
    const byFrame = rowsByFrame(rows);
    assert.deepEqual([...byFrame.keys()], [2, 1, 5]);
    assert.deepEqual(byFrame.get(2)?.map((r) => r.id), [1, 2]);
    assert.equal(lastFrame(rows), 5);
    assert.equal(lastFrame([]), 0);
  });

  it('formats tracker rows with two decimals and the constant tail', () => {
    assert.equal(formatMotRow(12, 3, 136.7234, 190.025, 41.2, -0.004), '12,3,136.72,190.03,41.20,-0.00,1,-1,-1,-1');
  });
});
