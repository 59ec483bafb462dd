/**
 * The iterations of a loop (a group with `repeat`), made while its run goes: iteration k of
 * the loop `md` is the group expanded as written, with `repeat.index` = k bound, its tasks'
 * ids under `md#k/`. Only what the run recorded is read (the control's `LoopSpec`, the
 * plan's params and targets), never the workflow file, so a resume makes the same iteration
 * the first process would have.
 */
import { Expander } from './expand.ts';
import type { Plan, TaskSpec } from './types.ts';

/** The id of iteration `index` of the loop whose control is `controlId` (its tasks are under it: `md#3/run`). */
export function iterationId(controlId: string, index: number): string {
  return `${controlId}#${index}`;
}

/** The loop and iteration a task id is of (`outer#1/inner#2/step`: `outer#1/inner`, 2); undefined outside loops. Names never hold '#'. */
export function iterationOfId(id: string): { of: string; index: number } | undefined {
  return enclosingIterations(id).at(-1);
}

/** Every loop iteration a task id is in, outermost first (`outer#1/inner#2/step`: outer's 1, then outer#1/inner's 2). */
export function enclosingIterations(id: string): { of: string; index: number }[] {
  const found: { of: string; index: number }[] = [];
  for (const match of id.matchAll(/#(\d+)\//g)) found.push({ of: id.slice(0, match.index), index: Number(match[1]) });
  return found;
}

/** Whether two tasks are in the same iteration of the same loop (the innermost each is in). */
export function sameIteration(a: string, b: string): boolean {
  const x = iterationOfId(a);
  const y = iterationOfId(b);
  return x !== undefined && y !== undefined && x.of === y.of && x.index === y.index;
}

/**
 * Whether `to`, run after `from`, is in a later iteration of a loop both are in: a resubmit
 * that runs `from` again does not run `to` again but discards its iteration.
 */
export function crossesIteration(from: string, to: string): boolean {
  const mine = enclosingIterations(from);
  return enclosingIterations(to).some((at) => mine.some((m) => m.of === at.of && m.index < at.index));
}

/**
 * The iterations a resubmit discards: for each loop, those after the first iteration it runs
 * again (`rerun`: the ids that run again), when the loop has gone past it (`latest`: a loop's
 * latest iteration made, by its id). Outermost loops first.
 */
export function passedIterations(rerun: Iterable<string>, latest: (loop: string) => number | undefined): { loop: string; from: number; to: number }[] {
  const first = new Map<string, number>();
  for (const id of rerun) for (const at of enclosingIterations(id)) first.set(at.of, Math.min(first.get(at.of) ?? Infinity, at.index));
  const passed: { loop: string; from: number; to: number }[] = [];
  for (const [loop, from] of first) {
    const to = latest(loop);
    if (to !== undefined && to > from) passed.push({ loop, from, to });
  }
  return passed.sort((a, b) => a.loop.length - b.loop.length);
}

/**
 * The variables an iteration sees: those around the loop and `repeat` (`index`, `previous`,
 * null in the first; inside a loop in a loop, the enclosing one's as `repeat.outer`).
 */
export function iterationVars(control: TaskSpec, index: number): Record<string, unknown> {
  const vars = control.loop!.scope.vars;
  const outer = vars.repeat;
  return { ...vars, repeat: { index, previous: index === 0 ? null : index - 1, ...(outer === undefined ? {} : { outer }) } };
}

/**
 * Makes iteration `index` of the loop `control`: its tasks in order, those that run after
 * nothing inside the iteration after `entryAfter` (the loop's dependencies for the first,
 * the previous iteration's last tasks after that). A problem (a template that no longer
 * renders, an iteration too big) is a message instead: the loop cannot go on.
 */
export function makeIteration(
  run: Pick<Plan, 'root' | 'params' | 'targets' | 'name'>,
  runId: string,
  control: TaskSpec,
  index: number,
  entryAfter: readonly string[],
  /** For a foreach over values: what the tasks it reads published, by the names it reads them by. */
  values?: Record<string, unknown>,
): { tasks: TaskSpec[] } | { problem: string } {
  const expander = Expander.forRun(run, runId);
  expander.expandIteration(control, index, values);
  const made = expander.issues.length > 0 ? undefined : expander.finishIteration(entryAfter);
  if (!made || expander.issues.length > 0) {
    const issue = expander.issues[0]!;
    const where = issue.path.length > 0 ? ` (${issue.path.join('.')})` : '';
    return { problem: `${control.loop!.foreach ? 'its instances' : `iteration ${index}`} cannot be made: ${issue.message}${where}` };
  }
  return { tasks: made };
}
