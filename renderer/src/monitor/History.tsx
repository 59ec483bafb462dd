import { useEffect, useState } from 'react';
import { request } from '../api.ts';
import { useApi, useNotify } from '../common/context.ts';
import { duration, when } from '../common/format.ts';
import { TASK_STATES } from '../../../core/model/task-states.ts';
import type { RunSummary } from '../../../core/api/types.ts';

/** Past and current runs, newest first: how long, how they ended; open one to see it. */
export function History({ onOpen }: { onOpen: (run: string) => void }) {
  const api = useApi();
  const notify = useNotify();
  const [runs, setRuns] = useState<RunSummary[] | null>(null);
  const [filter, setFilter] = useState('');

  useEffect(() => {
    let live = true;
    const load = () =>
      request(api, 'runs.list', { limit: 200 })
        .then((list) => live && setRuns(list))
        .catch((error: Error) => notify('error', error.message));
    void load();
    const off = api.onEvent((event) => {
      if (event.type === 'run') void load();
    });
    return () => {
      live = false;
      off();
    };
  }, [api, notify]);

  const shown = (runs ?? []).filter((run) => filter === '' || `${run.id} ${run.name} ${run.file} ${run.state}`.toLowerCase().includes(filter.toLowerCase()));
  return (
    <div className="page">
      <h1>Runs</h1>
      <div className="row">
        <input aria-label="Filter runs" placeholder="Filter by name, file, id or state" value={filter} onChange={(event) => setFilter(event.target.value)} />
      </div>
      {runs === null ? (
        <p className="hint">Loading…</p>
      ) : shown.length === 0 ? (
        <p className="hint">No runs yet: open a workflow in the editor and press Run.</p>
      ) : (
        <table className="table runs">
          <thead>
            <tr>
              <th>Run</th>
              <th>Workflow</th>
              <th>State</th>
              <th>Tasks</th>
              <th>Started</th>
              <th>Duration</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((run) => {
              const total = Object.values(run.counts).reduce((sum, n) => sum + (n ?? 0), 0);
              return (
                <tr key={run.id} className="clickable" onClick={() => onOpen(run.id)} tabIndex={0} onKeyDown={(event) => event.key === 'Enter' && onOpen(run.id)}>
                  <td className="mono">{run.id}</td>
                  <td title={run.file}>{run.name}</td>
                  <td>
                    <span className={`pill run-${run.state}`}>{run.state}</span>
                  </td>
                  <td>
                    {total}{' '}
                    <span className="hint">
                      {TASK_STATES.filter((state) => (run.counts[state] ?? 0) > 0 && state !== 'succeeded')
                        .map((state) => `${run.counts[state]} ${state}`)
                        .join(', ')}
                    </span>
                  </td>
                  <td>{when(run.createdAt)}</td>
                  <td>{duration((run.endedAt ?? Date.now()) - run.createdAt)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}
