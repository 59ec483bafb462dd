import type { AttemptRecord, RunRecord, Store } from '../store/store.ts';
import { isOwnerGone } from '../util/process.ts';
import { TASK_STATES } from './states.ts';
import type { TaskState } from './states.ts';

/** Thrown when a run reference matches no run, or several. */
export class RunNotFoundError extends Error {
  readonly code = 'run-not-found';
}

/** Finds a run by id, unique id prefix, or `last` (also when omitted). */
export function resolveRun(store: Store, reference: string | undefined): RunRecord {
  if (reference === undefined || reference === 'last') {
    const [latest] = store.listRuns(1);
    if (!latest) throw new RunNotFoundError(`no runs yet in ${store.home}`);
    return latest;
  }
  const matches = store.matchRuns(reference);
  if (matches.length === 0) throw new RunNotFoundError(`no run '${reference}' in ${store.home} (see 'flotilla history')`);
  if (matches.length > 1) throw new RunNotFoundError(`run '${reference}' is ambiguous: ${matches.join(', ')}`);
  return store.getRun(matches[0]!)!;
}

/** Whether a live process is driving the run now. */
export function isDriven(run: RunRecord): boolean {
  return run.owner !== null && !isOwnerGone(run.owner);
}

/** Counts of tasks per state, every state present. */
export function countStates(states: readonly { state: TaskState }[]): Record<TaskState, number> {
  const counts = Object.fromEntries(TASK_STATES.map((state) => [state, 0])) as Record<TaskState, number>;
  for (const task of states) counts[task.state]++;
  return counts;
}

/** A task with its latest attempt, for status views. */
export interface TaskStatus {
  id: string;
  state: TaskState;
  attempts: number;
  reason: string | null;
  last: AttemptRecord | undefined;
}

/** Every task of a run with its latest attempt. */
export function taskStatuses(store: Store, runId: string): TaskStatus[] {
  const latest = new Map<number, AttemptRecord>();
  for (const attempt of store.attempts(runId)) latest.set(attempt.taskIdx, attempt);
  return store.taskStates(runId).map((task) => ({ id: task.id, state: task.state, attempts: task.attempts, reason: task.reason, last: latest.get(task.idx) }));
}

/** The attempt of a task to show logs of: the given number, or the latest. */
export function findAttempt(store: Store, runId: string, taskId: string, n?: number): AttemptRecord {
  const task = store.findTask(runId, taskId);
  if (!task) {
    throw new RunNotFoundError(`run ${runId} has no task '${taskId}'`);
  }
  const attempts = store.attempts(runId, task.idx);
  if (attempts.length === 0) throw new RunNotFoundError(`task '${taskId}' of run ${runId} has not run (it is ${task.state})`);
  const attempt = n === undefined ? attempts[attempts.length - 1] : attempts.find((a) => a.n === n);
  if (!attempt) throw new RunNotFoundError(`task '${taskId}' has attempts ${attempts.map((a) => a.n).join(', ')}, not ${n}`);
  return attempt;
}
