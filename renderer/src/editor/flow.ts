/**
 * The editor's document as React Flow draws it, as pure functions of the graph (model.ts),
 * the boxes placed by hand, the groups folded and the problems found: where each node's box
 * is, which nodes a folded group hides, and the edges between what is visible (an edge into a
 * folded group is drawn to the group, once). No React here: tested on their own
 * (test/renderer/flow.test.ts).
 */
import type { Edge, Node } from '@xyflow/react';
import { autoLayout, NODE_HEIGHT, NODE_WIDTH } from '../common/layout.ts';
import type { Box } from '../common/layout.ts';
import type { Layout } from './history.ts';
import { parentOf } from './model.ts';
import type { EditorNode, Graph } from './model.ts';

/** What a node of the flow carries: its task or group, its problems, whether it is folded. */
export interface EditorNodeData extends Record<string, unknown> {
  node: EditorNode;
  problems: string[];
  collapsed: boolean;
  onToggle?: (path: string) => void;
}

/** Each node's box: laid out automatically, with what the user placed by hand kept, and groups grown to hold it. */
export function placeBoxes(graph: Graph, layout: Layout, collapsed: ReadonlySet<string>): Map<string, Box> {
  const boxes = autoLayout({
    nodes: graph.nodes.map((node) => ({ id: node.path, parent: node.parent, group: node.kind === 'group' })),
    edges: graph.edges,
    collapsed,
  });
  for (const node of graph.nodes) {
    const placed = layout[node.path];
    const box = boxes.get(node.path);
    if (placed && box) boxes.set(node.path, { ...box, x: placed.x, y: placed.y });
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

/** The outermost folded group that hides a node, if one does. */
export function hiddenUnder(path: string, collapsed: ReadonlySet<string>): string | undefined {
  let found: string | undefined;
  for (let at = parentOf(path); at !== null; at = parentOf(at)) if (collapsed.has(at)) found = at;
  return found;
}

/** The flow's nodes: one per task or group, in its box, inside its group, hidden under a folded one. */
export function flowNodes(graph: Graph, boxes: ReadonlyMap<string, Box>, collapsed: ReadonlySet<string>, problems: ReadonlyMap<string, string[]>, onToggle: (path: string) => void): Node<EditorNodeData>[] {
  return graph.nodes.map((node) => {
    const box = boxes.get(node.path)!;
    const closed = collapsed.has(node.path);
    const group = node.kind === 'group';
    return {
      id: node.path,
      type: group ? 'group' : 'task',
      position: { x: box.x, y: box.y },
      // Not held inside its group's box: dragged out (or into another group), a node moves there.
      ...(node.parent !== null ? { parentId: node.parent } : {}),
      hidden: hiddenUnder(node.path, collapsed) !== undefined,
      width: group && !closed ? box.width : NODE_WIDTH,
      height: group && !closed ? box.height : NODE_HEIGHT,
      data: { node, problems: problems.get(node.path) ?? [], collapsed: closed, onToggle },
      zIndex: group ? 0 : 1,
    };
  });
}

/**
 * The flow's edges: each `after` entry between visible nodes; one whose end a folded group
 * hides is drawn to that group instead, once (and, folded, cannot be deleted from there).
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
  return list;
}
