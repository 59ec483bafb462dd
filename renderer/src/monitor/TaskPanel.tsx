import { useEffect, useState } from 'react';
import { request } from '../api.ts';
import { useApi, useNotify, useReportFailure } from '../common/context.ts';
import type { MethodArgs, MethodResult } from '../../../core/api/contract.ts';
import type { AttemptRecord, GraphTask, TaskState } from '../../../core/api/types.ts';
import { shownLoopState } from './loops.ts';
import { ACTIVE } from './model.ts';
import { useMonitorView } from './monitor-context.ts';
import { TaskFacts } from './TaskFacts.tsx';
import { TaskViews } from './TaskViews.tsx';

interface TaskPanelProps {
  run: string;
  task: string;
  state: TaskState;
  reason: string | null;
  version: number;
  onClose: () => void;
  /** The task as the run's graph has it (its loop, iteration, conditions). */
  spec?: GraphTask | undefined;
  /** A loop's control: its iterations so far and at most, and how many the graph holds. */
  loop?: { iterations: number; max: number } | undefined;
  made?: number;
}

/** A task's state and why, what decides it, its actions, and its attempts, logs and a terminal in its folder. A loop's control never runs: its loop instead. */
export function TaskPanel({ run, task, state, reason, version, onClose, spec, loop, made = 0 }: TaskPanelProps) {
  const api = useApi();
  const report = useReportFailure();
  const notify = useNotify();
  const [attempts, setAttempts] = useState<AttemptRecord[]>([]);
  const [published, setPublished] = useState<MethodResult<'tasks.values'>>(null);
  // A link to a line of its log opens that attempt's log.
  const logAt = useMonitorView((view) => (view.logAt?.task === task ? view.logAt : null));
  const [chosen, setChosen] = useState<number | undefined>(logAt?.attempt);

  useEffect(() => {
    let live = true;
    request(api, 'tasks.attempts', { run, task })
      .then((list) => live && setAttempts(list))
      .catch(report(`The attempts of ${task} could not be read`));
    request(api, 'tasks.values', { run, task })
      .then((values) => live && setPublished(values))
      .catch(report(`What ${task} published could not be read`));
    return () => {
      live = false;
    };
  }, [api, run, task, version, report]);
  useEffect(() => {
    setAttempts([]);
    setChosen(logAt?.attempt);
    // Only another task starts anew.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [task]);

  const attempt = chosen ?? attempts.at(-1)?.n;
  const active = ACTIVE.has(state) || state === 'ready' || state === 'waiting';
  const control = spec?.loop !== undefined;
  const shown = control ? shownLoopState(state, Math.max(made, loop?.iterations ?? 0)) : state;

  const act = <M extends 'runs.resubmit' | 'runs.cancel'>(label: string, method: M, args: MethodArgs<M>) =>
    request(api, method, args)
      .then((result) => notify('info', `${label}: ${task}${result && 'discards' in result && result.discards.length > 0 ? `; discarded ${result.discards.join(', ')}` : ''}`))
      .catch((error: Error) => notify('error', error.message));

  return (
    <aside className="task-panel" aria-label={`Task ${task}`}>
      <header>
        <h2>
          <code>{task}</code> <span className={`pill state-${shown}`}>{shown}</span>
        </h2>
        <button className="small" aria-label="Close task panel" onClick={onClose}>
          ✕
        </button>
      </header>
      {reason && !control && <p className="reason">{reason}</p>}
      {spec && <TaskFacts spec={spec} loop={loop} made={made} reason={reason} />}
      <div className="row">
        <button onClick={() => void act('Resubmitted', 'runs.resubmit', { run, tasks: [task], reload: true })} disabled={ACTIVE.has(state)}>
          Resubmit
        </button>
        <button onClick={() => void act('Resubmitted with downstream', 'runs.resubmit', { run, tasks: [task], downstream: true, reload: true })}>Resubmit with downstream</button>
        <button className="danger" onClick={() => void act('Cancel requested', 'runs.cancel', { run, task })} disabled={!active}>
          Cancel
        </button>
      </div>
      {!control && (
        <TaskViews key={logAt ? `${task}\n${logAt.stream}\n${logAt.attempt}\n${logAt.line}` : task} line={logAt ?? undefined} run={run} task={task} state={state} attempts={attempts} published={published} attempt={attempt} onChoose={setChosen} />
      )}
    </aside>
  );
}
