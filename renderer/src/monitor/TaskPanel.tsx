import { useEffect, useRef, useState } from 'react';
import { request } from '../api.ts';
import { useApi, useNotify, useReportFailure } from '../common/context.ts';
import { duration, when } from '../common/format.ts';
import type { MethodArgs } from '../../../core/api/contract.ts';
import type { AttemptRecord, TaskState } from '../../../core/api/types.ts';
import { ACTIVE, ENDED } from './model.ts';
import { TaskTerminal } from './Terminal.tsx';

type Tab = 'overview' | 'stdout' | 'stderr' | 'terminal';

/** One stream of an attempt as it is written: the core pushes what is new (`logs.follow`). */
function Log({ run, task, attempt, stream }: { run: string; task: string; attempt: number | undefined; stream: 'stdout' | 'stderr' }) {
  const api = useApi();
  const report = useReportFailure();
  const [text, setText] = useState('');
  const [error, setError] = useState<string>();
  const pre = useRef<HTMLPreElement>(null);
  useEffect(() => {
    setText('');
    setError(undefined);
    if (attempt === undefined) return;
    let follow: string | undefined;
    let live = true;
    const early: { follow: string; text: string; reset: boolean }[] = [];
    const apply = (event: { text: string; reset: boolean }) => setText((current) => ((event.reset ? '' : current) + event.text).slice(-2_000_000));
    const off = api.onEvent((event) => {
      if (event.type !== 'log') return;
      if (follow === undefined) early.push(event);
      else if (event.follow === follow) apply(event);
    });
    request(api, 'logs.follow', { run, task, stream, attempt })
      .then((result) => {
        // (An unfollow that does not arrive ends with the connection: the core drops a closed session's follows.)
        if (!live) return void request(api, 'logs.unfollow', { follow: result.follow }).catch(report('The log could not be unfollowed'));
        follow = result.follow;
        // Lines can arrive before the answer that names the follow.
        for (const event of early.splice(0)) if (event.follow === follow) apply(event);
      })
      .catch((caught: Error) => live && setError(caught.message));
    return () => {
      live = false;
      off();
      if (follow) void request(api, 'logs.unfollow', { follow }).catch(report('The log could not be unfollowed'));
    };
  }, [api, run, task, attempt, stream, report]);
  useEffect(() => {
    const element = pre.current;
    if (element) element.scrollTop = element.scrollHeight;
  }, [text]);
  if (attempt === undefined) return <p className="hint">The task has not run yet.</p>;
  if (error) return <p className="field-error">{error}</p>;
  return (
    <pre className="log" ref={pre} aria-label={`${stream} of attempt ${attempt}`} tabIndex={0}>
      {text || <span className="hint">(empty)</span>}
    </pre>
  );
}

export function TaskPanel({ run, task, state, reason, version, onClose }: { run: string; task: string; state: TaskState; reason: string | null; version: number; onClose: () => void }) {
  const api = useApi();
  const report = useReportFailure();
  const notify = useNotify();
  const [tab, setTab] = useState<Tab>('overview');
  const [attempts, setAttempts] = useState<AttemptRecord[]>([]);
  const [chosen, setChosen] = useState<number | undefined>();

  useEffect(() => {
    let live = true;
    request(api, 'tasks.attempts', { run, task })
      .then((list) => live && setAttempts(list))
      .catch(report(`The attempts of ${task} could not be read`));
    return () => {
      live = false;
    };
  }, [api, run, task, version, report]);
  useEffect(() => setChosen(undefined), [task]);

  const attempt = chosen ?? attempts.at(-1)?.n;
  const active = ACTIVE.has(state) || state === 'ready' || state === 'waiting';

  const act = <M extends 'runs.resubmit' | 'runs.cancel'>(label: string, method: M, args: MethodArgs<M>) =>
    request(api, method, args)
      .then(() => notify('info', `${label}: ${task}`))
      .catch((error: Error) => notify('error', error.message));

  return (
    <aside className="task-panel" aria-label={`Task ${task}`}>
      <header>
        <h2>
          <code>{task}</code> <span className={`pill state-${state}`}>{state}</span>
        </h2>
        <button className="small" aria-label="Close task panel" onClick={onClose}>
          ✕
        </button>
      </header>
      {reason && <p className="reason">{reason}</p>}
      <div className="row">
        <button onClick={() => void act('Resubmitted', 'runs.resubmit', { run, tasks: [task], reload: true })} disabled={ACTIVE.has(state)}>
          Resubmit
        </button>
        <button onClick={() => void act('Resubmitted with downstream', 'runs.resubmit', { run, tasks: [task], downstream: true, reload: true })}>Resubmit with downstream</button>
        <button className="danger" onClick={() => void act('Cancel requested', 'runs.cancel', { run, task })} disabled={!active}>
          Cancel
        </button>
      </div>
      <div role="tablist" className="tabs" aria-label="Task views">
        {(['overview', 'stdout', 'stderr', 'terminal'] as const).map((name) => (
          <button key={name} role="tab" aria-selected={tab === name} onClick={() => setTab(name)}>
            {name === 'overview' ? 'Attempts' : name === 'terminal' ? 'Terminal' : name}
          </button>
        ))}
        {(tab === 'stdout' || tab === 'stderr') && attempts.length > 1 && (
          <select aria-label="Attempt" value={attempt} onChange={(event) => setChosen(Number(event.target.value))}>
            {attempts.map((a) => (
              <option key={a.n} value={a.n}>
                attempt {a.n}
              </option>
            ))}
          </select>
        )}
      </div>
      <div className="tab-body">
        {tab === 'overview' &&
          (attempts.length === 0 ? (
            <p className="hint">{ENDED.has(state) ? 'It did not run (see why above).' : 'No attempt yet.'}</p>
          ) : (
            <table className="table attempts">
              <thead>
                <tr>
                  <th>#</th>
                  <th>State</th>
                  <th>Exit</th>
                  <th>Host</th>
                  <th>Job</th>
                  <th>Scheduler</th>
                  <th>Started</th>
                  <th>Duration</th>
                </tr>
              </thead>
              <tbody>
                {attempts.map((a) => (
                  <tr key={a.n} title={a.reason ?? undefined}>
                    <td>{a.n}</td>
                    <td>
                      <span className={`pill attempt-${a.state}`}>{a.state}</span>
                    </td>
                    <td>{a.exitCode ?? a.signal ?? '–'}</td>
                    <td>{a.host}</td>
                    <td className="mono">{a.jobId ?? '–'}</td>
                    <td>{a.schedulerState ?? '–'}</td>
                    <td>{when(a.startedAt ?? a.submittedAt)}</td>
                    <td>{a.startedAt ? duration((a.endedAt ?? Date.now()) - a.startedAt) : '–'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ))}
        {tab === 'overview' && <Published attempts={attempts} />}
        {(tab === 'stdout' || tab === 'stderr') && <Log run={run} task={task} attempt={attempt} stream={tab} />}
        {tab === 'terminal' && <TaskTerminal run={run} task={task} />}
      </div>
    </aside>
  );
}

/** What the task's latest successful attempt published ($FLOTILLA_VALUES): what its decisions read. */
function Published({ attempts }: { attempts: AttemptRecord[] }) {
  const last = attempts.findLast((a) => a.state === 'succeeded');
  const values = last?.values;
  if (!values || Object.keys(values).length === 0) return null;
  return (
    <section className="published" aria-label="Published values">
      <h4>Published by attempt {last.n}</h4>
      <dl>
        {Object.entries(values).map(([name, value]) => (
          <div key={name} style={{ display: 'contents' }}>
            <dt>{name}</dt>
            <dd>{JSON.stringify(value)}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
