/**
 * The editor's document as React Flow draws it, as pure functions of the graph (model.ts),
 * the automatic layout, the boxes placed by hand, the groups folded and the problems found:
 * where each node's box is, which nodes a folded group hides, and the edges between what is
 * visible (an edge into a folded group is drawn to the group, once). Node data is plain data:
 * what a node does when clicked is the editor's, through its stores. No React here: tested on
 * their own (test/renderer/flow.test.ts).
 */
import type { Edge, Node } from '@xyflow/react';
import { NODE_HEIGHT, NODE_WIDTH } from '../common/layout.ts';
import type { Box, LayoutInput } from '../common/layout.ts';
import { sideHandles } from '../common/handles.ts';
import type { Layout } from './history.ts';
import { parentOf } from './model.ts';
import type { EditorNode, Graph } from './model.ts';

/** What a node of the flow carries: its task or group, its problems, whether it is folded. */
export interface EditorNodeData extends Record<string, unknown> {
  node: EditorNode;
  problems: string[];
  collapsed: boolean;
}

/** What the automatic layout of the graph depends on (common/layout.ts). */
export function layoutInput(graph: Graph, collapsed: ReadonlySet<string>): LayoutInput {
  return {
    nodes: graph.nodes.map((node) => ({ id: node.path, parent: node.parent, group: node.kind === 'group' })),
    // What a node reads orders it as an `after` does.
    edges: [...graph.edges, ...graph.reads].map((edge) => ({ source: edge.source, target: edge.target })),
    collapsed,
  };
}

/**
 * Each node's box: as laid out automatically (`auto`, shared with the layout cache, so never
 * changed here), with what the user placed by hand kept, and groups grown to hold it. A node
 * the layout does not know yet (its layout is on its way) stands at the top left corner.
 */
export function placeBoxes(graph: Graph, auto: ReadonlyMap<string, Box>, layout: Layout, collapsed: ReadonlySet<string>): Map<string, Box> {
  const boxes = new Map<string, Box>();
  for (const node of graph.nodes) {
    const box = auto.get(node.path) ?? { x: 0, y: 0, width: NODE_WIDTH, height: NODE_HEIGHT };
    const placed = layout[node.path];
    boxes.set(node.path, placed ? { ...box, x: placed.x, y: placed.y } : { ...box });
  }
  // Groups grow to hold children placed by hand; innermost first.
  for (const node of [...graph.nodes].reverse()) {
    if (node.kind !== 'group' || collapsed.has(node.path)) continue;
    const box = boxes.get(node.path)!;
    for (const child of graph.nodes) {
      if (child.parent !== node.path) continue;
      const inner = boxes.get(child.path)!;
      box.width = Math.max(box.width, inner.x + inner.width + 20);
      box.height = Math.max(box.height, inner.y + inner.height + 20);
    }
  }
  return boxes;
}

const NONE: string[] = [];

/** The outermost folded group that hides a node, if one does. */
export function hiddenUnder(path: string, collapsed: ReadonlySet<string>): string | undefined {
  let found: string | undefined;
  for (let at = parentOf(path); at !== null; at = parentOf(at)) if (collapsed.has(at)) found = at;
  return found;
}

/** The flow's nodes: one per task or group, in its box, inside its group, hidden under a folded one. */
export function flowNodes(graph: Graph, boxes: ReadonlyMap<string, Box>, collapsed: ReadonlySet<string>, problems: ReadonlyMap<string, string[]>): Node<EditorNodeData>[] {
  return graph.nodes.map((node) => {
    const box = boxes.get(node.path)!;
    const closed = collapsed.has(node.path);
    const group = node.kind === 'group';
    const width = group && !closed ? box.width : NODE_WIDTH;
    const height = group && !closed ? box.height : NODE_HEIGHT;
    return {
      id: node.path,
      type: group ? 'group' : 'task',
      position: { x: box.x, y: box.y },
      // Not held inside its group's box: dragged out (or into another group), a node moves there.
      ...(node.parent !== null ? { parentId: node.parent } : {}),
      hidden: hiddenUnder(node.path, collapsed) !== undefined,
      width,
      height,
      handles: sideHandles(width, height),
      data: { node, problems: problems.get(node.path) ?? NONE, collapsed: closed },
      zIndex: group ? 0 : 1,
    };
  });
}

/**
 * The flow's edges: each `after` entry between visible nodes; one whose end a folded group
 * hides is drawn to that group instead, once (and, folded, cannot be deleted from there).
 * Then the values a node reads of tasks no `after` names (dashed).
 */
export function flowEdges(graph: Graph, collapsed: ReadonlySet<string>): Edge[] {
  const seen = new Set<string>();
  const list: Edge[] = [];
  for (const edge of graph.edges) {
    const source = hiddenUnder(edge.source, collapsed) ?? edge.source;
    const target = hiddenUnder(edge.target, collapsed) ?? edge.target;
    if (source === target) continue;
    const folded = source !== edge.source || target !== edge.target;
    const id = folded ? `${source}->${target}` : edge.id;
    if (seen.has(id)) continue;
    seen.add(id);
    list.push({ id, source, target, deletable: !folded, data: { entry: edge.entry, holder: edge.target }, zIndex: 2 });
  }
  // What a node reads of another's values makes it run after it: drawn dashed, changed in the expression.
  for (const edge of graph.reads) {
    const source = hiddenUnder(edge.source, collapsed) ?? edge.source;
    const target = hiddenUnder(edge.target, collapsed) ?? edge.target;
    const id = `${source}->${target}`;
    if (source === target || seen.has(id)) continue;
    seen.add(id);
    list.push({ id: `reads:${id}`, source, target, deletable: false, className: 'reads', data: { entry: '', holder: edge.target }, zIndex: 2 });
  }
  return list;
}

/**
 * The nodes React Flow is given next: `built` with the selection and the drop target marked,
 * keeping each node of `previous` that is unchanged (same data, same marks) as the same object,
 * with what React Flow measured of it, so that a click does not make it take in every node
 * of a big graph again.
 */
export function markNodes(previous: readonly Node<EditorNodeData>[], built: readonly Node<EditorNodeData>[], selected: string | null, dropTarget: string | null): Node<EditorNodeData>[] {
  const old = new Map(previous.map((node) => [node.id, node]));
  return built.map((node) => {
    const before = old.get(node.id);
    const marks = { selected: node.id === selected, ...(node.type === 'group' ? { className: node.id === dropTarget ? 'drop-target' : '' } : {}) };
    if (before && before.data === node.data && before.selected === marks.selected && before.className === marks.className) return before;
    return { ...node, ...marks, ...(before?.measured ? { measured: before.measured } : {}) };
  });
}

/**
 * What the canvas level draws of a node (common/scene.ts): the classes of its element as
 * drawn zoomed out (a task a plain box, red-edged with problems; a group its frame) and its name.
 */
export function describeNode(node: Node<EditorNodeData>): { style: string; label: string } {
  const { node: task, problems, collapsed } = node.data;
  const invalid = problems.length > 0 ? ' invalid' : '';
  const style = node.type === 'group' ? `wf-node group${collapsed ? ' collapsed' : ''}${invalid}` : `wf-node task far${invalid}`;
  return { style, label: task.name };
}
