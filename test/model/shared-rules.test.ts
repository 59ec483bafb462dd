/**
 * The editor draws a workflow before any run: which node each `after` names and how many
 * instances a sweep makes. Sweeps it counts with the core's own function; `after` names it
 * resolves on declared paths (the core resolves them on instances). The same cases run
 * against both here: where they would disagree, the editor would draw a graph that is not
 * the one that runs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkflowError } from '../../core/model/errors.ts';
import { loadWorkflow } from '../../core/model/load.ts';
import { buildGraph } from '../../renderer/src/editor/model.ts';

/** What the core makes of a workflow given as a value: instances per declared path, and each task's dependencies as declared paths. */
function core(value: object): { instances: Record<string, number>; after: Record<string, string[]> } | 'invalid' {
  let tasks;
  try {
    tasks = loadWorkflow('/tmp/shared-rules.yaml', { text: JSON.stringify(value) }).tasks;
  } catch (error) {
    if (error instanceof WorkflowError) return 'invalid';
    throw error;
  }
  const pathOf = new Map(tasks.map((task) => [task.id, task.path]));
  const instances: Record<string, number> = {};
  const after: Record<string, string[]> = {};
  for (const task of tasks) {
    instances[task.path] = (instances[task.path] ?? 0) + 1;
    after[task.path] = [...new Set([...(after[task.path] ?? []), ...task.after.map((id) => pathOf.get(id)!)])].sort();
  }
  return { instances, after };
}

/** What the editor draws: each leaf task's dependencies, group edges taken down to the leaf tasks they order. */
function editor(value: Record<string, unknown>): { after: Record<string, string[]> } {
  const graph = buildGraph(value);
  const leaves = (path: string) => graph.nodes.filter((node) => node.kind === 'task' && (node.path === path || node.path.startsWith(`${path}/`))).map((node) => node.path);
  const after: Record<string, string[]> = {};
  for (const node of graph.nodes) if (node.kind === 'task') after[node.path] = [];
  for (const edge of [...graph.edges, ...graph.reads]) for (const to of leaves(edge.target)) after[to] = [...new Set([...after[to]!, ...leaves(edge.source)])].sort();
  return { after };
}

/** Every task each one waits for, directly or through others, sorted. */
function closure(after: Record<string, string[]>): Record<string, string[]> {
  const all: Record<string, string[]> = {};
  for (const path of Object.keys(after)) {
    const seen = new Set<string>();
    const stack = [...after[path]!];
    while (stack.length > 0) {
      const next = stack.pop()!;
      if (seen.has(next)) continue;
      seen.add(next);
      stack.push(...(after[next] ?? []));
    }
    all[path] = [...seen].sort();
  }
  return all;
}

describe('rules the editor shares with the core', () => {
  it('resolves `after` names to the same tasks: siblings, enclosing levels, group/child, groups, shadowing', () => {
    const cases: Record<string, unknown>[] = [
      { a: { run: 'x' }, b: { run: 'x', after: 'a' } },
      { prep: { run: 'x' }, g: { tasks: { one: { run: 'x', after: 'prep' }, two: { run: 'x', after: ['one'] } } } },
      { g: { tasks: { one: { run: 'x' } } }, use: { run: 'x', after: 'g/one' } },
      { g: { tasks: { one: { run: 'x' }, two: { run: 'x' } } }, all: { run: 'x', after: 'g' } },
      { a: { run: 'top' }, g: { tasks: { a: { run: 'inner' }, b: { run: 'x', after: 'a' } } } },
      { setup: { run: 'x' }, g: { after: 'setup', tasks: { one: { run: 'x' }, two: { run: 'x', after: 'one' } } } },
      { outer: { tasks: { inner: { tasks: { leaf: { run: 'x' } } }, next: { run: 'x', after: 'inner/leaf' } } }, last: { run: 'x', after: 'outer/next' } },
      { w: { foreach: { i: [1, 2] }, tasks: { eq: { run: 'x' }, prod: { run: 'x', after: 'eq' } } }, sum: { run: 'x', after: 'w/prod' } },
      // What a node reads of another's values orders it after that one, `after` or not.
      { plan: { run: 'x' }, go: { run: 'x', when: 'tasks.plan.values.ok' } },
      { plan: { run: 'x' }, g: { tasks: { plan: { run: 'y' }, use: { run: 'x', when: "tasks['plan'].values.n > 1 and not tasks.plan.skipped" } } } },
      { plan: { run: 'x' }, models: { foreach: { m: '{{ tasks.plan.values.models }}' }, run: 'x {{ m }}' } },
    ];
    for (const tasks of cases) {
      const value = { version: 1, tasks };
      const ran = core(value);
      assert.notEqual(ran, 'invalid', JSON.stringify(tasks));
      const drawn = editor(value);
      // Compared as what each task waits for, directly or not: the core may leave out a
      // dependency another one already implies (a group's `after` for its later tasks).
      const runs = closure((ran as { after: Record<string, string[]> }).after);
      const draws = closure(drawn.after);
      assert.deepEqual(Object.keys(draws).sort(), Object.keys(runs).sort(), JSON.stringify(tasks));
      for (const [path, after] of Object.entries(draws)) assert.deepEqual(after, runs[path], `${JSON.stringify(tasks)}: ${path}`);
    }
  });

  it('counts a sweep’s instances as the core makes them, and shows no count where the core refuses the sweep', () => {
    const sweeps: unknown[] = [
      { foreach: { i: { range: [0, 8] } } },
      { foreach: { i: { range: [5] }, j: '{{ params.n }}' } },
      { foreach: { i: { range: [10, 0, -3] } } },
      { foreach: { i: [1, 2, 3] } },
      { zip: { i: [1, 2, 3], j: ['a', 'b', 'c'] } },
      { foreach: { i: [1, 2] }, zip: { j: [1, 2, 3], k: [4, 5, 6] } },
      { zip: { i: [1, 2, 3], j: ['a', 'b'] } },
      { foreach: { i: [] } },
      { foreach: { i: { range: [0, 1, 0] } } },
      { foreach: { i: { range: [0, 2.5] } } },
      { foreach: { i: { range: [500_000] } } },
    ];
    for (const sweep of sweeps) {
      const value = { version: 1, params: { n: [1, 2] }, tasks: { s: { ...(sweep as object), run: 'x' } } };
      const ran = core(value);
      const drawn = buildGraph(value).nodes[0]!.sweep;
      assert.equal(drawn, ran === 'invalid' ? '?' : ran.instances.s, JSON.stringify(sweep));
    }
  });
});
