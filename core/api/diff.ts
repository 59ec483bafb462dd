/**
 * What differs between two runs (`runs.diff`, `flotilla diff`, the app's Compare view): their
 * parameters, their workflow files (a line diff when the store kept both texts), where each came
 * from, and each task's outcome and time side by side, the tasks whose outcome changed first.
 */
import { diffLines, hunks } from '../model/line-diff.ts';
import type { Hunk } from '../model/line-diff.ts';
import type { TaskState } from '../model/task-states.ts';
import type { Store } from '../store/store.ts';
import type { RunHeader } from './types.ts';

/** A task in one of the two runs: how it ended, how many tries, how long its latest attempt ran (ms). */
export interface TaskSide {
  state: TaskState;
  attempts: number;
  ms: number | null;
}

export interface RunDiff {
  a: RunHeader;
  b: RunHeader;
  /** Parameters that differ (absent on one side: undefined there). */
  params: { name: string; a?: unknown; b?: unknown }[];
  /** The workflow files: the same text, or how they differ (`hunks` null when a text was not kept or they differ too much to show). */
  file: { same: boolean; hunks: Hunk[] | null; note: string | null };
  /** Every task of either run: those whose outcome changed first, then in the order of run b (then a). */
  tasks: { task: string; a: TaskSide | null; b: TaskSide | null; changed: boolean }[];
}

export function runDiff(store: Store, a: RunHeader, b: RunHeader): RunDiff {
  return { a, b, params: paramChanges(a.params, b.params), file: fileChange(store, a, b), tasks: taskChanges(store, a.id, b.id) };
}

function paramChanges(a: Record<string, unknown>, b: Record<string, unknown>): RunDiff['params'] {
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return names.filter((name) => JSON.stringify(a[name]) !== JSON.stringify(b[name])).map((name) => ({ name, ...(name in a ? { a: a[name] } : {}), ...(name in b ? { b: b[name] } : {}) }));
}

function fileChange(store: Store, a: RunHeader, b: RunHeader): RunDiff['file'] {
  const hashA = a.provenance?.fileHash;
  const hashB = b.provenance?.fileHash;
  const other = a.file === b.file ? '' : ` (${a.file} and ${b.file})`;
  if (hashA === undefined || hashB === undefined) return { same: false, hunks: null, note: `the workflow file of ${hashA === undefined ? a.id : b.id} was not recorded (a run of an older Flotilla)${other}` };
  if (hashA === hashB) return { same: true, hunks: [], note: other ? `two files with the same text${other}` : null };
  const textA = store.history.text(hashA);
  const textB = store.history.text(hashB);
  if (textA === undefined || textB === undefined) return { same: false, hunks: null, note: `the files differ${other}; the text of one was not kept` };
  const lines = diffLines(splitLines(textA), splitLines(textB));
  if (lines === null) return { same: false, hunks: null, note: `the files differ in too many lines to show${other}` };
  return { same: false, hunks: hunks(lines), note: other ? `two files${other}` : null };
}

function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

function sides(store: Store, runId: string): Map<string, TaskSide> {
  const tasks = store.taskStates(runId);
  const latest = new Map<number, number | null>();
  for (const attempt of store.attempts(runId)) latest.set(attempt.taskIdx, attempt.startedAt !== null && attempt.endedAt !== null ? attempt.endedAt - attempt.startedAt : null);
  return new Map(tasks.map((task) => [task.id, { state: task.state, attempts: task.attempts, ms: latest.get(task.idx) ?? null }]));
}

function taskChanges(store: Store, a: string, b: string): RunDiff['tasks'] {
  const left = sides(store, a);
  const right = sides(store, b);
  const ids = [...right.keys(), ...[...left.keys()].filter((id) => !right.has(id))];
  const rows = ids.map((task) => {
    const sideA = left.get(task) ?? null;
    const sideB = right.get(task) ?? null;
    return { task, a: sideA, b: sideB, changed: sideA?.state !== sideB?.state };
  });
  return [...rows.filter((row) => row.changed), ...rows.filter((row) => !row.changed)];
}
