/**
 * The evaluator a cluster runs (core/targets/remote/expr-awk.ts, in this machine's awk, as
 * LC_ALL=C) against the core's, on the one table of cases: the same value, or an error where
 * the core refuses; `unknown` only where a case reads what the cluster does not decide (a list).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { evaluate, ExprValueError, namesOf, parseExpr } from '../../../core/model/expr.ts';
import type { Value } from '../../../core/model/expr.ts';
import { AWK_EVALUATOR, awkProgram, nameKey } from '../../../core/targets/remote/expr-awk.ts';
import { tempDir } from '../../helpers.ts';
import { CASES, NAMES } from '../../model/expr-cases.ts';

type Outcome = { value: Value } | { error: true } | { unknown: string };

function onCluster(dir: string, text: string, facts: Record<string, string>): Outcome {
  const program = path.join(dir, 'program');
  const factsFile = path.join(dir, 'facts');
  const evaluator = path.join(dir, 'evaluate.awk');
  writeFileSync(evaluator, AWK_EVALUATOR);
  writeFileSync(program, awkProgram(parseExpr(text)));
  writeFileSync(factsFile, Object.entries(facts).map(([key, value]) => `${key}\t${value}\n`).join(''));
  const result = spawnSync('awk', ['-f', evaluator, program, factsFile], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  assert.equal(result.status, 0, `${text}: ${result.stderr}`);
  const answer = result.stdout.replace(/\n$/, '');
  if (answer.startsWith('error ')) return { error: true };
  if (answer.startsWith('unknown ')) return { unknown: answer.slice(8) };
  const match = /^value (\w) ([\s\S]*)$/.exec(answer);
  assert.ok(match, `${text}: ${JSON.stringify(answer)}`);
  const [, type, raw] = match;
  return { value: type === 'z' ? null : type === 'b' ? raw === '1' : type === 'n' ? Number(raw) : raw! };
}

/** The facts a values file gives: each name's value as a task would have written it. */
function facts(names: Record<string, Value>): Record<string, string> {
  return Object.fromEntries(Object.entries(names).map(([key, value]) => [key, typeof value === 'string' ? value : JSON.stringify(value)]));
}

describe('conditions on a cluster (awk)', () => {
  it('answer as the core does, case by case', (t) => {
    const dir = tempDir(t);
    for (const [text] of CASES) {
      let core: Outcome;
      try {
        core = { value: evaluate(parseExpr(text), (name) => {
          const key = nameKey(name.path);
          if (key in NAMES) return NAMES[key]!;
          const list = NAMES[nameKey(name.path.slice(0, -1))];
          return Array.isArray(list) ? (list[name.path.at(-1) as number] ?? null) : null;
        }) };
      } catch (error) {
        assert.ok(error instanceof ExprValueError, text);
        core = { error: true };
      }
      const cluster = onCluster(dir, text, facts(NAMES));
      if ('unknown' in cluster) {
        // Only a case that reads a list may be left to the core.
        assert.ok(namesOf(parseExpr(text)).some((name) => Array.isArray(NAMES[nameKey(name.path.slice(0, 2))] ?? NAMES[nameKey(name.path)]) || name.path.some((part) => typeof part === 'number')), `${text}: ${cluster.unknown}`);
        continue;
      }
      assert.deepEqual(cluster, core, text);
    }
  });

  it('read values as a values file writes them, and leave what they cannot hold to the core', (t) => {
    const dir = tempDir(t);
    const file = { done: 'true', misfit: '0.031', label: 'water box', quoted: '"a \\"b\\""', list: '["a"]', escaped: '"caf\\u00e9"', huge: '1e999', none: 'null' };
    const keyed = Object.fromEntries(Object.entries(file).map(([name, value]) => [`tasks.check.values.${name}`, value]));
    const ask = (text: string) => onCluster(dir, text, keyed);
    assert.deepEqual(ask('tasks.check.values.done and tasks.check.values.misfit < 0.05'), { value: true });
    assert.deepEqual(ask("tasks.check.values.label == 'water box'"), { value: true });
    assert.deepEqual(ask(`tasks.check.values.quoted == 'a "b"'`), { value: true });
    assert.deepEqual(ask('tasks.check.values.none == null'), { value: true });
    assert.ok('unknown' in ask('tasks.check.values.list == 1'));
    assert.ok('unknown' in ask("tasks.check.values.escaped == 'café'"));
    assert.ok('unknown' in ask('tasks.check.values.huge > 1'));
    assert.ok('unknown' in ask('tasks.check.values.missing'));
    // The right side of a decided `or` is not read (a missing value there changes nothing).
    assert.deepEqual(ask('tasks.check.values.done or tasks.check.values.missing'), { value: true });
  });
});
