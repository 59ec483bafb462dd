/**
 * The editor's nodes, memoized (React Flow renders a node again only when its data or
 * selection changes). Under DETAIL_ZOOM a task is drawn as a plain box: at that size its text
 * cannot be read, and a big graph zoomed out is thousands of them.
 */
import { memo } from 'react';
import { Handle, Position, useStore } from '@xyflow/react';
import type { Node, NodeProps } from '@xyflow/react';
import { selectDetailed } from '../common/viewport.ts';
import { useView } from './editor-context.ts';
import type { EditorNodeData } from './flow.ts';
import type { EditorNode } from './model.ts';
import { isMapping } from './model.ts';

export type { EditorNodeData };

export type TaskFlowNode = Node<EditorNodeData, 'task'>;
export type GroupFlowNode = Node<EditorNodeData, 'group'>;

function Badges({ node }: { node: EditorNode }) {
  const target = typeof node.raw.target === 'string' ? node.raw.target : undefined;
  const repeat = isMapping(node.raw.repeat) ? node.raw.repeat : undefined;
  return (
    <span className="badges">
      {node.sweep !== null && <span className="badge sweep" title="A sweep: one instance per value">×{node.sweep}</span>}
      {repeat && (
        <span className="badge loop" title={`A loop: until ${String(repeat.until)}, at most ${String(repeat.max)} iterations`}>
          ↻ ≤{String(repeat.max)}
        </span>
      )}
      {node.raw.when !== undefined && (
        <span className="badge when" title={`Runs only when ${String(node.raw.when)}`}>
          when
        </span>
      )}
      {target && <span className="badge target">{target}</span>}
    </span>
  );
}

function firstLine(run: unknown): string {
  if (typeof run !== 'string') return '';
  return run.split('\n').find((line) => line.trim() !== '') ?? '';
}

/** How the node fared in the file's latest run. */
function LastRun({ path }: { path: string }) {
  const state = useView((view) => view.lastRun?.states[path]);
  if (!state) return null;
  return (
    <span className={`pill state-${state} wf-last`} title={`In the latest run of this file: ${state}`} aria-label="Last run">
      {state}
    </span>
  );
}

export const TaskNode = memo(function TaskNode({ data, selected }: NodeProps<TaskFlowNode>) {
  const { node, problems } = data;
  const detailed = useStore(selectDetailed);
  if (!detailed) {
    return (
      <div className={`wf-node task far${problems.length > 0 ? ' invalid' : ''}${selected ? ' selected' : ''}`} data-path={node.path} title={node.path}>
        <Handle type="target" position={Position.Left} />
        <Handle type="source" position={Position.Right} />
      </div>
    );
  }
  return (
    <div className={`wf-node task${problems.length > 0 ? ' invalid' : ''}${selected ? ' selected' : ''}`} data-path={node.path} title={problems.join('\n') || undefined}>
      <Handle type="target" position={Position.Left} />
      <div className="wf-title">
        <span className="wf-name">{node.name}</span>
        <Badges node={node} />
        <LastRun path={node.path} />
      </div>
      <div className="wf-sub">{node.kind === 'include' ? `include ${String(node.raw.include)}` : firstLine(node.raw.run) || <em>no command</em>}</div>
      {problems.length > 0 && (
        <div className="wf-problem" role="note">
          {problems[0]}
          {problems.length > 1 ? ` (+${problems.length - 1})` : ''}
        </div>
      )}
      <Handle type="source" position={Position.Right} />
    </div>
  );
});

export const GroupNode = memo(function GroupNode({ data, selected }: NodeProps<GroupFlowNode>) {
  const { node, problems, collapsed } = data;
  const toggle = useView((state) => state.toggle);
  return (
    <div className={`wf-node group${collapsed ? ' collapsed' : ''}${problems.length > 0 ? ' invalid' : ''}${selected ? ' selected' : ''}`} data-path={node.path} title={problems.join('\n') || undefined}>
      <Handle type="target" position={Position.Left} />
      <div className="wf-title">
        <button className="toggle nodrag" aria-label={collapsed ? `Expand ${node.name}` : `Collapse ${node.name}`} onClick={() => toggle(node.path)}>
          {collapsed ? '▸' : '▾'}
        </button>
        <span className="wf-name">{node.name}</span>
        <Badges node={node} />
        {node.raw.repeat !== undefined && <LastRun path={node.path} />}
      </div>
      {problems.length > 0 && <div className="wf-problem">{problems[0]}</div>}
      <Handle type="source" position={Position.Right} />
    </div>
  );
});

export const nodeTypes = { task: TaskNode, group: GroupNode };
