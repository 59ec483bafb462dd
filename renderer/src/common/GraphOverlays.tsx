import { Background, Controls, MiniMap } from '@xyflow/react';
import type { Node } from '@xyflow/react';
import { FitWholeButton } from './FitWholeButton.tsx';
import { GraphCanvas } from './GraphCanvas.tsx';
import { CANVAS_MIN_NODES } from './level.ts';
import type { Box } from './layout.ts';
import type { Scene } from './scene.ts';

interface GraphOverlaysProps {
  /** Nodes of the graph: the background dots and the minimap are for small graphs only. */
  count: number;
  scene: Scene;
  /** Whether the graph is drawn on the canvas now (zoomed out far), not as elements. */
  canvas: boolean;
  selected: string | null;
  bounds: Box | undefined;
  /** The lock button (moving nodes), where nodes can be moved. */
  interactive?: boolean;
  miniMapClass?: (node: Node) => string;
}

/** What the editor and the monitor draw over and around their React Flow graphs, the same way. */
export function GraphOverlays({ count, scene, canvas, selected, bounds, interactive = true, miniMapClass }: GraphOverlaysProps) {
  const small = count <= CANVAS_MIN_NODES;
  return (
    <>
      {/* Its dots are drawn again across the whole pane on every frame of a pan: small graphs only. */}
      {small && <Background gap={16} />}
      <GraphCanvas scene={scene} active={canvas} selected={selected} />
      <Controls showInteractive={interactive} showFitView={false}>
        <FitWholeButton bounds={bounds} />
      </Controls>
      {small && <MiniMap pannable zoomable {...(miniMapClass ? { nodeClassName: miniMapClass } : {})} />}
    </>
  );
}
