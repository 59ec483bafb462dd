/** `when` on tasks and groups as the workflow loads (core/model/when.ts): what it reads, and what is refused where. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkflowError } from '../../core/model/errors.ts';
import { loadWorkflow } from '../../core/model/load.ts';
import { tempDir, writeWorkflow } from '../helpers.ts';

function problems(t: Parameters<typeof tempDir>[0], text: string): string[] {
  const file = writeWorkflow(tempDir(t), text);
  try {
    loadWorkflow(file);
  } catch (error) {
    if (error instanceof WorkflowError) return error.message.split('\n').map((line) => line.slice(file.length + 1));
    throw error;
  }
  return [];
}

describe('when', () => {
  it('keeps each task\'s conditions (its groups\' first), with the tasks they read found as after entries are, and depends on them', (t) => {
    const file = writeWorkflow(tempDir(t), `version: 1
params: { misfit_only: false }
tasks:
  plan: { run: 'echo "go=true" >> "$FLOTILLA_VALUES"' }
  adjoint: { when: "not params.misfit_only", run: ./adjoint.sh }
  md:
    foreach: { w: [1, 2] }
    when: "tasks.plan.values.go"
    tasks:
      check: { run: ./check.sh }
      more: { when: "tasks.check.values.done == false and w > 1", run: ./more.sh }
`);
    const plan = loadWorkflow(file);
    const task = (id: string) => plan.tasks.find((each) => each.id === id)!;
    assert.deepEqual(task('adjoint').when, [{ expr: 'not params.misfit_only', tasks: {} }]);
    assert.equal(task('plan').when, undefined);
    assert.deepEqual(task('md[1]/more').when, [
      { expr: 'tasks.plan.values.go', tasks: { plan: 'plan' } },
      { expr: 'tasks.check.values.done == false and w > 1', tasks: { check: 'md[1]/check' } },
    ]);
    // Reading a task's values is depending on it: the sibling in the same sweep instance; the
    // group's reads, as a group's after entries, come before its first tasks.
    assert.deepEqual(task('md[1]/more').after, ['md[1]/check']);
    assert.deepEqual(task('md[0]/check').after, ['plan']);
    assert.deepEqual(task('md[0]/check').when, [{ expr: 'tasks.plan.values.go', tasks: { plan: 'plan' } }]);
  });

  it('refuses what cannot be decided, each at its place', (t) => {
    const found = problems(t, `version: 1
params: { misfit_only: false }
tasks:
  a: { run: a, when: "params.misfit = 1" }
  b: { run: b, when: "params.misfit_olny" }
  c: { run: c, when: "tasks.nothere.values.x" }
  d: { run: d, when: "tasks.a.value.x" }
  e: { run: e, when: "window > 2" }
  f: { run: f, when: "repeat.index > 2" }
  g: { run: g, when: 3 }
  s:
    foreach: { i: [1, 2] }
    run: s
  h: { run: h, when: "tasks.s.values.x" }
  grp:
    tasks:
      in: { run: in }
  k: { run: k, when: "tasks.grp.values.x" }
  self: { run: self, when: "tasks.self.values.x" }
  accent: { run: accent, when: "tasks.a.values.é" }
`);
    assert.deepEqual(found, [
      "4:37: when: unexpected '=' (equality is ==)",
      "5:23: when: unknown param 'misfit_olny' (did you mean 'misfit_only'?)",
      "6:23: 'c' reads the values of 'nothere', which does not exist",
      "7:23: when: 'tasks.a.value.x': write tasks.<task>.values.<name> (a value it published) or tasks.<task>.skipped; a task whose name has '/' or '[' as tasks['group/task']",
      "8:23: when: unknown name 'window': a condition reads params.<name>, tasks.<task>.values.<name>, tasks.<task>.skipped and sweep variables",
      "9:23: when: 'repeat.index': repeat.index and repeat.previous are known only inside a group that repeats",
      "10:22: 'when' must be a condition, like \"not params.misfit_only\" or \"tasks.check.values.done == false\"",
      '14:23: when reads \'s\', a sweep of 2 instances: the values of one are read by a task in the same sweep instance',
      "18:23: when reads 'grp', a group: name one of its tasks, like tasks['grp/in']",
      "19:29: 'self' cannot read the values of 'self': it is inside 'self' (a dependency cycle)",
      "20:33: when: 'tasks.a.values.é': a published value's name is letters, digits and _",
    ]);
  });

  it('takes true and false as they are', (t) => {
    const plan = loadWorkflow(writeWorkflow(tempDir(t), 'version: 1\ntasks:\n  a: { run: a, when: false }\n  b: { run: b, when: true }\n'));
    assert.deepEqual(plan.tasks.map((task) => task.when), [[{ expr: 'false', tasks: {} }], [{ expr: 'true', tasks: {} }]]);
  });
});
