/**
 * How a graph is drawn at a zoom: as React Flow's elements (one DOM node per task, to read,
 * drag and connect) or, for a big graph zoomed out, as one canvas (GraphCanvas.tsx). Zooming
 * out of a big graph brings hundreds, then thousands of nodes into view; mounting and measuring
 * them is what made a frame take a second, while a canvas draws ten thousand boxes in a few
 * milliseconds. And how far out a view may zoom: far enough to show the whole graph. No React.
 */
import type { Box } from './layout.ts';

export type DrawLevel = 'dom' | 'canvas';

/**
 * Graphs of up to this many nodes are always React Flow's elements: few enough to mount at any
 * zoom. Only they have a minimap: it draws every node on every frame of a pan, and at the
 * canvas level React Flow holds no nodes to draw in it.
 */
export const CANVAS_MIN_NODES = 300;
/**
 * Under this zoom a bigger graph is drawn on the canvas. A step of the wheel from a big graph's
 * opening zoom (0.8) still shows elements; the next would mount about twice as many.
 */
export const CANVAS_ZOOM = 0.6;
/** Under this zoom the canvas leaves out the edges: a blur of lines at that size, and the most ink. */
export const EDGE_ZOOM = 0.15;
/** The farthest a view zooms out when that already shows the whole graph (React Flow's own default is 0.5). */
export const MIN_ZOOM = 0.1;
/** Room left around the whole graph at the farthest zoom, as a share of the pane. */
const OVERVIEW_MARGIN = 0.1;

/** How a graph of `nodeCount` nodes is drawn at `zoom`. */
export function drawLevel(zoom: number, nodeCount: number): DrawLevel {
  return nodeCount > CANVAS_MIN_NODES && zoom < CANVAS_ZOOM ? 'canvas' : 'dom';
}

/**
 * The farthest a view of `bounds` in a pane of `pane` pixels may zoom out: MIN_ZOOM, or less
 * when the graph is too big to be seen whole there, so that zooming all the way out always
 * shows all of it. (The canvas draws that many boxes; React Flow's elements would not.)
 */
export function minZoomFor(bounds: Box | undefined, pane: { width: number; height: number }): number {
  if (!bounds || bounds.width <= 0 || bounds.height <= 0 || pane.width <= 0 || pane.height <= 0) return MIN_ZOOM;
  const whole = Math.min(pane.width / bounds.width, pane.height / bounds.height) * (1 - OVERVIEW_MARGIN);
  return Math.min(MIN_ZOOM, whole);
}
