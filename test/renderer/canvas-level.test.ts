/**
 * The canvas level, without a browser: which level a zoom and a graph's size give, how far out
 * a view may zoom, the scene the canvas draws (renderer/src/common/scene.ts) from the editor's
 * and the monitor's flow nodes, what a view shows of it and what a click hits, and the handles
 * declared on flow nodes (common/handles.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Edge, Node } from '@xyflow/react';
import type { TaskState } from '../../core/api/types.ts';
import { HANDLE_SIZE, sideHandles } from '../../renderer/src/common/handles.ts';
import { autoLayout } from '../../renderer/src/common/layout.ts';
import { CANVAS_MIN_NODES, CANVAS_ZOOM, drawLevel, MIN_ZOOM, minZoomFor } from '../../renderer/src/common/level.ts';
import { hitTest, nodesInView, sceneOf, viewBox } from '../../renderer/src/common/scene.ts';
import { describeNode, flowEdges, flowNodes, layoutInput, placeBoxes } from '../../renderer/src/editor/flow.ts';
import { buildGraph } from '../../renderer/src/editor/model.ts';
import { describeRunNode, runFlowEdges, runFlowNodes } from '../../renderer/src/monitor/flow.ts';
import { shape } from '../../renderer/src/monitor/model.ts';

const box = (id: string, x: number, y: number, extra: Partial<Node> = {}): Node => ({ id, position: { x, y }, width: 100, height: 40, data: {}, ...extra });
const plain = (node: Node) => ({ style: node.type ?? 'task', label: node.id });

describe('draw level', () => {
  it('a small graph is always elements, at any zoom; a big one is one canvas under CANVAS_ZOOM', () => {
    for (const zoom of [0.01, 0.2, CANVAS_ZOOM - 0.01, 1, 2]) assert.equal(drawLevel(zoom, CANVAS_MIN_NODES), 'dom', `zoom ${zoom}`);
    assert.equal(drawLevel(CANVAS_ZOOM - 0.01, CANVAS_MIN_NODES + 1), 'canvas');
    assert.equal(drawLevel(0.03, 10_000), 'canvas');
    assert.equal(drawLevel(CANVAS_ZOOM, 10_000), 'dom');
    assert.equal(drawLevel(0.8, 10_000), 'dom');
  });

  it('zoomed all the way out, the whole graph is in view, however big; a small one stops at MIN_ZOOM', () => {
    const pane = { width: 900, height: 700 };
    assert.equal(minZoomFor({ x: 0, y: 0, width: 1000, height: 800 }, pane), MIN_ZOOM);
    const big = { x: -50, y: 0, width: 26_400, height: 8_400 };
    const zoom = minZoomFor(big, pane);
    assert.ok(zoom < MIN_ZOOM);
    assert.ok(big.width * zoom <= pane.width && big.height * zoom <= pane.height, `${zoom} shows it whole`);
    assert.equal(minZoomFor(undefined, pane), MIN_ZOOM);
    assert.equal(minZoomFor(big, { width: 0, height: 0 }), MIN_ZOOM, 'a pane not measured yet');
  });
});

describe('canvas scene', () => {
  it("a node inside a group is placed by its group's corner; hidden nodes and their edges are left out; groups come first", () => {
    const nodes = [
      box('a', 10, 10, { zIndex: 1 }),
      box('g', 200, 100, { type: 'group', width: 300, height: 200, zIndex: 0 }),
      box('g/b', 20, 40, { parentId: 'g', zIndex: 1 }),
      box('g/h/c', 5, 5, { parentId: 'g', hidden: true, zIndex: 1 }),
    ];
    const edges: Edge[] = [
      { id: 'e1', source: 'a', target: 'g/b' },
      { id: 'e2', source: 'g/b', target: 'g/h/c' },
    ];
    const scene = sceneOf(nodes, edges, plain);
    assert.deepEqual(
      scene.nodes.map((node) => [node.id, node.x, node.y, node.width, node.height, node.style]),
      [
        ['g', 200, 100, 300, 200, 'group'],
        ['a', 10, 10, 100, 40, 'task'],
        ['g/b', 220, 140, 100, 40, 'task'],
      ],
    );
    assert.deepEqual(scene.edges, [{ source: 1, target: 2 }]);
  });

  it('a view shows the nodes it overlaps; the view box is the pane in flow coordinates', () => {
    const scene = sceneOf([box('left', 0, 0), box('right', 1000, 0), box('below', 0, 1000)], [], plain);
    const view = { transform: [0, 0, 0.5] as const, width: 800, height: 400 };
    assert.deepEqual(viewBox(view), { x: -0, y: -0, width: 1600, height: 800 });
    assert.deepEqual(nodesInView(scene, view).map((i) => scene.nodes[i]!.id), ['left', 'right']);
    // Panned right by 100 flow units (50 pixels at this zoom): `left` is off the pane.
    assert.deepEqual(nodesInView(scene, { ...view, transform: [-150, 0, 0.5] }).map((i) => scene.nodes[i]!.id), ['right']);
  });

  it('a click hits the node drawn on top: a task inside a group before the group, nothing between boxes', () => {
    const scene = sceneOf([box('g', 0, 0, { type: 'group', width: 400, height: 300, zIndex: 0 }), box('g/t', 50, 50, { parentId: 'g', zIndex: 1 })], [], plain);
    assert.equal(hitTest(scene, { x: 60, y: 60 })?.id, 'g/t');
    assert.equal(hitTest(scene, { x: 150, y: 90 })?.id, 'g/t', 'the far corner of the task (50 + 100, 50 + 40)');
    assert.equal(hitTest(scene, { x: 300, y: 250 })?.id, 'g');
    assert.equal(hitTest(scene, { x: 401, y: 10 }), undefined);
  });

  it("the editor's nodes draw as their zoomed-out elements, groups as frames, with problems marked", () => {
    const graph = buildGraph({ version: 1, tasks: { prep: { run: 'a' }, stage: { after: 'prep', tasks: { one: { run: 'b' } } } } });
    const boxes = placeBoxes(graph, autoLayout(layoutInput(graph, new Set())), {}, new Set());
    const nodes = flowNodes(graph, boxes, new Set(), new Map([['stage/one', ['no target']]]));
    const scene = sceneOf(nodes, flowEdges(graph, new Set()), describeNode);
    assert.deepEqual(
      scene.nodes.map((node) => [node.id, node.style, node.label]),
      [
        ['stage', 'wf-node group', 'stage'],
        ['prep', 'wf-node task far', 'prep'],
        ['stage/one', 'wf-node task far invalid', 'one'],
      ],
    );
    const one = scene.nodes[2]!;
    assert.deepEqual([one.x, one.y], [boxes.get('stage')!.x + boxes.get('stage/one')!.x, boxes.get('stage')!.y + boxes.get('stage/one')!.y]);
    assert.deepEqual(scene.edges, [{ source: 1, target: 0 }]);
  });

  it("the monitor's nodes draw in their state's colour, a folded sweep under its path", () => {
    const tasks = [
      { id: 'a', path: 'a', after: [], target: 'local', vars: {} },
      { id: 's[0]', path: 's', after: ['a'], target: 'local', vars: {} },
      { id: 's[1]', path: 's', after: ['a'], target: 'local', vars: {} },
    ];
    const structure = shape(tasks, new Set());
    const states = new Map<string, TaskState>([
      ['a', 'succeeded'],
      ['s[0]', 'failed'],
      ['s[1]', 'running'],
    ]);
    const boxes = new Map(structure.nodes.map((node, i) => [node.key, { x: i * 300, y: 0, width: 200, height: 60 }]));
    const scene = sceneOf(runFlowNodes(structure, boxes, states, null, new Map()), runFlowEdges(structure, states), describeRunNode);
    assert.deepEqual(
      scene.nodes.map((node) => [node.id, node.style, node.label]),
      [
        ['a', 'run-node far state-succeeded', 'a'],
        ['sweep:s', 'run-node far state-failed', 's'],
      ],
    );
    assert.deepEqual(scene.edges, [{ source: 0, target: 1 }]);
  });
});

describe('declared handles', () => {
  it('each flow node declares a target handle centred on its left side and a source on its right, so React Flow need not mount it to find them', () => {
    const [target, source] = sideHandles(200, 60);
    const half = HANDLE_SIZE / 2;
    assert.deepEqual([target!.type, target!.x + half, target!.y + half], ['target', 0, 30]);
    assert.deepEqual([source!.type, source!.x + half, source!.y + half], ['source', 200, 30]);
    assert.equal(sideHandles(200, 60), sideHandles(200, 60), 'one array per size');
    const graph = buildGraph({ version: 1, tasks: { g: { tasks: { t: { run: 'x' } } } } });
    const boxes = placeBoxes(graph, autoLayout(layoutInput(graph, new Set())), {}, new Set());
    for (const node of flowNodes(graph, boxes, new Set(), new Map())) assert.equal(node.handles, sideHandles(node.width!, node.height!), node.id);
  });
});
