/**
 * Automatic layout: layered, left to right, one scope at a time from the innermost groups
 * out, so a group is laid out as a box sized to what it holds. Positions are relative to the
 * enclosing group, as React Flow's sub-flows want them. A scope of up to DAGRE_LIMIT nodes is
 * laid out by dagre (fewer crossings, edges balanced); a bigger one by layered.ts, in
 * milliseconds where dagre takes seconds.
 */
import { graphlib, layout as dagreLayout } from '@dagrejs/dagre';
import { layeredLayout } from './layered.ts';

export const NODE_WIDTH = 200;
export const NODE_HEIGHT = 60;
const GROUP_HEADER = 40;
const GROUP_PADDING = 20;
const NODE_SEP = 24;
const RANK_SEP = 64;
/** Nodes of one scope dagre lays out (about 0.1 s for 100 here; it grows faster than the count). */
export const DAGRE_LIMIT = 120;

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface LayoutInput {
  /** Node ids with their parent (null at the top); a node that is not a group may be bigger than NODE_WIDTH × NODE_HEIGHT. */
  nodes: { id: string; parent: string | null; group: boolean; width?: number; height?: number }[];
  edges: { source: string; target: string }[];
  /** Groups drawn closed (what they hold is not shown). */
  collapsed?: ReadonlySet<string>;
}

export function autoLayout(input: LayoutInput): Map<string, Box> {
  const boxes = new Map<string, Box>();
  const children = new Map<string | null, string[]>();
  const parent = new Map<string, string | null>();
  const group = new Set<string>();
  const own = new Map<string, { width: number; height: number }>();
  for (const node of input.nodes) {
    parent.set(node.id, node.parent);
    if (node.width !== undefined || node.height !== undefined) own.set(node.id, { width: node.width ?? NODE_WIDTH, height: node.height ?? NODE_HEIGHT });
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
    const sizes = new Map<string, { width: number; height: number }>();
    for (const id of members) {
      const holds = group.has(id) && (children.get(id)?.length ?? 0) > 0;
      // What a closed group holds is laid out too (it is there when the group opens).
      const inner = holds ? place(id) : undefined;
      sizes.set(id, inner && !input.collapsed?.has(id) ? inner : (own.get(id) ?? { width: NODE_WIDTH, height: NODE_HEIGHT }));
    }
    const edges: { source: string; target: string }[] = [];
    for (const edge of input.edges) {
      const source = inScope(edge.source, scope);
      const target = inScope(edge.target, scope);
      if (source !== undefined && target !== undefined && source !== target) edges.push({ source, target });
    }
    const corners = members.length > DAGRE_LIMIT ? layeredLayout(members.map((id) => ({ id, ...sizes.get(id)! })), edges, { rankSep: RANK_SEP, nodeSep: NODE_SEP }) : dagreCorners(members, sizes, edges);
    let width = 0;
    let height = 0;
    const offsetX = scope === null ? 0 : GROUP_PADDING;
    const offsetY = scope === null ? 0 : GROUP_HEADER;
    for (const id of members) {
      const corner = corners.get(id)!;
      const box = { x: corner.x + offsetX, y: corner.y + offsetY, ...sizes.get(id)! };
      boxes.set(id, box);
      width = Math.max(width, box.x + box.width);
      height = Math.max(height, box.y + box.height);
    }
    return { width: width + (scope === null ? 0 : GROUP_PADDING), height: height + (scope === null ? 0 : GROUP_PADDING) };
  };
  place(null);
  return boxes;
}

/** Top-left corners of one scope's nodes, by dagre. */
function dagreCorners(members: readonly string[], sizes: ReadonlyMap<string, { width: number; height: number }>, edges: readonly { source: string; target: string }[]): Map<string, { x: number; y: number }> {
  const g = new graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: NODE_SEP, ranksep: RANK_SEP, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const id of members) g.setNode(id, { ...sizes.get(id)! });
  for (const edge of edges) g.setEdge(edge.source, edge.target);
  dagreLayout(g);
  const corners = new Map<string, { x: number; y: number }>();
  for (const id of members) {
    const node = g.node(id) as { x: number; y: number; width: number; height: number };
    corners.set(id, { x: node.x - node.width / 2, y: node.y - node.height / 2 });
  }
  return corners;
}
