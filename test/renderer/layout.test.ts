/** The automatic layout (renderer/src/common/layout.ts, layered.ts) and its cache, without a browser. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { graphlib, layout as dagreLayout } from '@dagrejs/dagre';
import { autoLayout, DAGRE_LIMIT } from '../../renderer/src/common/layout.ts';
import type { Box, LayoutInput } from '../../renderer/src/common/layout.ts';
import { LayoutCache, layoutKey } from '../../renderer/src/common/layout-cache.ts';
import { layeredLayout } from '../../renderer/src/common/layered.ts';

/** `layers` layers of `width` tasks, each after the task in its place and the next one of the layer before. */
function layered(layers: number, width: number): LayoutInput {
  const name = (layer: number, index: number) => `l${layer}_t${index}`;
  const nodes: LayoutInput['nodes'] = [];
  const edges: LayoutInput['edges'] = [];
  for (let layer = 0; layer < layers; layer++) {
    for (let index = 0; index < width; index++) {
      nodes.push({ id: name(layer, index), parent: null, group: false });
      if (layer > 0) edges.push({ source: name(layer - 1, index), target: name(layer, index) }, { source: name(layer - 1, (index + 1) % width), target: name(layer, index) });
    }
  }
  return { nodes, edges };
}

describe('automatic layout', () => {
  it('a graph too big for dagre (20 layers of 50) reads left to right, layer by layer, in the order of the file, without overlaps', () => {
    const input = layered(20, 50);
    const boxes = autoLayout(input);
    assert.equal(boxes.size, 1000);
    for (const edge of input.edges) assert.ok(boxes.get(edge.source)!.x + boxes.get(edge.source)!.width < boxes.get(edge.target)!.x, `${edge.source} -> ${edge.target}`);
    for (let layer = 0; layer < 20; layer++) {
      const column = Array.from({ length: 50 }, (_, index) => boxes.get(`l${layer}_t${index}`)!);
      assert.equal(new Set(column.map((box) => box.x)).size, 1, `layer ${layer} is one column`);
      for (let index = 1; index < 50; index++) assert.ok(column[index]!.y >= column[index - 1]!.y + column[index - 1]!.height, `l${layer}_t${index} below the one before`);
    }
    // The first tasks of the file are at the top left, where a big graph opens.
    assert.deepEqual({ x: boxes.get('l0_t0')!.x, y: boxes.get('l0_t0')!.y }, { x: 0, y: 0 });
  });

  it('a node waits right of everything it runs after, however long the path to it', () => {
    const boxes = layeredLayout(
      ['a', 'b', 'c', 'd', 'late'].map((id) => ({ id, width: 10, height: 10 })),
      [
        { source: 'a', target: 'b' },
        { source: 'b', target: 'c' },
        { source: 'c', target: 'd' },
        { source: 'a', target: 'late' },
        { source: 'd', target: 'late' },
      ],
      { rankSep: 5, nodeSep: 5 },
    );
    assert.deepEqual(['a', 'b', 'c', 'd', 'late'].map((id) => boxes.get(id)!.x), [0, 15, 30, 45, 60]);
  });

  it('a file with a cycle still draws every node', () => {
    const boxes = layeredLayout(
      ['a', 'b', 'c'].map((id) => ({ id, width: 10, height: 10 })),
      [
        { source: 'a', target: 'b' },
        { source: 'b', target: 'c' },
        { source: 'c', target: 'b' },
      ],
      { rankSep: 5, nodeSep: 5 },
    );
    assert.deepEqual([...boxes.keys()].sort(), ['a', 'b', 'c']);
    assert.ok(boxes.get('a')!.x < boxes.get('b')!.x);
  });

  it('a small graph is laid out by dagre, as before', () => {
    const input = layered(3, 4);
    assert.ok(input.nodes.length <= DAGRE_LIMIT);
    const g = new graphlib.Graph();
    g.setGraph({ rankdir: 'LR', nodesep: 24, ranksep: 64, marginx: 0, marginy: 0 });
    g.setDefaultEdgeLabel(() => ({}));
    for (const node of input.nodes) g.setNode(node.id, { width: 200, height: 60 });
    for (const edge of input.edges) g.setEdge(edge.source, edge.target);
    dagreLayout(g);
    const boxes = autoLayout(input);
    for (const node of input.nodes) {
      const expected = g.node(node.id) as { x: number; y: number };
      assert.deepEqual(boxes.get(node.id), { x: expected.x - 100, y: expected.y - 30, width: 200, height: 60 }, node.id);
    }
  });
});

describe('layout cache', () => {
  it('the same graph has the same key; another edge, node or folded group another', () => {
    const input = layered(3, 4);
    const key = layoutKey(input);
    assert.equal(layoutKey(layered(3, 4)), key);
    assert.equal(layoutKey({ ...input, collapsed: new Set() }), key);
    assert.notEqual(layoutKey({ ...input, edges: input.edges.slice(1) }), key);
    assert.notEqual(layoutKey({ ...input, nodes: [...input.nodes, { id: 'x', parent: null, group: false }] }), key);
    assert.notEqual(layoutKey({ ...input, nodes: input.nodes.map((node, i) => (i === 0 ? { ...node, parent: 'l1_t0' } : node)) }), key);
    assert.notEqual(layoutKey({ ...input, collapsed: new Set(['l0_t0']) }), key);
    assert.equal(layoutKey({ ...input, collapsed: new Set(['b', 'a']) }), layoutKey({ ...input, collapsed: new Set(['a', 'b']) }));
  });

  it('returns the boxes it was given for a key, and forgets the least recently used first', () => {
    const cache = new LayoutCache(2);
    const one = autoLayout(layered(2, 2));
    const two = new Map<string, Box>();
    const three = new Map<string, Box>();
    cache.set('one', one);
    cache.set('two', two);
    assert.equal(cache.get('one'), one);
    cache.set('three', three);
    assert.equal(cache.get('two'), undefined);
    assert.equal(cache.get('one'), one);
    assert.equal(cache.get('three'), three);
  });
});
