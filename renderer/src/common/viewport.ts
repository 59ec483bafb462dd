/**
 * How a big graph is shown: the zoom under which nodes are drawn without their text (level of
 * detail: text smaller than this is unreadable anyway, and costs the most to draw), and where
 * a graph opens. A graph that fits at a readable zoom opens whole; a bigger one opens at a
 * readable zoom on its start (the top left, where the first tasks are), rather than as a grey
 * smudge of ten thousand unreadable boxes. No React here.
 */
import type { ReactFlowState } from '@xyflow/react';
import type { Box } from './layout.ts';

/** Under this zoom, nodes are drawn simplified: no text, no badges. */
export const DETAIL_ZOOM = 0.45;
/** The zoom a graph too big to fit readably opens at. */
export const READABLE_ZOOM = 0.8;
/** The smallest zoom a graph is fitted whole at (its text is still legible). */
export const FIT_MIN_ZOOM = 0.5;
/** Space around a graph fitted whole (a share of its size, as React Flow's fitView takes it). */
export const FIT_PADDING = 0.2;
/** Margin, in pixels, around the start of a graph opened at a readable zoom. */
const START_MARGIN = 24;

/** Whether nodes show their text at this zoom. */
export function isDetailed(zoom: number): boolean {
  return zoom >= DETAIL_ZOOM;
}

/**
 * The one store selector every node uses for its level of detail: a boolean, so a node
 * renders again only when the zoom crosses DETAIL_ZOOM, never on every frame of a zoom.
 */
export function selectDetailed(state: Pick<ReactFlowState, 'transform'>): boolean {
  return isDetailed(state.transform[2]);
}

/** The rectangle holding every box (of top-level nodes: a group's box holds its children). */
export function boundsOf(boxes: Iterable<Box>): Box | undefined {
  let left = Infinity;
  let top = Infinity;
  let right = -Infinity;
  let bottom = -Infinity;
  for (const box of boxes) {
    left = Math.min(left, box.x);
    top = Math.min(top, box.y);
    right = Math.max(right, box.x + box.width);
    bottom = Math.max(bottom, box.y + box.height);
  }
  return left === Infinity ? undefined : { x: left, y: top, width: right - left, height: bottom - top };
}

export type Opening = { fit: true } | { fit: false; viewport: { x: number; y: number; zoom: number } };

/**
 * How a graph within `bounds` opens in a pane of `pane` pixels: whole when that zoom is
 * readable (React Flow's fitView, capped at 1), else at READABLE_ZOOM on its top left corner.
 * (Hand-placed nodes may sit left of or above the laid-out ones: the corner is the bounds'.)
 */
export function openingView(bounds: Box, pane: { width: number; height: number }): Opening {
  const fitZoom = Math.min(1, pane.width / (bounds.width * (1 + FIT_PADDING)), pane.height / (bounds.height * (1 + FIT_PADDING)));
  if (fitZoom >= FIT_MIN_ZOOM) return { fit: true };
  return { fit: false, viewport: { x: START_MARGIN - bounds.x * READABLE_ZOOM, y: START_MARGIN - bounds.y * READABLE_ZOOM, zoom: READABLE_ZOOM } };
}
