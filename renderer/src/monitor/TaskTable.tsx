import { useEffect, useMemo, useRef, useState } from 'react';
import { DONE_STATES, TASK_STATES } from '../../../core/model/task-states.ts';
import type { GraphTask, TaskState } from '../../../core/api/types.ts';
import { duration } from '../common/format.ts';
import { useNow } from '../common/use-now.ts';
import { shownLoopState } from './loops.ts';
import { useMonitorView } from './monitor-context.ts';
import type { TaskTiming } from './model.ts';

const ROW = 28;

interface TaskTableProps {
  tasks: GraphTask[];
  states: ReadonlyMap<string, TaskState>;
  reasons: ReadonlyMap<string, string | null>;
  /** Loops' controls: iterations so far and at most. */
  loops: ReadonlyMap<string, { iterations: number; max: number }>;
  /** Each task's latest attempt's times, exit and tries. */
  timings: ReadonlyMap<string, TaskTiming>;
  version: number;
  selected: string | null;
  onSelect: (id: string) => void;
}

/**
 * Every task of the run, filtered by state and text; only the rows in view are drawn. A loop is
 * one row (iteration n/≤max, and its last decision); of its iterations, as `flotilla status`
 * lists them, only the tasks not done yet, unless a filter asks for them.
 */
export function TaskTable({ tasks, states, reasons, loops, timings, version, selected, onSelect }: TaskTableProps) {
  const now = useNow(1000);
  const state = useMonitorView((view) => view.filter);
  const setState = useMonitorView((view) => view.setFilter);
  const [text, setText] = useState('');
  const [scroll, setScroll] = useState(0);
  const [height, setHeight] = useState(600);
  const body = useRef<HTMLDivElement>(null);
  const rows = useMemo(
    () => {
      const all = state === '' && text === '';
      const needle = text.toLowerCase();
      return tasks.filter((task) => {
        const now = states.get(task.id) ?? 'waiting';
        if (all) return !(task.iteration && DONE_STATES.has(now));
        return (state === '' || now === state) && (text === '' || task.id.toLowerCase().includes(needle) || task.target.includes(text));
      });
    },
    // `version` stands for the states.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [tasks, state, text, version],
  );
  const hidden = state === '' && text === '' ? tasks.length - rows.length : 0;
  // A task selected from elsewhere (the next failure) is scrolled into view.
  useEffect(() => {
    const element = body.current;
    const at = selected === null ? -1 : rows.findIndex((task) => task.id === selected);
    if (!element || at < 0) return;
    if (at * ROW < element.scrollTop || (at + 1) * ROW > element.scrollTop + element.clientHeight) element.scrollTop = Math.max(0, at * ROW - element.clientHeight / 2);
  }, [selected, rows]);
  const first = Math.max(0, Math.floor(scroll / ROW) - 10);
  const last = Math.min(rows.length, Math.ceil((scroll + height) / ROW) + 10);
  return (
    <div className="task-table">
      <div className="row">
        <select aria-label="Filter by state" value={state} onChange={(event) => setState(event.target.value as TaskState | '')}>
          <option value="">all states</option>
          {TASK_STATES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <input aria-label="Filter tasks" placeholder="task id or target" value={text} onChange={(event) => setText(event.target.value)} />
        <span className="hint">
          {rows.length} of {tasks.length}
          {hidden > 0 && ` (${hidden} done tasks of loop iterations not listed: filter to find them)`}
        </span>
      </div>
      <div className="table-head" role="row">
        <span>Task</span>
        <span>State</span>
        <span>Target</span>
        <span className="num">Tries</span>
        <span className="num">Exit</span>
        <span className="num">Time</span>
        <span>Reason</span>
      </div>
      <div
        className="table-body"
        ref={body}
        role="table"
        aria-label="Tasks"
        onScroll={(event) => {
          setScroll(event.currentTarget.scrollTop);
          setHeight(event.currentTarget.clientHeight);
        }}
      >
        <div style={{ height: rows.length * ROW, position: 'relative' }}>
          {rows.slice(first, last).map((task, i) => {
            const loop = loops.get(task.id);
            const s = task.loop ? shownLoopState(states.get(task.id) ?? 'waiting', loop?.iterations ?? 0) : (states.get(task.id) ?? 'waiting');
            const reason = reasons.get(task.id) ?? '';
            const timing = timings.get(task.id);
            return (
              <div key={task.id} role="row" className={`table-row${task.id === selected ? ' selected' : ''}`} style={{ top: (first + i) * ROW, height: ROW }} onClick={() => onSelect(task.id)}>
                <span className="mono">{task.id}</span>
                <span>
                  <span className={`pill state-${s}`}>{s}</span>
                </span>
                <span>{task.target}</span>
                <span className="num">{timing?.attempts || ''}</span>
                <span className="num">{timing?.endedAt ? (timing.exitCode ?? timing.signal ?? '') : ''}</span>
                <span className="num">{timing?.startedAt ? duration((timing.endedAt ?? now) - timing.startedAt) : ''}</span>
                <span className="hint" title={reason || undefined}>
                  {task.loop ? `iteration ${loop?.iterations ?? 0}/≤${loop?.max ?? task.loop.max}${reason ? ` · ${reason}` : ''}` : reason}
                </span>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
