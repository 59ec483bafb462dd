import { useState } from 'react';
import { duration, when } from '../common/format.ts';
import type { MethodResult } from '../../../core/api/contract.ts';
import type { AttemptRecord, TaskState } from '../../../core/api/types.ts';
import { ENDED } from './model.ts';
import { FailureSummary } from './FailureSummary.tsx';
import { Published } from './Published.tsx';
import { TaskLog } from './TaskLog.tsx';
import { TaskTerminal } from './Terminal.tsx';

type Tab = 'overview' | 'stdout' | 'stderr' | 'terminal';

interface TaskViewsProps {
  run: string;
  task: string;
  state: TaskState;
  attempts: AttemptRecord[];
  /** What it published (a cached task: the reused attempt). */
  published: MethodResult<'tasks.values'>;
  /** The attempt whose logs are shown. */
  attempt: number | undefined;
  onChoose: (n: number) => void;
  /** A line of one of its logs to show (a link to it). */
  line?: { stream: 'stdout' | 'stderr'; line: number } | undefined;
}

/** A task's attempts (with what the latest successful one published), their logs, and a terminal in its folder. */
export function TaskViews({ run, task, state, attempts, published, attempt, onChoose, line }: TaskViewsProps) {
  // A failed task opens on its stderr (what went wrong), under how and where it failed.
  const [tab, setTab] = useState<Tab>(line?.stream ?? (state === 'failed' && attempts.length > 0 ? 'stderr' : 'overview'));
  const [seen, setSeen] = useState(attempts.length > 0);
  if (!seen && attempts.length > 0) {
    // The attempts arrived after the panel opened: the failed task's stderr first all the same.
    setSeen(true);
    if (state === 'failed' && !line) setTab('stderr');
  }
  const latest = attempts.at(-1);
  return (
    <>
      {state === 'failed' && latest && latest.state !== 'succeeded' && <FailureSummary attempt={latest} />}
      <div role="tablist" className="tabs" aria-label="Task views">
        {(['overview', 'stdout', 'stderr', 'terminal'] as const).map((name) => (
          <button key={name} role="tab" aria-selected={tab === name} onClick={() => setTab(name)}>
            {name === 'overview' ? 'Attempts' : name === 'terminal' ? 'Terminal' : name}
          </button>
        ))}
        {(tab === 'stdout' || tab === 'stderr') && attempts.length > 1 && (
          <select aria-label="Attempt" value={attempt} onChange={(event) => onChoose(Number(event.target.value))}>
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
        {tab === 'overview' && <Published run={run} published={published} />}
        {(tab === 'stdout' || tab === 'stderr') && <TaskLog run={run} task={task} attempt={attempt} stream={tab} line={line?.stream === tab ? line.line : undefined} />}
        {tab === 'terminal' && <TaskTerminal run={run} task={task} />}
      </div>
    </>
  );
}
