import type { AttemptRecord, RunRecord, Store } from '../store/store.ts';
import { isOwnerGone, selfOwner } from '../util/process.ts';
import { iterationOfId } from '../model/iteration.ts';
import { TASK_STATES } from '../model/task-states.ts';
import { resubmitWalk } from './states.ts';
import type { TaskState } from '../model/task-states.ts';
import { CodedError } from '../model/errors.ts';
import type { TaskStatus } from '../store/records.ts';

/** Thrown when a run reference matches no run, or several. */
export class RunNotFoundError extends CodedError {
  constructor(message: string) {
    super('no-such-run', message);
  }
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

/** Whether another live process is driving the run now (this one's own runs do not count). */
export function isDriven(run: RunRecord): boolean {
  return run.owner !== null && run.owner !== selfOwner() && !isOwnerGone(run.owner);
}

/** Counts of tasks per state, every state present. */
export function countStates(states: readonly { state: TaskState }[]): Record<TaskState, number> {
  const counts = Object.fromEntries(TASK_STATES.map((state) => [state, 0])) as Record<TaskState, number>;
  for (const task of states) counts[task.state]++;
  return counts;
}

export type { TaskStatus } from '../store/records.ts';

/** Every task of a run with its latest attempt. */
export function taskStatuses(store: Store, runId: string): TaskStatus[] {
  const latest = new Map<number, AttemptRecord>();
  for (const attempt of store.attempts(runId)) latest.set(attempt.taskIdx, attempt);
  const loops = store.loopMaxima(runId);
  const tasks = store.taskStates(runId);
  const iterations = new Map<string, number>();
  if (loops.size > 0) {
    for (const task of tasks) {
      const at = iterationOfId(task.id);
      // (Iterations a resubmit discarded count once they are made again.)
      if (at && !task.reason?.startsWith('discarded')) iterations.set(at.of, Math.max(iterations.get(at.of) ?? 0, at.index + 1));
    }
  }
  return tasks.map((task) => {
    const max = loops.get(task.idx);
    return { id: task.id, state: task.state, attempts: task.attempts, reason: task.reason, last: latest.get(task.idx), ...(max === undefined ? {} : { loop: { iterations: iterations.get(task.id) ?? 0, max } }) };
  });
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


/**
 * The tasks a resubmit of `named` runs again, as the runner decides it (`Runner.resubmit`):
 * the named ones, blocked or cancelled tasks downstream of them, and with `downstream` every
 * task downstream (a running one once it ends). In the run's order.
 */
export function rerunsOf(store: Store, runId: string, named: readonly string[], downstream: boolean): { reruns: string[]; discards: string[] } {
  const states = store.taskStates(runId);
  const index = new Map(states.map((task, i) => [task.id, i]));
  const dependents: number[][] = states.map(() => []);
  const loops = new Set<number>();
  for (const { idx, after, loop, of } of store.taskDependencies(runId)) {
    for (const dep of after) dependents[index.get(dep)!]!.push(idx);
    // A loop waits for the tasks of its iterations.
    if (of !== null) dependents[idx]!.push(index.get(of)!);
    if (loop) loops.add(idx);
  }
  // As the runner's `goesWith`: a loop, or a task after the one that runs again in the same iteration.
  const place = (i: number) => iterationOfId(states[i]!.id);
  const follows = (from: number, to: number) => loops.has(to) || (place(from) !== undefined && place(from)?.of === place(to)?.of && place(from)?.index === place(to)?.index);
  const reruns = [...resubmitWalk(named.map((id) => index.get(id)!), downstream, (i) => states[i]!.state, (i) => dependents[i]!, follows)].map((step) => step.task);
  const ids = reruns.sort((x, y) => x - y).map((i) => states[i]!.id);
  return { reruns: ids, discards: passedIterations(states, ids) };
}

/**
 * The iterations a resubmit discards: those after each iteration it runs again that its loop
 * has gone past (`md: iterations 3–5`). Refused (changing nothing) while a task of them runs.
 */
function passedIterations(states: readonly { id: string; state: TaskState; reason: string | null }[], reruns: readonly string[]): string[] {
  const again = new Map<string, number>();
  for (const id of reruns) {
    const at = iterationOfId(id);
    if (at) again.set(at.of, Math.min(again.get(at.of) ?? Infinity, at.index));
  }
  if (again.size === 0) return [];
  const last = new Map<string, number>();
  for (const task of states) {
    const at = iterationOfId(task.id);
    if (!at || !again.has(at.of) || task.reason?.startsWith('discarded')) continue;
    last.set(at.of, Math.max(last.get(at.of) ?? 0, at.index));
    if (at.index > again.get(at.of)! && (task.state === 'submitted' || task.state === 'running')) {
      throw new CodedError('loop-moved-on', `iteration ${again.get(at.of)} of the loop '${at.of}' would run again, but its iteration ${at.index} runs now (${task.id}): cancel it, or wait for it to end, then resubmit`);
    }
  }
  const discards: string[] = [];
  for (const [loop, from] of again) {
    const latest = last.get(loop) ?? from;
    if (latest > from) discards.push(`${loop}: iteration${latest > from + 1 ? `s ${from + 1}–${latest}` : ` ${latest}`}`);
  }
  return discards;
}

/** The tasks "resubmit the failed ones" names: failed or cancelled. */
export function failedTasks(store: Store, runId: string): string[] {
  return store
    .taskStates(runId)
    .filter((task) => task.state === 'failed' || task.state === 'cancelled')
    .map((task) => task.id);
}

