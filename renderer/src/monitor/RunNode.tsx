import { memo } from 'react';
import { Handle, Position, useStore } from '@xyflow/react';
import type { NodeProps } from '@xyflow/react';
import { selectDetailed } from '../common/viewport.ts';
import { TASK_STATES } from '../../../core/model/task-states.ts';
import type { RunFlowNode } from './flow.ts';
import { duration } from '../common/format.ts';
import { useNow } from '../common/use-now.ts';
import { LoopNode } from './LoopNode.tsx';
import { timingText } from './model.ts';

/**
 * A task, a folded sweep with a bar of its instances' states, or a loop (LoopNode.tsx). Under
 * DETAIL_ZOOM, a box in its state's colour only (its text could not be read; a big run zoomed
 * out is thousands).
 */
export const RunNode = memo(function RunNode({ data, selected }: NodeProps<RunFlowNode>) {
  const { node, counts: count, state, loop, timing, median, retried, span } = data;
  const now = useNow(state === 'running' ? 1000 : null);
  const detailed = useStore(selectDetailed);
  const className = `run-node state-${state}${selected ? ' selected' : ''}${detailed ? '' : ' far'}`;
  const task = node.folded ? undefined : node.tasks[0];
  if (!detailed) {
    return (
      <div className={className} data-task={task} data-path={node.path} data-state={state} title={node.folded ? node.path : task}>
        <Handle type="target" position={Position.Left} isConnectable={false} />
        <Handle type="source" position={Position.Right} isConnectable={false} />
      </div>
    );
  }
  if (loop) return <LoopNode node={node} loop={loop} state={state} className={className} span={span} />;
  return (
    <div className={className} data-task={task} data-path={node.path} data-state={state}>
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <div className="wf-title">
        <span className="wf-name">{node.folded ? node.path : task}</span>
        {node.folded && <span className="badge sweep">×{node.tasks.length}</span>}
        {node.folded && (count.failed ?? 0) > 0 && <span className="badge failures">{count.failed} failed</span>}
      </div>
      {node.folded ? (
        <>
        <div className="bar" aria-label={TASK_STATES.filter((s) => count[s]).map((s) => `${count[s]} ${s}`).join(', ')}>
          {TASK_STATES.filter((s) => count[s]).map((s) => (
            <span key={s} className={`seg state-${s}`} style={{ flexGrow: count[s] }} title={`${count[s]} ${s}`} />
          ))}
        </div>
        {((median !== null && median !== undefined) || retried) && (
          <div className="wf-sub">
            {median !== null && median !== undefined && `median ${duration(median)}`}
            {retried ? `${median != null ? ' · ' : ''}${retried} retried` : ''}
          </div>
        )}
        </>
      ) : (
        <div className="wf-sub">
          {state}
          {timing && <span className="timing"> · {timingText(timing, now)}</span>}
        </div>
      )}
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
});

export const runNodeTypes = { run: RunNode };
