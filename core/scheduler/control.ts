import type { AttemptRecord, RunRecord, Store } from '../store/store.ts';
import { isOwnerGone, selfOwner } from '../util/process.ts';
import { enclosingIterations, iterationOfId, passedIterations } from '../model/iteration.ts';
import { TASK_STATES } from '../model/task-states.ts';
import { loopLinks, resubmitWalk } from './states.ts';
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
  const iterations = loops.size > 0 ? iterationsMade(tasks, store.discardedTasks(runId)) : new Map<string, number>();
  return tasks.map((task) => {
    const max = loops.get(task.idx);
    return { id: task.id, state: task.state, attempts: task.attempts, reason: task.reason, last: latest.get(task.idx), ...(max === undefined ? {} : { loop: { iterations: iterations.get(task.id) ?? 0, max } }) };
  });
}

/** How many iterations each loop (by its control's id) has made, from its tasks' ids; iterations a resubmit discarded count once they are made again. */
function iterationsMade(tasks: readonly { idx: number; id: string }[], discarded: ReadonlySet<number>): Map<string, number> {
  const made = new Map<string, number>();
  for (const task of tasks) {
    const at = iterationOfId(task.id);
    if (at && !discarded.has(task.idx)) made.set(at.of, Math.max(made.get(at.of) ?? 0, at.index + 1));
  }
  return made;
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
 * The tasks a resubmit of `named` runs again, as the runner decides it (`resubmitTasks`):
 * the named ones, blocked or cancelled tasks downstream of them, the rest of an iteration and
 * its loop, and with `downstream` every task downstream (a running one once it ends), in the
 * run's order; and the loop iterations it discards. Refused for a discarded task, or when it
 * would discard an iteration that runs.
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
  const discarded = store.discardedTasks(runId);
  const held = named.find((name) => discarded.has(index.get(name)!));
  if (held !== undefined) throw new CodedError('loop-moved-on', `${held} was discarded when an earlier iteration of its loop ran again: it runs again when the loop makes its iteration again; resubmit a task of an iteration the loop has`);
  const id = (i: number) => states[i]!.id;
  const reruns = [...resubmitWalk(named.map((name) => index.get(name)!), downstream, (i) => states[i]!.state, (i) => dependents[i]!, loopLinks(id, (i) => loops.has(i)))].map((step) => step.task);
  const ids = reruns.sort((x, y) => x - y).map(id);
  // A resubmit that would discard an iteration that runs is refused (nothing changes).
  const made = iterationsMade(states, discarded);
  const passed = passedIterations(ids, (loop) => (made.has(loop) ? made.get(loop)! - 1 : undefined));
  for (const { loop, from } of passed) {
    const out = states.find((task) => (task.state === 'submitted' || task.state === 'running') && enclosingIterations(task.id).some((at) => at.of === loop && at.index > from));
    if (out) throw new CodedError('loop-moved-on', `iteration ${from} of the loop '${loop}' would run again, but its iteration ${enclosingIterations(out.id).find((at) => at.of === loop)!.index} runs now (${out.id}): cancel it, or wait for it to end, then resubmit`);
  }
  return { reruns: ids, discards: passed.map(({ loop, from, to }) => `${loop}: iteration${to > from + 1 ? `s ${from + 1}–${to}` : ` ${to}`}`) };
}

/** The tasks "resubmit the failed ones" names: failed or cancelled. */
export function failedTasks(store: Store, runId: string): string[] {
  return store
    .taskStates(runId)
    .filter((task) => task.state === 'failed' || task.state === 'cancelled')
    .map((task) => task.id);
}

