/**
 * What a user asks of a run while it is driven — cancel a task (or all), resubmit tasks — as
 * moves of the run's tables. The runner applies requests (its own, or another process's from
 * the store) through these.
 */
import { ACTIVE_STATES, DONE_STATES, TERMINAL_STATES } from '../model/task-states.ts';
import { passedIterations } from '../model/iteration.ts';
import type { Target } from '../targets/target.ts';
import type { Chainer } from './chaining.ts';
import type { Loops } from './loops.ts';
import type { Releaser } from './release.ts';
import type { RunTables } from './run-tables.ts';
import { loopLinks, resubmitWalk } from './states.ts';
import type { WalkLinks } from './states.ts';

/**
 * Moves finished tasks back to waiting: the named ones, every blocked or cancelled task
 * downstream of them, and with `downstream` everything downstream (a task still running
 * is reset when it ends). Dependents left ready wait again; a reset task that still has a
 * failed, blocked or cancelled dependency is blocked again. In a transaction.
 */
export function resetTasks(t: RunTables, named: number[], downstream: boolean, chainer: Chainer, releaser: Releaser): number[] {
  const reset: number[] = [];
  for (const { task: i, active } of resubmitWalk(named, downstream, (task) => t.state[task]!, (task) => t.graph.dependents[task]!, walkLinks(t))) {
    if (active) {
      t.resubmitWhenDone.add(i);
      // What was chained behind the attempt that runs again must not start after the old one.
      chainer.withdraw(i);
      for (const dependent of t.graph.dependents[i]!) chainer.withdraw(dependent);
      continue;
    }
    const wasDone = DONE_STATES.has(t.state[i]!);
    t.move(i, 'resubmit', null, 'resubmitted');
    // The spec may have been replaced with the edited workflow's (see `runs.resubmit` with reload).
    t.specs[i] = t.store.taskSpec(t.runId, i) ?? t.specs[i]!;
    t.failures[i] = 0;
    t.force[i] = true;
    t.store.markResubmitted(t.runId, i);
    releaser.rerun(i);
    if (wasDone) for (const dependent of t.graph.dependents[i]!) t.remaining[dependent]!++;
    reset.push(i);
  }
  for (const i of reset) {
    for (const dependent of t.graph.dependents[i]!) {
      if (t.state[dependent] !== 'ready') continue;
      t.dequeue(dependent);
      t.move(dependent, 'hold', null, `waits for resubmitted ${t.ids[i]}`);
    }
  }
  for (const i of reset) if (t.state[i] === 'waiting') t.blockIfStuck(i);
  t.cancelledRun = false;
  releaser.settle(reset);
  return reset;
}

/**
 * A resubmit of `taskIds` (see `resetTasks`): iterations a loop has gone past, after the
 * first one that runs again, are discarded first (`Loops.discard`); a discarded task runs again
 * only when its loop makes its iteration again (the service refused naming one, and one that
 * would discard an iteration that runs, before recording the request). Returns the tasks
 * reset. In a transaction.
 */
export function resubmitTasks(t: RunTables, loops: Loops, taskIds: readonly string[], downstream: boolean, chainer: Chainer, releaser: Releaser): number[] {
  const named = taskIds.map((id) => t.index.get(id)).filter((i): i is number => i !== undefined && !t.specs[i]!.iteration?.discarded);
  const again = [...resubmitWalk(named, downstream, (i) => t.state[i]!, (i) => t.graph.dependents[i]!, walkLinks(t))].map((step) => t.ids[step.task]!);
  const reason = `discarded: ${taskIds.join(', ')} ran again`;
  if (!passedIterations(again, (loop) => loops.latest(loop)).every(({ loop, from }) => loops.discard(t.index.get(loop)!, from, reason))) return [];
  return resetTasks(t, named, downstream, chainer, releaser);
}

/** How a resubmit walks a run's loops (`resubmitWalk`): by the ids, as a preview does from the store. */
export function walkLinks(t: RunTables): WalkLinks {
  return loopLinks((i) => t.ids[i]!, (i) => t.specs[i]!.loop !== undefined);
}

/** Cancels a task now: one not started is cancelled (its downstream blocked); a running attempt is stopped. In a transaction. */
export function cancelTaskNow(t: RunTables, i: number, targets: Record<string, Target>): void {
  const state = t.state[i]!;
  // A loop its cluster goes on with: it must not go on there either.
  const ahead = t.specs[i]!.iteration && !TERMINAL_STATES.has(state) ? t.aheadOf(i) : undefined;
  if (ahead) targets[t.specs[i]!.target]?.halt?.(ahead);
  if (state === 'waiting' || state === 'ready') {
    if (state === 'ready') t.dequeue(i);
    t.move(i, 'cancel', null, 'cancelled by user');
    t.blockDownstream(i);
  } else if (ACTIVE_STATES.has(state) && !t.cancelling.has(i)) {
    t.cancelling.add(i);
    // Kept in the store: a core that dies before the attempt ends still honours it on resume.
    t.store.markCancelRequested(t.runId, i);
    targets[t.specs[i]!.target]?.cancel(t.runId, t.ids[i]!, t.attempts[i]!);
  }
}
