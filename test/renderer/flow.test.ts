/** What the editor draws, from its pure mapping (renderer/src/editor/flow.ts), without a browser. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { autoLayout } from '../../renderer/src/common/layout.ts';
import { flowEdges, flowNodes, hiddenUnder, layoutInput, markNodes, placeBoxes } from '../../renderer/src/editor/flow.ts';
import type { Graph } from '../../renderer/src/editor/model.ts';
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

/** Boxes as the editor places them: laid out, then what was placed by hand. */
const boxesOf = (graph: Graph, layout: Record<string, { x: number; y: number }>, collapsed: ReadonlySet<string>) => placeBoxes(graph, autoLayout(layoutInput(graph, collapsed)), layout, collapsed);

describe('editor flow mapping', () => {
  it('draws every node in its box, inside its group, and keeps a box placed by hand', () => {
    const graph = buildGraph(value);
    const boxes = boxesOf(graph, { report: { x: 999, y: 7 } }, new Set());
    const nodes = flowNodes(graph, boxes, new Set(), new Map([['setup', ['line 3: bad']]]));
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
    const nodes = flowNodes(graph, boxesOf(graph, {}, collapsed), collapsed, new Map());
    assert.deepEqual(nodes.filter((node) => !node.hidden).map((node) => node.id), ['setup', 'outer', 'report']);
    const edges = flowEdges(graph, collapsed);
    assert.deepEqual(edges.map((edge) => [edge.id, edge.deletable]).sort(), [['outer->report', false], ['setup->outer', true]]);
  });

  it('node data is plain data: it survives JSON as it is, with no function in it', () => {
    const graph = buildGraph(value);
    const nodes = flowNodes(graph, boxesOf(graph, {}, new Set()), new Set(['outer']), new Map([['setup', ['bad']]]));
    for (const node of nodes) assert.deepEqual(JSON.parse(JSON.stringify(node.data)), node.data, node.id);
  });

  it('placing boxes by hand leaves the automatic layout as it was (the layout cache shares it)', () => {
    const graph = buildGraph(value);
    const auto = autoLayout(layoutInput(graph, new Set()));
    const before = JSON.stringify([...auto]);
    const placed = placeBoxes(graph, auto, { 'outer/check': { x: 2000, y: 900 }, report: { x: -50, y: -50 } }, new Set());
    assert.equal(JSON.stringify([...auto]), before);
    // The groups around the node moved far out grew to hold it; the automatic boxes did not.
    assert.ok(placed.get('outer')!.width > 2000 && auto.get('outer')!.width < 2000);
  });

  it('a node the layout does not know yet stands at the corner instead of failing the whole mapping', () => {
    const graph = buildGraph(value);
    const boxes = placeBoxes(graph, new Map(), {}, new Set());
    assert.deepEqual(boxes.get('report'), { x: 0, y: 0, width: 200, height: 60 });
  });

  it('marking the selection keeps every other node the same object, with what React Flow measured of it', () => {
    const graph = buildGraph(value);
    const built = flowNodes(graph, boxesOf(graph, {}, new Set()), new Set(), new Map());
    const first = markNodes([], built, 'setup', null).map((node) => (node.id === 'report' ? { ...node, measured: { width: 200, height: 60 } } : node));
    const second = markNodes(first, built, 'report', 'outer');
    assert.equal(second.find((node) => node.id === 'outer/inner/eq'), first.find((node) => node.id === 'outer/inner/eq'));
    assert.deepEqual(second.filter((node) => node.selected).map((node) => node.id), ['report']);
    assert.deepEqual(second.find((node) => node.id === 'report')!.measured, { width: 200, height: 60 });
    assert.equal(second.find((node) => node.id === 'outer')!.className, 'drop-target');
    assert.equal(second.find((node) => node.id === 'outer/inner')!.className, '');
  });
});
