import { useEffect, useMemo, useState } from 'react';
import { ReactFlowProvider } from '@xyflow/react';
import type { LogPlace } from '../route.ts';
import { shape } from './model.ts';
import { MonitorContext, useMonitorStores, useMonitorView, useRun } from './monitor-context.ts';
import type { MonitorStores } from './monitor-context.ts';
import { MonitorToolbar } from './MonitorToolbar.tsx';
import { RunGraphView } from './RunGraphView.tsx';
import { createRunStore } from './run-store.ts';
import { SweepPanel } from './SweepPanel.tsx';
import { TaskPanel } from './TaskPanel.tsx';
import { TaskTable } from './TaskTable.tsx';
import { Timeline } from './Timeline.tsx';
import { useResubmitFailed } from './use-resubmit.ts';
import { useFailures } from './use-failures.ts';
import { useForecast } from './use-forecast.ts';
import { useRunFeed } from './use-run-feed.ts';
import { createMonitorViewStore } from './view-store.ts';

interface MonitorProps {
  run: string;
  /** A log line to open (a link to it). */
  at?: LogPlace | undefined;
  onBack: () => void;
  onEdit: (file: string) => void;
}

/**
 * A run as it goes: its live state (run-store.ts) and the view of it (view-store.ts) are two
 * stores, made here for as long as the monitor is open and shared by its parts.
 */
export function Monitor(props: MonitorProps) {
  const [stores] = useState<MonitorStores>(() => ({ run: createRunStore(), view: createMonitorViewStore() }));
  return (
    <MonitorContext.Provider value={stores}>
      <ReactFlowProvider>
        <MonitorLayout {...props} />
      </ReactFlowProvider>
    </MonitorContext.Provider>
  );
}

function MonitorLayout({ run, at, onBack, onEdit }: MonitorProps) {
  const { view: viewStore } = useMonitorStores();
  useRunFeed(run);
  useEffect(() => {
    if (at) viewStore.getState().openLog(at);
  }, [at, viewStore]);
  const { failed, resubmit } = useResubmitFailed(run);
  const graph = useRun((state) => state.graph);
  const error = useRun((state) => state.error);
  const states = useRun((state) => state.states);
  const reasons = useRun((state) => state.reasons);
  const loops = useRun((state) => state.loops);
  const timings = useRun((state) => state.timings);
  const version = useRun((state) => state.version);
  const view = useMonitorView((state) => state.view);
  useForecast(view === 'timeline');
  const expanded = useMonitorView((state) => state.expanded);
  const opened = useMonitorView((state) => state.opened);
  const selected = useMonitorView((state) => state.selected);
  const structure = useMemo(() => (graph ? shape(graph.tasks, expanded, opened) : null), [graph, expanded, opened]);
  const failures = useFailures(structure);
  const specs = useMemo(() => new Map(graph?.tasks.map((task) => [task.id, task])), [graph]);

  // Shortcuts: R resubmit failed (preview), F / Shift+F next / previous failure, G/T/L graph, table, timeline, Escape closes the panel.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.target instanceof HTMLElement && (/^(INPUT|TEXTAREA|SELECT)$/.test(event.target.tagName) || event.target.closest('.terminal'))) return;
      const { select, show } = viewStore.getState();
      if (event.key === 'Escape') select(null);
      else if (event.key === 'g') show('graph');
      else if (event.key === 't') show('table');
      else if (event.key === 'l') show('timeline');
      else if (event.key === 'r' && failed > 0) void resubmit();
      else if (event.key === 'f' || event.key === 'F') failures.step(event.key === 'F');
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [failed, resubmit, viewStore, failures]);

  if (error) {
    return (
      <div className="page">
        <p className="field-error">{error}</p>
        <button onClick={onBack}>All runs</button>
      </div>
    );
  }

  const select = viewStore.getState().select;
  const selectedNode = selected && structure ? structure.nodes.find((node) => node.key === selected && node.folded) : undefined;
  const selectedTask = selected && !selectedNode && states.has(selected) ? selected : null;

  return (
    <div className="monitor">
      <MonitorToolbar run={run} onBack={onBack} onEdit={onEdit} failed={failed} resubmit={resubmit} onNextFailure={() => failures.step()} />
      <div className="monitor-body">
        <div className="monitor-main">
          {!graph || !structure ? (
            <p className="hint page">Loading…</p>
          ) : view === 'graph' ? (
            <RunGraphView shape={structure} />
          ) : view === 'table' ? (
            <TaskTable tasks={graph.tasks} states={states} reasons={reasons} loops={loops} timings={timings} version={version} selected={selectedTask} onSelect={select} />
          ) : (
            <Timeline run={run} version={version} onSelect={select} />
          )}
        </div>
        {selectedNode && <SweepPanel node={selectedNode} />}
        {selectedTask && (
          <TaskPanel
            run={graph?.run ?? run}
            task={selectedTask}
            state={states.get(selectedTask) ?? 'waiting'}
            reason={reasons.get(selectedTask) ?? null}
            version={version}
            onClose={() => select(null)}
            spec={specs.get(selectedTask)}
            loop={loops.get(selectedTask)}
            made={structure?.nodes.find((node) => node.key === selectedTask)?.loop?.iterations.length ?? 0}
          />
        )}
      </div>
    </div>
  );
}
