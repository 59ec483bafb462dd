/**
 * The life of a task instance within a run: one table of the transitions between its states
 * (core/model/task-states.ts). Every state change goes through `checkTransition`.
 */
import { crossesIteration, sameIteration } from '../model/iteration.ts';
import { ACTIVE_STATES, TERMINAL_STATES } from '../model/task-states.ts';
import type { TaskState } from '../model/task-states.ts';
/** The named transitions and the states each may start from. */
export const TRANSITIONS = {
  /** Dependencies are done. */
  release: { from: ['waiting'], to: 'ready' },
  /** A previous result stands in for this one. */
  reuse: { from: ['waiting', 'ready'], to: 'cached' },
  /** Its dependencies ended and its `when` is false (or, without one, a dependency was skipped). */
  skip: { from: ['waiting'], to: 'skipped' },
  /** Its `when` cannot be decided with the values it reads (a type the rules refuse, a value not published). */
  undecided: { from: ['waiting'], to: 'failed' },
  /** A loop's control: its `until` held after an iteration (or it reached `max` with `on_max: succeed`). */
  conclude: { from: ['waiting'], to: 'succeeded' },
  /** A loop's control: it cannot go on (it reached `max` with `on_max: fail`, its `until` cannot be decided, an iteration cannot be made). */
  stop: { from: ['waiting'], to: 'failed' },
  /** An attempt is committed and handed to the target. */
  submit: { from: ['ready'], to: 'submitted' },
  /** Handed to a target that follows edges, to start once its running dependencies succeed. */
  chain: { from: ['waiting'], to: 'submitted' },
  /** A chained attempt will never start (a dependency did not succeed): wait again. */
  withdraw: { from: ['submitted'], to: 'waiting' },
  /** The target confirmed the attempt runs. */
  start: { from: ['submitted'], to: 'running' },
  /** The attempt exited 0. */
  succeed: { from: ['submitted', 'running'], to: 'succeeded' },
  /** The attempt failed and retries are spent. */
  fail: { from: ['submitted', 'running'], to: 'failed' },
  /** The attempt failed (or never started) and another one is allowed. */
  retry: { from: ['submitted', 'running'], to: 'ready' },
  /** A dependency was resubmitted: wait for it again. */
  hold: { from: ['ready'], to: 'waiting' },
  /** A dependency will never succeed. */
  block: { from: ['waiting', 'ready'], to: 'blocked' },
  /** The user cancelled the task or its run. */
  cancel: { from: ['waiting', 'ready', 'submitted', 'running'], to: 'cancelled' },
  /** The user asked for the task to run again. */
  resubmit: { from: ['succeeded', 'cached', 'skipped', 'failed', 'blocked', 'cancelled'], to: 'waiting' },
} as const satisfies Record<string, { from: readonly TaskState[]; to: TaskState }>;

export type TransitionName = keyof typeof TRANSITIONS;

/** Thrown for a transition the table does not allow. */
export class IllegalTransitionError extends Error {
  readonly code = 'illegal-transition';
  constructor(task: string, from: TaskState, to: TaskState, name?: string) {
    super(`illegal transition of task '${task}' from ${from} to ${to}${name ? ` (${name})` : ''}`);
    this.name = 'IllegalTransitionError';
  }
}

const ALLOWED = new Map<TaskState, Set<TaskState>>();
for (const transition of Object.values(TRANSITIONS)) {
  for (const from of transition.from) {
    if (!ALLOWED.has(from)) ALLOWED.set(from, new Set());
    ALLOWED.get(from)!.add(transition.to);
  }
}

/** Whether the table allows moving from `from` to `to`. */
export function isAllowed(from: TaskState, to: TaskState): boolean {
  return ALLOWED.get(from)?.has(to) ?? false;
}

/** Throws `IllegalTransitionError` unless `from → to` is in the table. */
export function checkTransition(task: string, from: TaskState, to: TaskState): void {
  if (!isAllowed(from, to)) throw new IllegalTransitionError(task, from, to);
}

/** The state a named transition leads to, after checking it may start from `from`. */
export function applyTransition(task: string, from: TaskState, name: TransitionName): TaskState {
  const transition = TRANSITIONS[name];
  if (!(transition.from as readonly TaskState[]).includes(from)) throw new IllegalTransitionError(task, from, transition.to, name);
  return transition.to;
}

/** How a resubmit's walk treats loops (see `resubmitWalk`). */
export interface WalkLinks {
  /** Whether `to`, a dependent of `from`, runs again with it (a loop waiting for it, the rest of its iteration). */
  follows(from: number, to: number): boolean;
  /** Whether `to` is in a later iteration of a loop `from` is in: not run again (that iteration is discarded). */
  crosses(from: number, to: number): boolean;
}

const NO_LOOPS: WalkLinks = { follows: () => false, crosses: () => false };

/**
 * How a resubmit walks a run's loops, from the tasks' ids (the runner and a preview from the
 * store alike): a loop goes with a task of its iteration, and so does the rest of the
 * iteration; a later iteration is crossed into, never walked.
 */
export function loopLinks(idOf: (task: number) => string, isLoop: (task: number) => boolean): WalkLinks {
  return { follows: (from, to) => isLoop(to) || sameIteration(idOf(from), idOf(to)), crosses: (from, to) => crossesIteration(idOf(from), idOf(to)) };
}

/**
 * What a resubmit of `named` runs again, in the order it reaches them: each named task,
 * every blocked, cancelled or skipped task downstream of one that runs again, every task
 * `links.follows` says goes with one that runs again (in a loop: the rest of its iteration
 * after it, and the loop, which decides again once that iteration ended again), and with
 * `downstream` every task downstream — never into a later iteration of a loop (`crosses`).
 * A finished task is reset (`active: false`) and what depends on it is looked at next; a
 * running one (`active: true`) runs again once it ends, and nothing below it is looked at
 * now. The runner resets tasks by this walk and previews use it, so the two cannot disagree.
 */
export function* resubmitWalk(
  named: readonly number[],
  downstream: boolean,
  stateOf: (task: number) => TaskState,
  dependentsOf: (task: number) => readonly number[],
  links: WalkLinks = NO_LOOPS,
): Generator<{ task: number; active: boolean }> {
  const chosen = new Set(named);
  const seen = new Set<number>();
  const stack: [task: number, from: number][] = named.map((task) => [task, task]);
  while (stack.length > 0) {
    const [i, from] = stack.pop()!;
    if (seen.has(i)) continue;
    seen.add(i);
    const state = stateOf(i);
    // What was blocked, cancelled or skipped because of a task that runs again is decided again.
    if (!(chosen.has(i) || downstream || state === 'blocked' || state === 'cancelled' || state === 'skipped' || links.follows(from, i))) continue;
    if (ACTIVE_STATES.has(state)) {
      yield { task: i, active: true };
      continue;
    }
    if (!TERMINAL_STATES.has(state)) continue;
    yield { task: i, active: false };
    for (const dependent of dependentsOf(i)) if (!links.crosses(i, dependent)) stack.push([dependent, i]);
  }
}
