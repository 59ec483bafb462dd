import { useCallback, useMemo } from 'react';
import type { MouseEvent } from 'react';
import { useStore } from '@xyflow/react';
import type { Edge, Node, ReactFlowState } from '@xyflow/react';
import type { Box } from './layout.ts';
import { drawLevel, minZoomFor } from './level.ts';
import type { DrawLevel } from './level.ts';
import { EMPTY_SCENE, sceneOf } from './scene.ts';
import type { Describe, Scene } from './scene.ts';
import { useCanvasClick } from './use-canvas-click.ts';

export interface CanvasLevel<N extends Node> {
  level: DrawLevel;
  /** The nodes React Flow is given: the flow's at the DOM level, none at the canvas level. */
  nodes: N[];
  /** What GraphCanvas draws: the flow's scene at the canvas level, else nothing. */
  scene: Scene;
  /** The farthest zoom: the whole graph in view (level.ts). */
  minZoom: number;
  /** React Flow's onPaneClick: at the canvas level, a click on a node selects it (use-canvas-click.ts). */
  onPaneClick: (event: MouseEvent) => void;
}

// The same empty array every time, so that React Flow takes in nothing new while at the canvas level.
const NO_NODES: never[] = [];

/**
 * A view's graph at the level its zoom and size give it (level.ts), as React Flow and the
 * canvas take it. The level is a string from React Flow's store: the view renders again only
 * when a zoom crosses its threshold, never on every frame of a zoom. The scene is built only
 * at the canvas level; `describe` should be a function of module scope. React Flow keeps the
 * edges at both levels: without their nodes it draws none of them, and taking them away would
 * make it rebuild its lookup of every connection (20,000 in a big graph) on the way back.
 */
export function useCanvasLevel<N extends Node>(nodes: N[], edges: Edge[], describe: Describe<N>, bounds: Box | undefined, onSelect: (id: string | null) => void): CanvasLevel<N> {
  const count = nodes.length;
  const level = useStore(useCallback((state: ReactFlowState) => drawLevel(state.transform[2], count), [count]));
  const width = useStore((state) => state.width);
  const height = useStore((state) => state.height);
  const scene = useMemo(() => (level === 'canvas' ? sceneOf(nodes, edges, describe) : EMPTY_SCENE), [level, nodes, edges, describe]);
  const onPaneClick = useCanvasClick(level, scene, onSelect);
  const drawn = level === 'dom';
  return { level, nodes: drawn ? nodes : NO_NODES, scene, minZoom: minZoomFor(bounds, { width, height }), onPaneClick };
}
