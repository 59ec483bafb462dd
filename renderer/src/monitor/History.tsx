import { useEffect, useMemo, useState } from 'react';
import { request } from '../api.ts';
import { useApi, useNotify } from '../common/context.ts';
import { dateTime, duration } from '../common/format.ts';
import { TASK_STATES } from '../../../core/model/task-states.ts';
import type { RunSummary } from '../../../core/api/types.ts';
import { commitText, paramsText } from './provenance.ts';

/**
 * Past and current runs, newest first: when, how long, how they ended, the commit and params
 * each ran with; filtered by workflow and text. Open one to see it, or tick two to compare them.
 */
export function History({ onOpen, onCompare }: { onOpen: (run: string) => void; onCompare: (a: string, b: string) => void }) {
  const api = useApi();
  const notify = useNotify();
  const [runs, setRuns] = useState<RunSummary[] | null>(null);
  const [filter, setFilter] = useState('');
  const [file, setFile] = useState('');
  const [ticked, setTicked] = useState<string[]>([]);

  useEffect(() => {
    let live = true;
    const load = () =>
      request(api, 'runs.list', { limit: 500 })
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

  const files = useMemo(() => [...new Set((runs ?? []).map((run) => run.file))].sort(), [runs]);
  const needle = filter.toLowerCase();
  const shown = (runs ?? []).filter((run) => (file === '' || run.file === file) && (needle === '' || `${run.id} ${run.name} ${run.file} ${run.state} ${run.provenance?.git?.commit ?? ''}`.toLowerCase().includes(needle)));
  const tick = (id: string) => setTicked((list) => (list.includes(id) ? list.filter((other) => other !== id) : [...list.slice(-1), id]));
  return (
    <div className="page">
      <h1>Runs</h1>
      <div className="row">
        <select aria-label="Workflow" value={file} onChange={(event) => setFile(event.target.value)}>
          <option value="">all workflows</option>
          {files.map((each) => (
            <option key={each} value={each}>
              {each}
            </option>
          ))}
        </select>
        <input aria-label="Filter runs" placeholder="Filter by name, file, id, state or commit" value={filter} onChange={(event) => setFilter(event.target.value)} />
        <button
          className="primary"
          disabled={ticked.length !== 2}
          onClick={() => {
            // The earlier run is a, the later b: what changed since.
            const [a, b] = [...ticked].sort((x, y) => (runs?.find((run) => run.id === x)?.createdAt ?? 0) - (runs?.find((run) => run.id === y)?.createdAt ?? 0) || x.localeCompare(y));
            onCompare(a!, b!);
          }}
          title="Tick two runs to compare them"
        >
          Compare{ticked.length === 2 ? '' : ` (tick ${2 - ticked.length} more)`}
        </button>
      </div>
      {runs === null ? (
        <p className="hint">Loading…</p>
      ) : shown.length === 0 ? (
        <p className="hint">No runs yet: open a workflow in the editor and press Run.</p>
      ) : (
        <table className="table runs">
          <thead>
            <tr>
              <th aria-label="Compare" />
              <th>Run</th>
              <th>Workflow</th>
              <th>State</th>
              <th>Tasks</th>
              <th>Started</th>
              <th>Duration</th>
              <th>Commit</th>
              <th>Params</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((run) => {
              const total = Object.values(run.counts).reduce((sum, n) => sum + (n ?? 0), 0);
              const commit = commitText(run.provenance);
              return (
                <tr key={run.id} className="clickable" onClick={() => onOpen(run.id)} tabIndex={0} onKeyDown={(event) => event.key === 'Enter' && onOpen(run.id)}>
                  <td onClick={(event) => event.stopPropagation()}>
                    <input type="checkbox" aria-label={`Compare ${run.id}`} checked={ticked.includes(run.id)} onChange={() => tick(run.id)} />
                  </td>
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
                  <td>{dateTime(run.createdAt)}</td>
                  <td>{duration((run.endedAt ?? Date.now()) - run.createdAt)}</td>
                  <td className="mono" title={commit.title}>
                    {commit.short}
                  </td>
                  <td className="mono hint" title={paramsText(run.params)}>
                    {paramsText(run.params)}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}
