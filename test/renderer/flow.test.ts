/** What the editor draws, from its pure mapping (renderer/src/editor/flow.ts), without a browser. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flowEdges, flowNodes, hiddenUnder, placeBoxes } from '../../renderer/src/editor/flow.ts';
import { buildGraph } from '../../renderer/src/editor/model.ts';

const value = {
  version: 1,
  tasks: {
    setup: { run: 'make' },
    outer: {
      after: 'setup',
      tasks: {
        inner: { tasks: { eq: { run: 'eq' }, prod: { after: 'eq', run: 'prod' } } },
        check: { after: 'inner/prod', run: 'check' },
      },
    },
    report: { after: ['outer/inner/prod', 'outer/check'], run: 'sum' },
  },
};

describe('editor flow mapping', () => {
  it('draws every node in its box, inside its group, and keeps a box placed by hand', () => {
    const graph = buildGraph(value);
    const boxes = placeBoxes(graph, { report: { x: 999, y: 7 } }, new Set());
    const nodes = flowNodes(graph, boxes, new Set(), new Map([['setup', ['line 3: bad']]]), () => {});
    assert.deepEqual(nodes.map((node) => [node.id, node.type, node.parentId ?? null, node.hidden]), [
      ['setup', 'task', null, false],
      ['outer', 'group', null, false],
      ['outer/inner', 'group', 'outer', false],
      ['outer/inner/eq', 'task', 'outer/inner', false],
      ['outer/inner/prod', 'task', 'outer/inner', false],
      ['outer/check', 'task', 'outer', false],
      ['report', 'task', null, false],
    ]);
    assert.deepEqual(nodes.find((node) => node.id === 'report')!.position, { x: 999, y: 7 });
    assert.deepEqual(nodes.find((node) => node.id === 'setup')!.data.problems, ['line 3: bad']);
    // A group's box holds its children.
    const inner = boxes.get('outer/inner')!;
    for (const child of ['outer/inner/eq', 'outer/inner/prod']) {
      const box = boxes.get(child)!;
      assert.ok(box.x + box.width <= inner.width && box.y + box.height <= inner.height, child);
    }
    assert.deepEqual(flowEdges(graph, new Set()).map((edge) => edge.id).sort(), ['outer/check->report', 'outer/inner/eq->outer/inner/prod', 'outer/inner/prod->outer/check', 'outer/inner/prod->report', 'setup->outer']);
  });

  it('folded groups hide what they hold; edges into them are drawn to the outermost folded group, once, and cannot be deleted there', () => {
    const graph = buildGraph(value);
    const collapsed = new Set(['outer', 'outer/inner']);
    assert.equal(hiddenUnder('outer/inner/prod', collapsed), 'outer');
    assert.equal(hiddenUnder('outer', collapsed), undefined);
    const nodes = flowNodes(graph, placeBoxes(graph, {}, collapsed), collapsed, new Map(), () => {});
    assert.deepEqual(nodes.filter((node) => !node.hidden).map((node) => node.id), ['setup', 'outer', 'report']);
    const edges = flowEdges(graph, collapsed);
    assert.deepEqual(edges.map((edge) => [edge.id, edge.deletable]).sort(), [['outer->report', false], ['setup->outer', true]]);
  });
});
