import { useCallback } from 'react';
import type { MouseEvent } from 'react';
import { useReactFlow } from '@xyflow/react';
import type { DrawLevel } from './level.ts';
import { hitTest } from './scene.ts';
import type { Scene } from './scene.ts';
import { READABLE_ZOOM } from './viewport.ts';

/** How long the view takes to come to a node clicked on the canvas. */
const ZOOM_IN_MS = 300;

/**
 * A click on the pane. At the DOM level React Flow's elements take clicks on nodes, so one on
 * the pane is on nothing: `onSelect(null)`. At the canvas level there are no elements: the
 * click is hit-tested on the scene, and a node hit is selected and brought to a readable zoom
 * (its elements), centred, where it can be read and edited.
 */
export function useCanvasClick(level: DrawLevel, scene: Scene, onSelect: (id: string | null) => void): (event: MouseEvent) => void {
  const flow = useReactFlow();
  return useCallback(
    (event: MouseEvent) => {
      const node = level === 'canvas' ? hitTest(scene, flow.screenToFlowPosition({ x: event.clientX, y: event.clientY })) : undefined;
      onSelect(node?.id ?? null);
      if (node) void flow.setCenter(node.x + node.width / 2, node.y + node.height / 2, { zoom: READABLE_ZOOM, duration: ZOOM_IN_MS });
    },
    [flow, level, onSelect, scene],
  );
}
