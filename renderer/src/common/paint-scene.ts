/**
 * Paints a scene (scene.ts) on a 2D canvas for one view: boxes batched by style (one path and
 * one fill per colour, not one per box), edges as one path, names once they can be read. The
 * context is scaled to the view's transform, so everything is given in the flow's coordinates.
 * Colours come from the page's own styles (readPalette), so the canvas follows the theme and
 * matches the elements it stands in for.
 */
import { DETAIL_ZOOM } from './viewport.ts';
import { EDGE_ZOOM } from './level.ts';
import { nodesInView, overlaps, viewBox } from './scene.ts';
import type { Scene, View } from './scene.ts';

export interface Palette {
  /** By style (a node's class names): its fill, its border, its text. */
  styles: Map<string, { fill: string; stroke: string; text: string }>;
  edge: string;
  selected: string;
}

/** Boxes narrower than this many pixels get no border: it would cover them. */
const BORDER_MIN_PX = 12;
/** Text, in the flow's pixels, as the elements set their names (14px, semibold). */
const LABEL_FONT = '600 14px system-ui, sans-serif';
const LABEL_INSET = { x: 10, y: 24 };

/** Reads each style's colours from its probe element (`data-style`) under `probes`, and the edges' and the selection's. */
export function readPalette(probes: HTMLElement): Palette {
  const styles: Palette['styles'] = new Map();
  let edge = 'gray';
  let selected = 'blue';
  for (const probe of probes.querySelectorAll<HTMLElement>('[data-style]')) {
    const computed = getComputedStyle(probe);
    const key = probe.dataset.style!;
    if (key === 'edge') edge = computed.color;
    else if (key === 'selected') selected = computed.color;
    else styles.set(key, { fill: computed.backgroundColor, stroke: computed.borderTopColor, text: computed.color });
  }
  return { styles, edge, selected };
}

/** Paints `scene` as `view` shows it, `selected` outlined; returns how many nodes were drawn. */
export function paintScene(context: CanvasRenderingContext2D, scene: Scene, view: View, palette: Palette, selected: string | null): number {
  const [x, y, zoom] = view.transform;
  const ratio = context.canvas.width / Math.max(1, view.width);
  context.setTransform(1, 0, 0, 1, 0, 0);
  context.clearRect(0, 0, context.canvas.width, context.canvas.height);
  context.setTransform(ratio * zoom, 0, 0, ratio * zoom, ratio * x, ratio * y);
  const shown = nodesInView(scene, view);
  if (zoom >= EDGE_ZOOM) paintEdges(context, scene, view, palette.edge);

  const byStyle = new Map<string, number[]>();
  for (const i of shown) {
    const style = scene.nodes[i]!.style;
    const list = byStyle.get(style);
    if (list) list.push(i);
    else byStyle.set(style, [i]);
  }
  const bordered = scene.nodes.length > 0 && scene.nodes[0]!.width * zoom >= BORDER_MIN_PX;
  context.lineWidth = 1 / zoom;
  for (const [style, indices] of byStyle) {
    const colours = palette.styles.get(style) ?? { fill: 'gray', stroke: 'gray', text: 'black' };
    context.beginPath();
    for (const i of indices) {
      const node = scene.nodes[i]!;
      context.rect(node.x, node.y, node.width, node.height);
    }
    context.fillStyle = colours.fill;
    context.fill();
    if (bordered) {
      context.strokeStyle = colours.stroke;
      context.stroke();
    }
  }
  if (zoom >= DETAIL_ZOOM) paintLabels(context, scene, shown, palette);
  paintSelected(context, scene, selected, zoom, palette.selected);
  return shown.length;
}

/** Each edge in view as a curve from its source's right side to its target's left, as React Flow draws them; one stroke for all. */
function paintEdges(context: CanvasRenderingContext2D, scene: Scene, view: View, colour: string): void {
  const box = viewBox(view);
  context.beginPath();
  for (const edge of scene.edges) {
    const source = scene.nodes[edge.source]!;
    const target = scene.nodes[edge.target]!;
    const fromX = source.x + source.width;
    const fromY = source.y + source.height / 2;
    const toX = target.x;
    const toY = target.y + target.height / 2;
    const span = { x: Math.min(fromX, toX), y: Math.min(fromY, toY), width: Math.abs(toX - fromX), height: Math.abs(toY - fromY) };
    if (!overlaps(span, box)) continue;
    const middle = (fromX + toX) / 2;
    context.moveTo(fromX, fromY);
    context.bezierCurveTo(middle, fromY, middle, toY, toX, toY);
  }
  context.strokeStyle = colour;
  context.stroke();
}

function paintLabels(context: CanvasRenderingContext2D, scene: Scene, shown: readonly number[], palette: Palette): void {
  context.font = LABEL_FONT;
  context.textBaseline = 'alphabetic';
  for (const i of shown) {
    const node = scene.nodes[i]!;
    context.fillStyle = palette.styles.get(node.style)?.text ?? 'black';
    // (maxWidth squeezes a long name into its box rather than past it.)
    context.fillText(node.label, node.x + LABEL_INSET.x, node.y + LABEL_INSET.y, node.width - 2 * LABEL_INSET.x);
  }
}

function paintSelected(context: CanvasRenderingContext2D, scene: Scene, selected: string | null, zoom: number, colour: string): void {
  const node = selected === null ? undefined : scene.nodes.find((candidate) => candidate.id === selected);
  if (!node) return;
  // At least two pixels wide, and a little outside the box, so that it shows on the smallest.
  const width = 2 / zoom;
  context.lineWidth = width;
  context.strokeStyle = colour;
  context.strokeRect(node.x - width, node.y - width, node.width + 2 * width, node.height + 2 * width);
}
