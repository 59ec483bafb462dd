/** Values a task publishes (core/model/values.ts): how a values file's lines are read. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_VALUES, MAX_VALUES_BYTES, parseValues } from '../../core/model/values.ts';

describe('published values', () => {
  it('are JSON when they parse as JSON, else the text; the last of a name wins', () => {
    const read = parseValues('done=true\nmisfit=0.25\nmodels=["a", "b"]\nlabel=water box \ndone=false\r\nempty=\nobject={"k": 1}\n\n');
    assert.deepEqual(read, { values: { done: false, misfit: 0.25, models: ['a', 'b'], label: 'water box', empty: '', object: { k: 1 } } });
  });

  it('refuse a line that is not name=value, naming its line', () => {
    assert.deepEqual(parseValues('a=1\nthe misfit is 3\n'), { problem: 'its values file, line 2: "the misfit is 3" is not name=value (a name of letters, digits and _)' });
    assert.match((parseValues('2x=1') as { problem: string }).problem, /line 1: "2x=1"/);
    assert.match((parseValues('=1') as { problem: string }).problem, /line 1/);
  });

  it('refuse a number JSON cannot hold', () => {
    assert.deepEqual(parseValues('ok=1\nbig=1e999\n'), { problem: 'its values file, line 2: big holds a number too large to hold (JSON has no Infinity)' });
    assert.match((parseValues('list=[1, -1e400]') as { problem: string }).problem, /line 1: list holds a number too large/);
  });

  it('are read within a cap on size and on names', () => {
    assert.match((parseValues('a=1', MAX_VALUES_BYTES + 1) as { problem: string }).problem, /at most 65,536 are read/);
    const many = Array.from({ length: MAX_VALUES + 1 }, (_, i) => `v${i}=${i}`).join('\n');
    assert.match((parseValues(many) as { problem: string }).problem, /more than 1000 names/);
    // The same name again and again is one name.
    assert.deepEqual(parseValues(Array.from({ length: MAX_VALUES + 5 }, (_, i) => `v=${i}`).join('\n')), { values: { v: MAX_VALUES + 4 } });
  });

  it('keep names that mean something to JavaScript as plain names', () => {
    const read = parseValues('__proto__={"polluted": true}\nconstructor=1\n') as { values: Record<string, unknown> };
    assert.deepEqual(Object.keys(read.values).sort(), ['__proto__', 'constructor']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});
