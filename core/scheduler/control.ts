import type { AttemptRecord, RunRecord, Store } from '../store/store.ts';
import { isOwnerGone, selfOwner } from '../util/process.ts';
import { iterationOfId } from '../model/iteration.ts';
import { loadWorkflow } from '../model/load.ts';
import type { TaskSpec } from '../model/types.ts';
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
      if (at) iterations.set(at.of, Math.max(iterations.get(at.of) ?? 0, at.index + 1));
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

/** A resubmit that would take the edited workflow file, whose tasks or dependencies changed. */
export class PlanChangedError extends CodedError {
  constructor(message: string) {
    super('plan-changed', message);
  }
}

/**
 * The tasks a resubmit of `named` runs again, as the runner decides it (`Runner.resubmit`):
 * the named ones, blocked or cancelled tasks downstream of them, and with `downstream` every
 * task downstream (a running one once it ends). In the run's order.
 */
export function rerunsOf(store: Store, runId: string, named: readonly string[], downstream: boolean): string[] {
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
  const reruns = [...resubmitWalk(named.map((id) => index.get(id)!), downstream, (i) => states[i]!.state, (i) => dependents[i]!, (i) => loops.has(i))].map((step) => step.task);
  const ids = reruns.sort((x, y) => x - y).map((i) => states[i]!.id);
  refusePassedIterations(states.map((task) => task.id), ids);
  return ids;
}

/** A resubmit that would run a task of an iteration its loop has gone past is refused: the iterations after it would have to be discarded. */
function refusePassedIterations(all: readonly string[], reruns: readonly string[]): void {
  const passed = reruns.map((id) => ({ id, at: iterationOfId(id) })).filter((task) => task.at !== undefined);
  if (passed.length === 0) return;
  const last = new Map<string, number>();
  for (const id of all) {
    const at = iterationOfId(id);
    if (at) last.set(at.of, Math.max(last.get(at.of) ?? 0, at.index));
  }
  for (const { id, at } of passed) {
    const latest = last.get(at!.of)!;
    if (at!.index < latest) throw new CodedError('loop-moved-on', `task '${id}' is in iteration ${at!.index} of the loop '${at!.of}', which has gone on to iteration ${latest}: running it again would discard iterations ${at!.index + 1}–${latest}, which this version cannot do yet; resubmit a task of iteration ${latest}, or start a new run`);
  }
}

/** The tasks "resubmit the failed ones" names: failed or cancelled. */
export function failedTasks(store: Store, runId: string): string[] {
  return store
    .taskStates(runId)
    .filter((task) => task.state === 'failed' || task.state === 'cancelled')
    .map((task) => task.id);
}

/**
 * Replaces the specs of tasks about to run again with those of the workflow file as it is
 * now (the user fixed a command). The run's shape stays: a task that is gone, or whose
 * dependencies or target changed, refuses it all (PlanChangedError) and nothing changes.
 * Returns the ids whose spec changed.
 */
export function reloadSpecs(store: Store, run: RunRecord, reruns: readonly string[]): string[] {
  const plan = loadWorkflow(run.file, { runId: run.id, params: run.plan.params, workdir: run.root });
  const fresh = new Map(plan.tasks.map((task) => [task.id, task]));
  const changed: { idx: number; spec: TaskSpec }[] = [];
  for (const id of reruns) {
    const task = store.findTask(run.id, id)!;
    const spec = fresh.get(id);
    const problem = task.spec.iteration
      ? `is in iteration ${task.spec.iteration.index} of the loop '${task.spec.iteration.of}': iterations are made from what the run recorded, not taken from the file (resubmit without reload, or start a new run)`
      : !spec
      ? 'is no longer in it'
      : JSON.stringify(spec.after) !== JSON.stringify(task.spec.after)
        ? 'has other dependencies now'
        : JSON.stringify(plan.targets[spec.target]) !== JSON.stringify(run.plan.targets[spec.target])
          ? 'runs on a changed target now'
          : undefined;
    if (problem) throw new PlanChangedError(`task '${id}' ${problem} (${run.file}): start a new run for the workflow as it is`);
    if (JSON.stringify(spec) !== JSON.stringify(task.spec)) changed.push({ idx: task.idx, spec: spec! });
  }
  store.transaction(() => {
    for (const { idx, spec } of changed) store.updateTaskSpec(run.id, idx, spec);
  });
  return changed.map(({ spec }) => spec.id);
}
