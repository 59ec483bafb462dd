/** The line diff of two workflow files: every edit script rebuilds both texts, and hunks carry their context. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffLines, hunks, MAX_EDITS } from '../../core/model/line-diff.ts';

describe('line diff', () => {
  it('gives an edit script that rebuilds both sides, for many random pairs', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let round = 0; round < 2000; round++) {
      const a = Array.from({ length: Math.floor(random() * 14) }, () => 'abcd'[Math.floor(random() * 4)]!);
      const b = Array.from({ length: Math.floor(random() * 14) }, () => 'abcd'[Math.floor(random() * 4)]!);
      const lines = diffLines(a, b)!;
      assert.deepEqual(lines.filter((line) => line.kind !== '+').map((line) => line.text), a);
      assert.deepEqual(lines.filter((line) => line.kind !== '-').map((line) => line.text), b);
    }
  });

  it('finds the fewest edits and groups them in hunks with three lines of context', () => {
    const a = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`);
    const b = a.map((line, i) => (i === 3 ? 'changed 4' : i === 16 ? 'changed 17' : line));
    const lines = diffLines(a, b)!;
    assert.equal(lines.filter((line) => line.kind !== ' ').length, 4);
    const parts = hunks(lines);
    assert.deepEqual(parts.map((hunk) => [hunk.a, hunk.aLines, hunk.b, hunk.bLines]), [[1, 7, 1, 7], [14, 7, 14, 7]]);
    assert.deepEqual(parts[0]!.lines.slice(2, 5), [{ kind: ' ', text: 'line 3' }, { kind: '-', text: 'line 4' }, { kind: '+', text: 'changed 4' }]);
    assert.deepEqual(hunks(diffLines(a, a)!), []);
  });

  it('gives up on texts further apart than it shows', () => {
    const a = Array.from({ length: MAX_EDITS }, (_, i) => `a${i}`);
    const b = Array.from({ length: MAX_EDITS }, (_, i) => `b${i}`);
    assert.equal(diffLines(a, b), null);
  });
});
