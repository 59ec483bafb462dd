import { Handle, Position } from '@xyflow/react';
import type { LoopView } from './loops.ts';
import type { MonitorNode } from './model.ts';
import { duration } from '../common/format.ts';
import { useNow } from '../common/use-now.ts';
import { useMonitorView } from './monitor-context.ts';
import type { TaskState } from '../../../core/api/types.ts';

interface LoopNodeProps {
  node: MonitorNode;
  loop: LoopView;
  state: TaskState;
  className: string;
  /** From its first task's start to its last one's end (null while one runs). */
  span?: { from: number; to: number | null } | undefined;
}

/**
 * A loop as one node, however many iterations it ran: how many so far and at most, a cell per
 * latest iteration in its state's colour, and what the latest iteration published. A cell (or
 * the expand button, for the latest) draws that one iteration's tasks as nodes of their own.
 */
export function LoopNode({ node, loop, state, className, span }: LoopNodeProps) {
  const openIteration = useMonitorView((view) => view.openIteration);
  const now = useNow(span && span.to === null ? 1000 : null);
  const control = node.key;
  const latest = loop.cells.at(-1)?.index;
  const toggle = () => openIteration(control, loop.open === null ? (latest ?? null) : null);
  return (
    <div className={`${className} loop-node`} data-task={control} data-path={node.path} data-state={state} data-loop={control}>
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <div className="wf-title">
        <span className="wf-name">{control}</span>
        <span className="badge loop">loop</span>
        <button
          className="small nodrag loop-toggle"
          disabled={latest === undefined}
          aria-label={loop.open === null ? `Expand an iteration of ${control}` : `Fold ${control}#${loop.open}`}
          onClick={(event) => {
            event.stopPropagation();
            toggle();
          }}
        >
          {loop.open === null ? '▸ expand' : `▾ #${loop.open}`}
        </button>
      </div>
      <div className="loop-count">
        iteration {loop.made} <span className="hint">(of at most {loop.max})</span> · {state}
        {span && <span className="timing"> · {duration((span.to ?? now) - span.from)}</span>}
      </div>
      <div className="loop-strip" role="group" aria-label={`Iterations of ${control}`}>
        {loop.earlier > 0 && <span className="earlier">+{loop.earlier} earlier</span>}
        {loop.cells.map((cell) => (
          <button
            key={cell.index}
            className={`seg cell nodrag state-${cell.state}${cell.index === loop.open ? ' open' : ''}`}
            title={`${control}#${cell.index}: ${cell.state}`}
            aria-label={`Iteration ${cell.index}: ${cell.state}`}
            aria-pressed={cell.index === loop.open}
            onClick={(event) => {
              event.stopPropagation();
              openIteration(control, cell.index === loop.open ? null : cell.index);
            }}
          />
        ))}
      </div>
      <div className="wf-sub loop-values" title={loop.values.join('\n')}>
        {loop.valuesOf === null ? 'no values published yet' : `#${loop.valuesOf}: ${loop.values.join(' · ')}`}
      </div>
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
}
