import { useMemo, useRef, useState } from 'react';
import { TASK_STATES } from '../../../core/model/task-states.ts';
import type { GraphTask, TaskState } from '../../../core/api/types.ts';

const ROW = 28;

/** Every task of the run, filtered by state and text; only the rows in view are drawn. */
export function TaskTable({ tasks, states, reasons, version, selected, onSelect }: { tasks: GraphTask[]; states: ReadonlyMap<string, TaskState>; reasons: ReadonlyMap<string, string | null>; version: number; selected: string | null; onSelect: (id: string) => void }) {
  const [state, setState] = useState<TaskState | ''>('');
  const [text, setText] = useState('');
  const [scroll, setScroll] = useState(0);
  const [height, setHeight] = useState(600);
  const body = useRef<HTMLDivElement>(null);
  const rows = useMemo(
    () => tasks.filter((task) => (state === '' || (states.get(task.id) ?? 'waiting') === state) && (text === '' || task.id.toLowerCase().includes(text.toLowerCase()) || task.target.includes(text))),
    // `version` stands for the states.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [tasks, state, text, version],
  );
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
        </span>
      </div>
      <div className="table-head" role="row">
        <span>Task</span>
        <span>State</span>
        <span>Target</span>
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
            const s = states.get(task.id) ?? 'waiting';
            return (
              <div key={task.id} role="row" className={`table-row${task.id === selected ? ' selected' : ''}`} style={{ top: (first + i) * ROW, height: ROW }} onClick={() => onSelect(task.id)}>
                <span className="mono">{task.id}</span>
                <span>
                  <span className={`pill state-${s}`}>{s}</span>
                </span>
                <span>{task.target}</span>
                <span className="hint">{reasons.get(task.id) ?? ''}</span>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
