import { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Background, Controls, Handle, MiniMap, Position, ReactFlow, ReactFlowProvider } from '@xyflow/react';
import type { Edge, Node, NodeProps } from '@xyflow/react';
import { request } from '../api.ts';
import { useApi, useNotify, useReportFailure } from '../common/context.ts';
import { duration } from '../common/format.ts';
import { autoLayout, NODE_HEIGHT, NODE_WIDTH } from '../common/layout.ts';
import { TASK_STATES } from '../../../core/model/task-states.ts';
import type { RunGraph, RunStatus, TaskState } from '../../../core/api/types.ts';
import { ACTIVE, counts, dominant, ENDED, shape } from './model.ts';
import type { MonitorNode } from './model.ts';
import { TaskPanel } from './TaskPanel.tsx';
import { TaskTable } from './TaskTable.tsx';
import { Timeline } from './Timeline.tsx';

interface RunNodeData extends Record<string, unknown> {
  node: MonitorNode;
  counts: Partial<Record<TaskState, number>>;
  state: TaskState;
}

const RunNode = memo(function RunNode({ data, selected }: NodeProps<Node<RunNodeData>>) {
  const { node, counts: count, state } = data;
  const total = node.tasks.length;
  return (
    <div className={`run-node state-${state}${selected ? ' selected' : ''}`} data-task={node.folded ? undefined : node.tasks[0]} data-path={node.path} data-state={state}>
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <div className="wf-title">
        <span className="wf-name">{node.folded ? node.path : node.tasks[0]}</span>
        {node.folded && <span className="badge sweep">×{total}</span>}
      </div>
      {node.folded ? (
        <div className="bar" aria-label={TASK_STATES.filter((s) => count[s]).map((s) => `${count[s]} ${s}`).join(', ')}>
          {TASK_STATES.filter((s) => count[s]).map((s) => (
            <span key={s} className={`seg state-${s}`} style={{ flexGrow: count[s] }} title={`${count[s]} ${s}`} />
          ))}
        </div>
      ) : (
        <div className="wf-sub">{state}</div>
      )}
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
});

const runNodeTypes = { run: RunNode };
type View = 'graph' | 'table' | 'timeline';

export function Monitor(props: { run: string; onBack: () => void; onEdit: (file: string) => void }) {
  return (
    <ReactFlowProvider>
      <MonitorInner {...props} />
    </ReactFlowProvider>
  );
}

function MonitorInner({ run, onBack, onEdit }: { run: string; onBack: () => void; onEdit: (file: string) => void }) {
  const api = useApi();
  const report = useReportFailure();
  const notify = useNotify();
  const [graph, setGraph] = useState<RunGraph | null>(null);
  const [info, setInfo] = useState<RunStatus['run'] | null>(null);
  const [error, setError] = useState<string>();
  const [view, setView] = useState<View>('graph');
  const [expanded, setExpanded] = useState<Set<string>>(new Set());
  const [selected, setSelected] = useState<string | null>(null);
  const [preview, setPreview] = useState<{ reruns: string[]; tasks: string[] } | null>(null);
  // States live outside React; `version` re-renders what shows them, at most every 150 ms.
  const states = useRef(new Map<string, TaskState>());
  const reasons = useRef(new Map<string, string | null>());
  const [version, setVersion] = useState(0);
  const flushTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const lastEvent = useRef(0);
  /** The run's full id (`run` may be a prefix or 'last'). */
  const runId = useRef(run);

  const bump = useCallback(() => {
    if (flushTimer.current) return;
    flushTimer.current = setTimeout(() => {
      flushTimer.current = undefined;
      setVersion((v) => v + 1);
    }, 150);
  }, []);

  const refresh = useCallback(async () => {
    const status = await request(api, 'runs.status', { run });
    setInfo(status.run);
    for (const task of status.tasks) {
      states.current.set(task.id, task.state);
      reasons.current.set(task.id, task.reason);
    }
    bump();
    return status;
  }, [api, bump, run]);

  useEffect(() => {
    let live = true;
    setGraph(null);
    setSelected(null);
    states.current = new Map();
    runId.current = run;
    request(api, 'runs.graph', { run })
      .then((result) => {
        if (!live) return;
        runId.current = result.run;
        setGraph(result);
        return refresh();
      })
      .catch((caught: Error) => live && setError(caught.message));
    const off = api.onEvent((event) => {
      if (event.type === 'task' && event.runId === runId.current) {
        states.current.set(event.taskId, event.to);
        reasons.current.set(event.taskId, event.detail);
        lastEvent.current = Date.now();
        bump();
      } else if (event.type === 'run' && event.runId === runId.current) {
        void refresh().catch(report('The run could not be refreshed'));
      } else if (event.type === 'run-stopped' && event.runId === runId.current) {
        notify('error', `Run ${event.runId} stopped: ${event.message}`);
        void refresh().catch(report('The run could not be refreshed'));
      }
    });
    // A run driven by another process (the CLI) sends no events here: look every 2 s.
    const timer = setInterval(() => {
      if (Date.now() - lastEvent.current > 2000) void refresh().catch(report('The run could not be refreshed'));
    }, 2000);
    return () => {
      live = false;
      off();
      clearInterval(timer);
    };
  }, [api, run, bump, notify, refresh, report]);

  const structure = useMemo(() => (graph ? shape(graph.tasks, expanded) : null), [graph, expanded]);
  const boxes = useMemo(
    () => (structure ? autoLayout({ nodes: structure.nodes.map((node) => ({ id: node.key, parent: null, group: false })), edges: structure.edges }) : new Map()),
    [structure],
  );

  const nodes = useMemo<Node<RunNodeData>[]>(() => {
    if (!structure) return [];
    return structure.nodes.map((node) => {
      const count = counts(node.tasks, states.current);
      const box = boxes.get(node.key)!;
      return { id: node.key, type: 'run', position: { x: box.x, y: box.y }, width: NODE_WIDTH, height: NODE_HEIGHT, data: { node, counts: count, state: dominant(count) }, selected: node.key === selected || (selected !== null && structure.keyOf.get(selected) === node.key), draggable: false, connectable: false, deletable: false };
    });
    // `version` stands for the states.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [structure, boxes, version, selected]);

  const edges = useMemo<Edge[]>(() => (structure ? structure.edges.map((edge) => ({ id: `${edge.source}->${edge.target}`, source: edge.source, target: edge.target, deletable: false, animated: ACTIVE.has(states.current.get(edge.target) ?? 'waiting') })) : []), [structure]);

  const total = useMemo(() => {
    const result: Partial<Record<TaskState, number>> = {};
    for (const state of states.current.values()) result[state] = (result[state] ?? 0) + 1;
    return result;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [version]);
  const failed = (total.failed ?? 0) + (total.cancelled ?? 0);
  // The preview changes only with what failed and what waits behind it: not on every state change.
  const rerunKey = `${total.failed ?? 0},${total.cancelled ?? 0},${total.blocked ?? 0}`;
  const finished = [...states.current.values()].every((state) => ENDED.has(state));

  // What "Resubmit all failed" would run, kept current so the button shows it before the click.
  useEffect(() => {
    if (failed === 0) {
      setPreview(null);
      return;
    }
    let live = true;
    request(api, 'runs.resubmit', { run, failed: true, preview: true })
      .then((result) => live && setPreview(result))
      .catch(report('What a resubmit would run could not be worked out'));
    return () => {
      live = false;
    };
  }, [api, run, failed, report, rerunKey]);

  const resubmitFailed = async () => {
    try {
      // The workflow file as it is now: a command fixed in the editor is what runs.
      const result = await request(api, 'runs.resubmit', { run, failed: true, reload: true });
      notify('info', `Resubmitted ${result.reruns.length} task${result.reruns.length === 1 ? '' : 's'}${result.updated.length > 0 ? ` (${result.updated.length} with changed commands)` : ''}`);
    } catch (caught) {
      notify('error', (caught as Error).message);
    }
  };

  // Shortcuts: R resubmit failed (preview), G/T/L graph, table, timeline, Escape closes the panel.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.target instanceof HTMLElement && (/^(INPUT|TEXTAREA|SELECT)$/.test(event.target.tagName) || event.target.closest('.terminal'))) return;
      if (event.key === 'Escape') setSelected(null);
      else if (event.key === 'g') setView('graph');
      else if (event.key === 't') setView('table');
      else if (event.key === 'l') setView('timeline');
      else if (event.key === 'r' && failed > 0) void resubmitFailed();
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  });

  if (error) {
    return (
      <div className="page">
        <p className="field-error">{error}</p>
        <button onClick={onBack}>All runs</button>
      </div>
    );
  }

  const selectedNode = selected && structure ? structure.nodes.find((node) => node.key === selected && node.folded) : undefined;
  const selectedTask = selected && !selectedNode && states.current.has(selected) ? selected : null;

  return (
    <div className="monitor">
      <div className="toolbar" role="toolbar" aria-label="Run">
        <button onClick={onBack}>← Runs</button>
        <strong className="mono">{graph?.run ?? run}</strong>
        {info && (
          <>
            <span>{info.name}</span>
            <span className={`pill run-${info.state}`} aria-label="Run state">
              {info.state}
            </span>
            <span className="hint">{duration((info.endedAt ?? Date.now()) - info.createdAt)}</span>
            {info.stopped && (
              <span className="field-error stopped" role="status" aria-label="Why the run stopped" title={info.stopped}>
                stopped: {info.stopped}
              </span>
            )}
          </>
        )}
        <span className="counts" aria-label="Task counts">
          {TASK_STATES.filter((state) => total[state]).map((state) => (
            <span key={state} className={`pill state-${state}`}>
              {total[state]} {state}
            </span>
          ))}
        </span>
        <span className="spacer" />
        <div role="tablist" aria-label="Run views" className="tabs">
          {(['graph', 'table', 'timeline'] as const).map((name) => (
            <button key={name} role="tab" aria-selected={view === name} onClick={() => setView(name)} title={name[0]!.toUpperCase()}>
              {name === 'graph' ? 'Graph' : name === 'table' ? 'Table' : 'Timeline'}
            </button>
          ))}
        </div>
        <button
          className="primary"
          disabled={failed === 0}
          onClick={() => void resubmitFailed()}
          title={preview ? `Runs again (R): ${preview.reruns.slice(0, 30).join(', ')}${preview.reruns.length > 30 ? ', …' : ''}` : 'Nothing failed'}
          aria-describedby="resubmit-preview"
        >
          Resubmit all failed
        </button>
        {preview && failed > 0 && (
          <span id="resubmit-preview" className="hint" aria-label="Resubmit preview">
            runs again: {preview.reruns.slice(0, 3).join(', ')}
            {preview.reruns.length > 3 ? ` and ${preview.reruns.length - 3} more` : ''}
          </span>
        )}
        {!finished && (
          <button className="danger" onClick={() => void request(api, 'runs.cancel', { run }).catch((caught: Error) => notify('error', caught.message))}>
            Cancel run
          </button>
        )}
        {info?.state === 'interrupted' ? (
          <button onClick={() => void request(api, 'runs.resume', { run }).catch((caught: Error) => notify('error', caught.message))}>Resume</button>
        ) : null}
        {info && <button onClick={() => onEdit(info.file)}>Edit workflow</button>}
      </div>
      <div className="monitor-body">
        <div className="monitor-main">
          {!graph ? (
            <p className="hint page">Loading…</p>
          ) : view === 'graph' ? (
            <div className="canvas" data-testid="run-graph">
              <ReactFlow
                nodes={nodes}
                edges={edges}
                nodeTypes={runNodeTypes}
                onNodeClick={(_event, node) => setSelected(node.id)}
                onNodeDoubleClick={(_event, node) => {
                  const folded = structure?.nodes.find((n) => n.key === node.id && n.folded);
                  if (folded) setExpanded((current) => new Set([...current, folded.path]));
                }}
                onPaneClick={() => setSelected(null)}
                nodesDraggable={false}
                nodesConnectable={false}
                onlyRenderVisibleElements
                fitView
                fitViewOptions={{ maxZoom: 1, padding: 0.2 }}
                minZoom={0.05}
                proOptions={{ hideAttribution: true }}
              >
                <Background gap={16} />
                <Controls showInteractive={false} />
                <MiniMap pannable zoomable nodeClassName={(node) => `state-${(node.data as RunNodeData).state}`} />
              </ReactFlow>
            </div>
          ) : view === 'table' ? (
            <TaskTable tasks={graph.tasks} states={states.current} reasons={reasons.current} version={version} selected={selectedTask} onSelect={setSelected} />
          ) : (
            <Timeline run={run} version={version} onSelect={setSelected} />
          )}
        </div>
        {selectedNode && (
          <aside className="task-panel" aria-label={`Sweep ${selectedNode.path}`}>
            <header>
              <h2>
                <code>{selectedNode.path}</code> <span className="badge sweep">×{selectedNode.tasks.length}</span>
              </h2>
              <button className="small" aria-label="Close" onClick={() => setSelected(null)}>
                ✕
              </button>
            </header>
            <div className="row">
              <button onClick={() => setExpanded((current) => new Set([...current, selectedNode.path]))} disabled={selectedNode.tasks.length > 500} title={selectedNode.tasks.length > 500 ? 'Too many to draw: use the table' : undefined}>
                Expand in graph
              </button>
            </div>
            <ul className="instances">
              {selectedNode.tasks.slice(0, 1000).map((id) => (
                <li key={id}>
                  <button className="link" onClick={() => setSelected(id)}>
                    {id}
                  </button>{' '}
                  <span className={`pill state-${states.current.get(id) ?? 'waiting'}`}>{states.current.get(id) ?? 'waiting'}</span>
                </li>
              ))}
              {selectedNode.tasks.length > 1000 && <li className="hint">… and {selectedNode.tasks.length - 1000} more: see the table</li>}
            </ul>
          </aside>
        )}
        {selectedTask && <TaskPanel run={graph?.run ?? run} task={selectedTask} state={states.current.get(selectedTask) ?? 'waiting'} reason={reasons.current.get(selectedTask) ?? null} version={version} onClose={() => setSelected(null)} />}
      </div>
    </div>
  );
}
