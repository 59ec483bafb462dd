/**
 * Automatic layout: layered (dagre), left to right, one scope at a time from the innermost
 * groups out, so a group is laid out as a box sized to what it holds. Positions are relative
 * to the enclosing group, as React Flow's sub-flows want them.
 */
import { graphlib, layout as dagreLayout } from '@dagrejs/dagre';

export const NODE_WIDTH = 200;
export const NODE_HEIGHT = 60;
const GROUP_HEADER = 40;
const GROUP_PADDING = 20;

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface LayoutInput {
  /** Node ids with their parent (null at the top). */
  nodes: { id: string; parent: string | null; group: boolean }[];
  edges: { source: string; target: string }[];
  /** Groups drawn closed (what they hold is not shown). */
  collapsed?: ReadonlySet<string>;
}

export function autoLayout(input: LayoutInput): Map<string, Box> {
  const boxes = new Map<string, Box>();
  const children = new Map<string | null, string[]>();
  const parent = new Map<string, string | null>();
  const group = new Set<string>();
  for (const node of input.nodes) {
    parent.set(node.id, node.parent);
    if (node.group) group.add(node.id);
    const list = children.get(node.parent) ?? [];
    list.push(node.id);
    children.set(node.parent, list);
  }
  /** The ancestor of `id` (or itself) that sits directly in `scope`. */
  const inScope = (id: string, scope: string | null): string | undefined => {
    let at: string | undefined = id;
    while (at !== undefined && parent.get(at) !== scope) {
      const up = parent.get(at);
      at = up === null ? undefined : up;
    }
    return at;
  };
  const place = (scope: string | null): { width: number; height: number } => {
    const members = children.get(scope) ?? [];
    const g = new graphlib.Graph();
    g.setGraph({ rankdir: 'LR', nodesep: 24, ranksep: 64, marginx: 0, marginy: 0 });
    g.setDefaultEdgeLabel(() => ({}));
    for (const id of members) {
      const holds = group.has(id) && (children.get(id)?.length ?? 0) > 0;
      // What a closed group holds is laid out too (it is there when the group opens).
      const inner = holds ? place(id) : undefined;
      g.setNode(id, inner && !input.collapsed?.has(id) ? inner : { width: NODE_WIDTH, height: NODE_HEIGHT });
    }
    for (const edge of input.edges) {
      const source = inScope(edge.source, scope);
      const target = inScope(edge.target, scope);
      if (source !== undefined && target !== undefined && source !== target) g.setEdge(source, target);
    }
    dagreLayout(g);
    let width = 0;
    let height = 0;
    const offsetX = scope === null ? 0 : GROUP_PADDING;
    const offsetY = scope === null ? 0 : GROUP_HEADER;
    for (const id of members) {
      const node = g.node(id) as { x: number; y: number; width: number; height: number };
      const box = { x: node.x - node.width / 2 + offsetX, y: node.y - node.height / 2 + offsetY, width: node.width, height: node.height };
      boxes.set(id, box);
      width = Math.max(width, box.x + box.width);
      height = Math.max(height, box.y + box.height);
    }
    return { width: width + (scope === null ? 0 : GROUP_PADDING), height: height + (scope === null ? 0 : GROUP_PADDING) };
  };
  place(null);
  return boxes;
}
