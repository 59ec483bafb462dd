import { useEffect, useState } from 'react';
import { request } from '../api.ts';
import { useApi } from '../common/context.ts';
import { dateTime, duration } from '../common/format.ts';
import type { RunDiff, RunHeader } from '../../../core/api/types.ts';
import { commitText, paramsText } from './provenance.ts';

/** Tasks listed at most (those whose outcome changed come first). */
const LISTED = 2000;

/**
 * Two runs side by side (`runs.diff`): where each came from, the params and the workflow file
 * that differ, then every task's outcome and time in each, those whose outcome changed first.
 */
export function CompareView({ a, b, onOpen, onBack }: { a: string; b: string; onOpen: (run: string) => void; onBack: () => void }) {
  const api = useApi();
  const [diff, setDiff] = useState<RunDiff | null>(null);
  const [error, setError] = useState<string>();
  const [onlyChanged, setOnlyChanged] = useState(false);
  useEffect(() => {
    let live = true;
    setDiff(null);
    request(api, 'runs.diff', { a, b })
      .then((result) => live && setDiff(result))
      .catch((caught: Error) => live && setError(caught.message));
    return () => {
      live = false;
    };
  }, [api, a, b]);
  if (error) return <p className="page field-error">{error}</p>;
  if (!diff) return <p className="page hint">Comparing…</p>;
  const tasks = (onlyChanged ? diff.tasks.filter((task) => task.changed) : diff.tasks).slice(0, LISTED);
  const changed = diff.tasks.filter((task) => task.changed).length;
  return (
    <div className="page compare" aria-label="Compare runs">
      <div className="row">
        <button onClick={onBack}>← Runs</button>
        <h1>Compare</h1>
      </div>
      <table className="table">
        <tbody>
          <Side label="a" run={diff.a} onOpen={onOpen} />
          <Side label="b" run={diff.b} onOpen={onOpen} />
        </tbody>
      </table>
      <h2>Params</h2>
      {diff.params.length === 0 ? (
        <p className="hint">The same: {paramsText(diff.a.params) || 'none'}</p>
      ) : (
        <table className="table" aria-label="Params that differ">
          <tbody>
            {diff.params.map((param) => (
              <tr key={param.name}>
                <td className="mono">{param.name}</td>
                <td className="mono">{'a' in param ? JSON.stringify(param.a) : '(unset)'}</td>
                <td>→</td>
                <td className="mono">{'b' in param ? JSON.stringify(param.b) : '(unset)'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Workflow file</h2>
      {diff.file.note && <p className="hint">{diff.file.note}</p>}
      {diff.file.same ? (
        <p className="hint">The same text.</p>
      ) : (
        diff.file.hunks && (
          <pre className="file-diff" aria-label="Workflow file changes">
            {diff.file.hunks.map((hunk) => (
              <span key={`${hunk.a}.${hunk.b}`}>
                <span className="hunk">{`@@ -${hunk.a},${hunk.aLines} +${hunk.b},${hunk.bLines} @@\n`}</span>
                {hunk.lines.map((line, i) => (
                  <span key={i} className={line.kind === '+' ? 'added' : line.kind === '-' ? 'removed' : undefined}>{`${line.kind}${line.text}\n`}</span>
                ))}
              </span>
            ))}
          </pre>
        )
      )}
      <h2>
        Tasks <span className="hint">{changed === 0 ? 'every outcome the same' : `${changed} outcome${changed === 1 ? '' : 's'} changed`}</span>
      </h2>
      <label className="row">
        <input type="checkbox" checked={onlyChanged} onChange={(event) => setOnlyChanged(event.target.checked)} /> only those whose outcome changed
      </label>
      <table className="table" aria-label="Tasks compared">
        <thead>
          <tr>
            <th>Task</th>
            <th>a</th>
            <th>b</th>
            <th className="num">time a</th>
            <th className="num">time b</th>
            <th className="num">change</th>
          </tr>
        </thead>
        <tbody>
          {tasks.map((task) => (
            <tr key={task.task} className={task.changed ? 'changed' : undefined}>
              <td className="mono">{task.task}</td>
              <td>{task.a ? <span className={`pill state-${task.a.state}`}>{task.a.state}</span> : <span className="hint">not in a</span>}</td>
              <td>{task.b ? <span className={`pill state-${task.b.state}`}>{task.b.state}</span> : <span className="hint">not in b</span>}</td>
              <td className="num">{task.a?.ms != null ? duration(task.a.ms) : ''}</td>
              <td className="num">{task.b?.ms != null ? duration(task.b.ms) : ''}</td>
              <td className="num">{task.a?.ms && task.b?.ms != null ? `${task.b.ms >= task.a.ms ? '+' : ''}${Math.round(((task.b.ms - task.a.ms) / task.a.ms) * 100)} %` : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {diff.tasks.length > tasks.length && !onlyChanged && <p className="hint">… and {diff.tasks.length - tasks.length} more tasks</p>}
    </div>
  );
}

function Side({ label, run, onOpen }: { label: string; run: RunHeader; onOpen: (run: string) => void }) {
  const commit = commitText(run.provenance);
  return (
    <tr>
      <th>{label}</th>
      <td>
        <button className="link mono" onClick={() => onOpen(run.id)}>
          {run.id}
        </button>
      </td>
      <td>{run.name}</td>
      <td>
        <span className={`pill run-${run.state}`}>{run.state}</span>
      </td>
      <td>{dateTime(run.createdAt)}</td>
      <td className="mono" title={commit.title}>
        {commit.short && `commit ${commit.short}`}
      </td>
      <td className="hint">{run.provenance ? `Flotilla ${run.provenance.version} · ${run.provenance.user}@${run.provenance.host}` : ''}</td>
    </tr>
  );
}
