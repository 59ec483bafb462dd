/** The editor's and the monitor's graph logic (renderer/src/*\/model.ts), without a browser. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addNode, buildGraph, checkConnection, connect, moveNode, nodeAt, nodeOfIssue, removeNode, renameNode } from '../../renderer/src/editor/model.ts';
import { counts, dominant, shape } from '../../renderer/src/monitor/model.ts';

const value = () => ({
  version: 1,
  tasks: {
    setup: { run: 'make' },
    windows: {
      after: 'setup',
      foreach: { w: [0, 1, 2] },
      tasks: {
        equilibrate: { run: 'eq' },
        production: { after: 'equilibrate', run: 'prod' },
      },
    },
    analysis: { after: ['windows/production'], run: 'sum' },
  },
});

describe('editor graph', () => {
  it('resolves after entries as the core does: siblings, enclosing scopes, group/child', () => {
    const graph = buildGraph(value());
    assert.deepEqual(graph.nodes.map((node) => [node.path, node.kind, node.sweep]), [
      ['setup', 'task', null],
      ['windows', 'group', 3],
      ['windows/equilibrate', 'task', null],
      ['windows/production', 'task', null],
      ['analysis', 'task', null],
    ]);
    assert.deepEqual(graph.edges.map((edge) => [edge.source, edge.target, edge.entry]), [
      ['setup', 'windows', 'setup'],
      ['windows/equilibrate', 'windows/production', 'equilibrate'],
      ['windows/production', 'analysis', 'windows/production'],
    ]);
    assert.deepEqual(graph.dangling, []);
  });

  it('refuses self, containment and cycles (through groups), and names the source by its shortest reference', () => {
    const graph = buildGraph(value());
    assert.match((checkConnection(graph, 'analysis', 'setup') as { message: string }).message, /cycle/);
    // equilibrate is inside windows, which runs after setup: setup after equilibrate is a cycle.
    assert.match((checkConnection(graph, 'windows/equilibrate', 'setup') as { message: string }).message, /cycle/);
    assert.match((checkConnection(graph, 'windows', 'windows/production') as { message: string }).message, /inside/);
    assert.match((checkConnection(graph, 'setup', 'setup') as { message: string }).message, /itself/);
    assert.deepEqual(checkConnection(graph, 'setup', 'windows/production'), { ok: true, entry: 'setup' });
    assert.deepEqual(checkConnection(graph, 'windows/equilibrate', 'analysis'), { ok: true, entry: 'windows/equilibrate' });
    const next = connect(value(), 'analysis', 'setup');
    assert.deepEqual(nodeAt(next, 'analysis')!.after, ['windows/production', 'setup']);
    // A scalar `after` with one more entry becomes a list.
    assert.deepEqual(nodeAt(connect(value(), 'windows', 'x'), 'windows')!.after, ['setup', 'x']);
  });

  it('renames in place and rewrites every reference; removing a node drops the references to it', () => {
    const renamed = renameNode(value(), 'windows', 'umbrella');
    assert.deepEqual(Object.keys((renamed.tasks as object)), ['setup', 'umbrella', 'analysis']);
    assert.deepEqual(nodeAt(renamed, 'analysis')!.after, ['umbrella/production']);
    const inner = renameNode(value(), 'windows/equilibrate', 'eq');
    assert.equal(nodeAt(inner, 'windows/production')!.after, 'eq');
    const removed = removeNode(value(), 'windows');
    assert.equal(nodeAt(removed, 'analysis')!.after, undefined);
    assert.equal(nodeAt(removed, 'windows'), undefined);
    const added = addNode(value(), 'windows', 'task');
    assert.equal(added.path, 'windows/task1');
    assert.deepEqual(nodeAt(added.value, 'windows/task1'), { run: 'echo "task1"' });
  });

  it('moves a node into a group and out again, rewriting the references to it and its own', () => {
    // analysis into the sweep group: it names production as a sibling now.
    const inside = moveNode(value(), 'analysis', 'windows') as { value: Record<string, unknown>; path: string };
    assert.equal(inside.path, 'windows/analysis');
    assert.deepEqual(nodeAt(inside.value, 'windows/analysis')!.after, ['production']);
    assert.equal(nodeAt(inside.value, 'analysis'), undefined);
    // production out to the top: analysis and production name each other anew.
    const out = moveNode(value(), 'windows/production', null) as { value: Record<string, unknown>; path: string };
    assert.equal(out.path, 'production');
    assert.equal(nodeAt(out.value, 'production')!.after, 'windows/equilibrate');
    assert.deepEqual(nodeAt(out.value, 'analysis')!.after, ['production']);
    assert.deepEqual(buildGraph(out.value).dangling, []);
    // A name taken in the new scope: the moved node gets a fresh one.
    const clash = moveNode(connect(value(), 'analysis', 'x'), 'windows/equilibrate', null) as { value: Record<string, unknown>; path: string };
    const back = moveNode(addNode(clash.value, 'windows', 'task').value, 'equilibrate', 'windows') as { value: Record<string, unknown>; path: string };
    assert.equal(back.path, 'windows/equilibrate');
    const taken = moveNode({ version: 1, tasks: { setup: { run: 'a' }, g: { tasks: { setup: { run: 'b' } } } } }, 'setup', 'g') as { value: Record<string, unknown>; path: string };
    assert.equal(taken.path, 'g/setup1');
    // A move that would hide a node from what names it (b's `after: a` would name the moved a).
    const shadow = {
      version: 1,
      tasks: { a: { run: 'top' }, other: { tasks: { a: { run: 'inner' } } }, g: { tasks: { b: { after: 'a', run: 'b' } } } },
    };
    assert.match((moveNode(shadow, 'other/a', 'g') as { problem: string }).problem, /'g\/b' could no longer name 'a'/);
    // Refused: into itself, or into what it runs after.
    assert.match((moveNode(value(), 'windows', 'windows/production') as { problem: string }).problem, /itself/);
    const after = connect(value(), 'setup', 'windows/production');
    assert.match((moveNode(after, 'setup', 'windows') as { problem: string }).problem, /runs after/);
  });

  it('counts the instances of a sweep over a range, as the core does', () => {
    const sizes = (foreach: unknown) => buildGraph({ version: 1, params: { n: [1, 2] }, tasks: { s: { foreach, run: 'x' } } }).nodes[0]!.sweep;
    assert.equal(sizes({ i: { range: [0, 8] } }), 8);
    assert.equal(sizes({ i: { range: [5] }, j: '{{ params.n }}' }), 10);
    assert.equal(sizes({ i: { range: [10, 0, -3] } }), 4);
    assert.equal(sizes({ i: { range: [0, 1, 0] } }), '?');
    assert.equal(sizes({ i: '{{ params.missing }}' }), '?');
  });

  it('places a problem on the node its path points into', () => {
    assert.equal(nodeOfIssue(['tasks', 'windows', 'tasks', 'production', 'run']), 'windows/production');
    assert.equal(nodeOfIssue(['tasks', 'setup', 'after', 0]), 'setup');
    assert.equal(nodeOfIssue(['targets', 'hpc', 'host']), null);
  });
});

describe('run monitor graph', () => {
  const tasks = [
    { id: 'setup', path: 'setup', after: [], target: 'local', vars: {} },
    ...[0, 1, 2].flatMap((w) => [
      { id: `windows[${w}]/equilibrate`, path: 'windows/equilibrate', after: ['setup'], target: 'local', vars: { w } },
      { id: `windows[${w}]/production`, path: 'windows/production', after: [`windows[${w}]/equilibrate`], target: 'local', vars: { w } },
    ]),
    { id: 'analysis', path: 'analysis', after: [0, 1, 2].map((w) => `windows[${w}]/production`), target: 'local', vars: {} },
  ];

  it('folds the instances of a sweep into one node until it is expanded', () => {
    const folded = shape(tasks, new Set());
    assert.deepEqual(folded.nodes.map((node) => [node.key, node.tasks.length]), [
      ['setup', 1],
      ['sweep:windows/equilibrate', 3],
      ['sweep:windows/production', 3],
      ['analysis', 1],
    ]);
    assert.equal(folded.edges.length, 3);
    const open = shape(tasks, new Set(['windows/production']));
    assert.equal(open.nodes.length, 6);
    assert.equal(open.edges.length, 1 + 3 + 3);
  });

  it('colours a folded node by what needs attention first', () => {
    const states = new Map<string, 'succeeded' | 'failed' | 'running'>([['windows[0]/production', 'succeeded'], ['windows[1]/production', 'failed'], ['windows[2]/production', 'running']]);
    const count = counts(['windows[0]/production', 'windows[1]/production', 'windows[2]/production'], states);
    assert.deepEqual(count, { succeeded: 1, failed: 1, running: 1 });
    assert.equal(dominant(count), 'failed');
    assert.equal(dominant({ succeeded: 2, running: 1 }), 'running');
  });
});
