import type { MonitorNode } from './model.ts';
import { useMonitorView, useRun } from './monitor-context.ts';

/** Instances listed in the panel; the table shows them all. */
const LISTED = 1000;
/** Sweeps larger than this are not expanded into the graph. */
const EXPANDABLE = 500;

/** A folded sweep's instances with their states, each one a click from its own panel. */
export function SweepPanel({ node }: { node: MonitorNode }) {
  const states = useRun((state) => state.states);
  useRun((state) => state.version);
  const select = useMonitorView((state) => state.select);
  const expand = useMonitorView((state) => state.expand);
  return (
    <aside className="task-panel" aria-label={`Sweep ${node.path}`}>
      <header>
        <h2>
          <code>{node.path}</code> <span className="badge sweep">×{node.tasks.length}</span>
        </h2>
        <button className="small" aria-label="Close" onClick={() => select(null)}>
          ✕
        </button>
      </header>
      <div className="row">
        <button onClick={() => expand(node.path)} disabled={node.tasks.length > EXPANDABLE} title={node.tasks.length > EXPANDABLE ? 'Too many to draw: use the table' : undefined}>
          Expand in graph
        </button>
      </div>
      <ul className="instances">
        {node.tasks.slice(0, LISTED).map((id) => (
          <li key={id}>
            <button className="link" onClick={() => select(id)}>
              {id}
            </button>{' '}
            <span className={`pill state-${states.get(id) ?? 'waiting'}`}>{states.get(id) ?? 'waiting'}</span>
          </li>
        ))}
        {node.tasks.length > LISTED && <li className="hint">… and {node.tasks.length - LISTED} more: see the table</li>}
      </ul>
    </aside>
  );
}
