import { useEffect, useRef } from 'react';
import { useReactFlow } from '@xyflow/react';
import type { Box } from './layout.ts';
import { FIT_PADDING, openingView } from './viewport.ts';

/**
 * Places the view once per `openKey` (a file, a run) as soon as the graph's bounds are known
 * and the pane has its size: whole, or for a big graph at a readable zoom on its start
 * (viewport.ts). Null `openKey`: leave the view alone (an empty file growing its first node).
 */
export function useOpeningView(openKey: string | null, bounds: Box | undefined, pane: HTMLElement | null): void {
  const flow = useReactFlow();
  const opened = useRef<string | null>(null);
  useEffect(() => {
    if (openKey === null || !bounds || !pane || opened.current === openKey) return;
    opened.current = openKey;
    const opening = openingView(bounds, { width: pane.clientWidth, height: pane.clientHeight });
    // (React Flow's fitView waits until the nodes are measured, as its `fitView` prop does.)
    if (opening.fit) void flow.fitView({ padding: FIT_PADDING, maxZoom: 1 });
    else void flow.setViewport(opening.viewport);
  }, [openKey, bounds, pane, flow]);
}
