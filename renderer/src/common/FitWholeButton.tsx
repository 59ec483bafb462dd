import { ControlButton, useReactFlow } from '@xyflow/react';
import type { Box } from './layout.ts';
import { FIT_PADDING } from './viewport.ts';

/**
 * The controls' "fit view", fitting the graph's bounds. React Flow's own fits the nodes it has
 * measured, and of a big graph it measures only those ever drawn as elements (the rest have
 * declared handles, handles.ts), or at the canvas level none at all.
 */
export function FitWholeButton({ bounds }: { bounds: Box | undefined }) {
  const flow = useReactFlow();
  return (
    <ControlButton className="react-flow__controls-fitview" title="Fit view" aria-label="Fit view" disabled={!bounds} onClick={() => bounds && void flow.fitBounds(bounds, { padding: FIT_PADDING })}>
      <svg viewBox="0 0 16 16" aria-hidden>
        <path d="M1 5V1h4M11 1h4v4M15 11v4h-4M5 15H1v-4" fill="none" stroke="currentColor" strokeWidth="1.6" />
      </svg>
    </ControlButton>
  );
}
