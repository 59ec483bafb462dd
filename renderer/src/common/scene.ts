/**
 * What the canvas level draws (GraphCanvas.tsx): the flow's nodes as boxes in the flow's own
 * coordinates (a node inside a group placed by its group's corner, as React Flow places it),
 * each with a style (the class names of the element it stands for, whose colours the canvas
 * borrows) and a label, and the edges between them; which of them a view shows; and which
 * box a click hits. No React, no DOM: tested on its own (test/renderer/scene.test.ts).
 */
import type { Edge, Node } from '@xyflow/react';
import { NODE_HEIGHT, NODE_WIDTH } from './layout.ts';
import type { Box } from './layout.ts';

export interface SceneNode extends Box {
  id: string;
  /** Class names of the element the node stands for (`run-node far state-failed`). */
  style: string;
  label: string;
}

export interface Scene {
  /** Groups first, so that what they hold is drawn over them and is hit first. */
  nodes: SceneNode[];
  /** Pairs of indices into `nodes`. */
  edges: { source: number; target: number }[];
}

export const EMPTY_SCENE: Scene = { nodes: [], edges: [] };

/** What the canvas shows of a node. */
export type Describe<N extends Node> = (node: N) => { style: string; label: string };

/** The scene of a flow's visible nodes (hidden ones, in folded groups, left out) and the edges between them. */
export function sceneOf<N extends Node>(nodes: readonly N[], edges: readonly Edge[], describe: Describe<N>): Scene {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const corners = new Map<string, { x: number; y: number }>();
  const corner = (node: N): { x: number; y: number } => {
    const known = corners.get(node.id);
    if (known) return known;
    const parent = node.parentId === undefined ? undefined : byId.get(node.parentId);
    const origin = parent ? corner(parent) : { x: 0, y: 0 };
    const at = { x: origin.x + node.position.x, y: origin.y + node.position.y };
    corners.set(node.id, at);
    return at;
  };
  const shown = nodes.filter((node) => !node.hidden);
  // Groups under what they hold, as React Flow stacks them (zIndex); otherwise in the flow's order.
  const ordered = [...shown.filter((node) => (node.zIndex ?? 0) <= 0), ...shown.filter((node) => (node.zIndex ?? 0) > 0)];
  const index = new Map<string, number>();
  const sceneNodes = ordered.map((node, i): SceneNode => {
    index.set(node.id, i);
    const at = corner(node);
    const width = node.width ?? node.measured?.width ?? NODE_WIDTH;
    const height = node.height ?? node.measured?.height ?? NODE_HEIGHT;
    return { id: node.id, x: at.x, y: at.y, width, height, ...describe(node) };
  });
  const sceneEdges: Scene['edges'] = [];
  for (const edge of edges) {
    const source = index.get(edge.source);
    const target = index.get(edge.target);
    if (source !== undefined && target !== undefined) sceneEdges.push({ source, target });
  }
  return { nodes: sceneNodes, edges: sceneEdges };
}

/** A view of the flow: React Flow's transform (`[x, y, zoom]`) over a pane of `width` × `height` pixels. */
export interface View {
  transform: readonly [number, number, number];
  width: number;
  height: number;
}

/** The part of the flow a view shows, in the flow's coordinates. */
export function viewBox({ transform: [x, y, zoom], width, height }: View): Box {
  return { x: -x / zoom, y: -y / zoom, width: width / zoom, height: height / zoom };
}

/** Whether two boxes overlap (touching edges count: a box at the border of the view is drawn). */
export function overlaps(a: Box, b: Box): boolean {
  return a.x <= b.x + b.width && b.x <= a.x + a.width && a.y <= b.y + b.height && b.y <= a.y + a.height;
}

/** Indices of the scene's nodes that a view shows, in drawing order. */
export function nodesInView(scene: Scene, view: View): number[] {
  const box = viewBox(view);
  const found: number[] = [];
  scene.nodes.forEach((node, i) => {
    if (overlaps(node, box)) found.push(i);
  });
  return found;
}

/** The node drawn topmost at a point of the flow (the last drawn that holds it), or undefined. */
export function hitTest(scene: Scene, point: { x: number; y: number }): SceneNode | undefined {
  for (let i = scene.nodes.length - 1; i >= 0; i--) {
    const node = scene.nodes[i]!;
    if (point.x >= node.x && point.x <= node.x + node.width && point.y >= node.y && point.y <= node.y + node.height) return node;
  }
  return undefined;
}
