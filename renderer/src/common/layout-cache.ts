/**
 * Layouts kept by what they were computed from: the same nodes, nesting, edges and folded
 * groups give the same boxes, so an edit that changes none of them (a command, a resource,
 * a state in the monitor) never lays the graph out again. No React here.
 */
import type { Box, LayoutInput } from './layout.ts';

/** What a layout depends on (a node's own size too), as one string (two inputs with the same key lay out the same). */
export function layoutKey(input: LayoutInput): string {
  const parts: string[] = [];
  for (const node of input.nodes) {
    const size = node.width === undefined && node.height === undefined ? '' : `\u0001${node.width ?? ''}x${node.height ?? ''}`;
    parts.push(`${node.id}\u0001${node.parent ?? ''}\u0001${node.group ? 'g' : ''}${size}`);
  }
  parts.push('\u0002');
  for (const edge of input.edges) parts.push(`${edge.source}\u0001${edge.target}`);
  parts.push('\u0002');
  if (input.collapsed) parts.push(...[...input.collapsed].sort());
  return parts.join('\u0000');
}

/** The last few layouts, by key; the least recently used goes first. */
export class LayoutCache {
  private readonly entries = new Map<string, ReadonlyMap<string, Box>>();
  private readonly capacity: number;

  constructor(capacity = 4) {
    this.capacity = capacity;
  }

  get(key: string): ReadonlyMap<string, Box> | undefined {
    const boxes = this.entries.get(key);
    if (boxes) {
      // Most recently used last.
      this.entries.delete(key);
      this.entries.set(key, boxes);
    }
    return boxes;
  }

  set(key: string, boxes: ReadonlyMap<string, Box>): void {
    this.entries.delete(key);
    this.entries.set(key, boxes);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}
