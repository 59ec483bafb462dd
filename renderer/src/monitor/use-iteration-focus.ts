import { useEffect, useRef } from 'react';
import { useReactFlow } from '@xyflow/react';
import type { Box } from '../common/layout.ts';
import { boundsOf, FIT_MIN_ZOOM, FIT_PADDING } from '../common/viewport.ts';
import type { MonitorShape } from './model.ts';

/**
 * Brings a loop's iteration into view when the user opens it: its tasks are new nodes, laid out
 * beside the loop's node, wherever the view was. Once the layout places them, the view centres
 * on the loop's node and that iteration's nodes, at a readable zoom (at most 1).
 */
export function useIterationFocus(shape: MonitorShape, boxes: ReadonlyMap<string, Box> | undefined, opened: ReadonlyMap<string, number>, pane: HTMLElement | null): void {
  const flow = useReactFlow();
  const seen = useRef(opened);
  /** Task id prefixes (`md#3/`) of iterations opened and not shown yet, by their control. */
  const pending = useRef(new Map<string, string>());
  useEffect(() => {
    for (const [control, index] of opened) if (seen.current.get(control) !== index) pending.current.set(control, `${control}#${index}/`);
    for (const control of pending.current.keys()) if (!opened.has(control)) pending.current.delete(control);
    seen.current = opened;
  }, [opened]);
  useEffect(() => {
    if (pending.current.size === 0 || !boxes || !pane) return;
    const shown: Box[] = [];
    for (const node of shape.nodes) {
      const first = node.tasks[0] ?? '';
      const wanted = pending.current.has(node.key) || [...pending.current.values()].some((prefix) => first.startsWith(prefix));
      if (!wanted) continue;
      const box = boxes.get(node.key);
      // The layout of the new shape is on its way: look again when it arrives.
      if (!box) return;
      shown.push(box);
    }
    pending.current.clear();
    const bounds = boundsOf(shown);
    if (!bounds) return;
    const zoom = Math.max(FIT_MIN_ZOOM, Math.min(1, pane.clientWidth / (bounds.width * (1 + FIT_PADDING)), pane.clientHeight / (bounds.height * (1 + FIT_PADDING))));
    void flow.setCenter(bounds.x + bounds.width / 2, bounds.y + bounds.height / 2, { zoom, duration: 200 });
  }, [shape, boxes, pane, flow]);
}
