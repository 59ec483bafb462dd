import { useCallback } from 'react';
import type { Dispatch, SetStateAction } from 'react';
import { useReactFlow } from '@xyflow/react';
import type { Node } from '@xyflow/react';
import { useNotify } from '../common/context.ts';
import { NODE_HEIGHT, NODE_WIDTH } from '../common/layout.ts';
import type { Box } from '../common/layout.ts';
import { useEditorStores, useGraph, useView } from './editor-context.ts';
import type { EditorNodeData } from './flow.ts';
import { hiddenUnder } from './flow.ts';
import type { Layout } from './history.ts';
import { addNode, moveNode, parentOf, within } from './model.ts';

type Point = { x: number; y: number };

/**
 * Where things dropped on the canvas go: a node from the palette into the open group under it
 * (or the top), a dragged node into another group or out of its own, its new box kept.
 */
export function useCanvasDrops(boxes: ReadonlyMap<string, Box> | undefined, setNodes: Dispatch<SetStateAction<Node<EditorNodeData>[]>>) {
  const flow = useReactFlow();
  const notify = useNotify();
  const { doc, view } = useEditorStores();
  const graph = useGraph();
  const collapsed = useView((state) => state.collapsed);

  /** The open group under a point of the canvas (deepest first), where a dropped node goes; never `except` or what it holds. */
  const groupAt = useCallback(
    (point: Point, except?: string): string | null => {
      let found: string | null = null;
      for (const node of graph.nodes) {
        if (node.kind !== 'group' || collapsed.has(node.path) || hiddenUnder(node.path, collapsed) !== undefined) continue;
        if (except !== undefined && within(node.path, except)) continue;
        const internal = flow.getInternalNode(node.path);
        const box = boxes?.get(node.path);
        if (!internal || !box) continue;
        const { x, y } = internal.internals.positionAbsolute;
        if (point.x >= x && point.x <= x + box.width && point.y >= y && point.y <= y + box.height && (found === null || within(node.path, found))) found = node.path;
      }
      return found;
    },
    [boxes, collapsed, flow, graph],
  );

  /** Where a dragged node would go: the group under its middle, or the top (null). */
  const dropTargetOf = useCallback(
    (id: string): { group: string | null; at: Point } | undefined => {
      const internal = flow.getInternalNode(id);
      if (!internal) return undefined;
      const at = internal.internals.positionAbsolute;
      const middle = { x: at.x + (internal.measured.width ?? NODE_WIDTH) / 2, y: at.y + (internal.measured.height ?? NODE_HEIGHT) / 2 };
      return { group: groupAt(middle, id), at };
    },
    [flow, groupAt],
  );

  const onNodeDrag = useCallback(
    (_event: unknown, node: Node, dragged: Node[]) => {
      const target = dragged.length === 1 ? dropTargetOf(node.id) : undefined;
      view.getState().setDropTarget(target && target.group !== parentOf(node.id) ? target.group : null);
    },
    [dropTargetOf, view],
  );

  const onNodeDragStop = useCallback(
    (_event: unknown, _node: Node, dragged: Node[]) => {
      view.getState().setDropTarget(null);
      const { doc: current, change, edit } = doc.getState();
      // One node dropped over another group, or out of its own onto the canvas, moves there.
      const target = dragged.length === 1 ? dropTargetOf(dragged[0]!.id) : undefined;
      if (target && target.group !== parentOf(dragged[0]!.id)) {
        const path = dragged[0]!.id;
        const result = moveNode(current.value, path, target.group);
        if ('problem' in result) {
          notify('error', `Cannot move '${path}': ${result.problem}`);
          // Back where it was.
          const box = boxes?.get(path);
          if (box) setNodes((nodes) => nodes.map((node) => (node.id === path ? { ...node, position: { x: box.x, y: box.y } } : node)));
          return;
        }
        const origin = target.group === null ? { x: 0, y: 0 } : flow.getInternalNode(target.group)!.internals.positionAbsolute;
        const layout: Layout = {};
        for (const [at, position] of Object.entries(current.layout)) if (!within(at, path)) layout[at] = position;
        for (const [at, position] of Object.entries(current.layout)) if (within(at, path) && at !== path) layout[result.path + at.slice(path.length)] = position;
        layout[result.path] = { x: Math.round(target.at.x - origin.x), y: Math.round(target.at.y - origin.y) };
        change({ value: result.value, layout });
        view.getState().select(result.path);
        notify('info', target.group === null ? `Moved '${path}' to the top level` : `Moved '${path}' into '${target.group}'`);
        return;
      }
      edit(
        (value) => value,
        (layout) => {
          const next = { ...layout };
          for (const node of dragged) next[node.id] = { x: Math.round(node.position.x), y: Math.round(node.position.y) };
          return next;
        },
      );
    },
    [boxes, doc, dropTargetOf, flow, notify, setNodes, view],
  );

  /** A node from the palette dropped on the canvas: into the group under it, its box where it fell. */
  const onDrop = useCallback(
    (event: React.DragEvent) => {
      const kind = event.dataTransfer.getData('application/x-flotilla-node');
      if (kind !== 'task' && kind !== 'group') return;
      event.preventDefault();
      const point = flow.screenToFlowPosition({ x: event.clientX, y: event.clientY });
      const parent = groupAt(point);
      const { doc: current, change } = doc.getState();
      const added = addNode(current.value, parent, kind);
      const origin = parent ? flow.getInternalNode(parent)?.internals.positionAbsolute : undefined;
      const position = { x: Math.round(point.x - (origin?.x ?? 0) - NODE_WIDTH / 2), y: Math.round(point.y - (origin?.y ?? 0) - NODE_HEIGHT / 2) };
      change({ value: added.value, layout: { ...current.layout, [added.path]: position } });
      view.getState().select(added.path);
    },
    [doc, flow, groupAt, view],
  );

  return { onNodeDrag, onNodeDragStop, onDrop };
}
