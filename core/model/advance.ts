/**
 * Whether a loop could go on from iteration to iteration on its cluster with Flotilla away:
 * every task of an iteration runs on the same remote target (SLURM or a plain host), takes the same inputs in every
 * iteration (they are staged once), and decides nothing itself (no `when`, no loop inside),
 * and `until` reads only what the cluster has — params and indices that are plain values, and
 * the values of the iteration's own tasks — through the expressions the cluster's evaluator
 * (core/targets/remote/expr-awk.ts) answers as the core does. What disqualifies it is said
 * in words, for `validate`, `--dry-run` and the app.
 */
import { createHash } from 'node:crypto';
import { ExprSyntaxError, namesOf, parseExpr } from './expr.ts';
import type { Expr } from './expr.ts';
import { iterationVars, makeIteration } from './iteration.ts';
import type { Plan, TaskSpec } from './types.ts';

export type Advance = { target: string } | { reason: string };

/**
 * What a cluster needs to go on with a loop while Flotilla is away: the iterations after the
 * one under way, made as the run would make them, and how the loop decides after each.
 */
export interface LoopAhead {
  /** The loop's control task. */
  loop: string;
  /** Changes when the loop does (a reload): what was made ahead before is made again. */
  version: string;
  /** The iteration the attempt's task is of. */
  index: number;
  /** Iteration `j` of the loop (undefined from `max` on, or when it cannot be made). */
  iteration(j: number): AheadIteration | undefined;
}

export interface AheadIteration {
  index: number;
  /** Its tasks; those run after tasks outside it list them in `after` too (they ended by then). */
  tasks: TaskSpec[];
  /** The attempt the core would make next of each task (1, unless a discarded one ran before); null for one it handed out already. */
  attempts: (number | null)[];
  /** The loop's `until`, judged after this iteration. */
  until: Expr;
  /** What `until` reads that is known ahead (params, indices): the name's path and its value. */
  facts: { path: readonly (string | number)[]; value: unknown }[];
  /** What it reads of this iteration's tasks: the name's path, the task, the value's name. */
  reads: { path: readonly (string | number)[]; taskId: string; name: string }[];
}

/** Whether loop `control` (a task of `plan`) could advance on its cluster without Flotilla, or why not. */
export function remoteAdvance(plan: Pick<Plan, 'root' | 'params' | 'targets' | 'name'>, control: TaskSpec): Advance {
  const loop = control.loop!;
  if (loop.foreach) return { reason: 'its instances are made from values Flotilla reads' };
  const iterations = [0, 1].map((index) => makeIteration(plan, 'RUN', control, index, control.after));
  const [first, second] = iterations.map((made) => ('tasks' in made ? made.tasks : undefined));
  if (!first || !second) return { reason: 'its iterations cannot be made ahead' };
  const local = first.find((task) => (plan.targets[task.target]?.type ?? 'local') === 'local');
  if (local) return { reason: `task ${local.id} runs on this machine` };
  const target = first[0]!.target;
  const elsewhere = first.find((task) => task.target !== target);
  if (elsewhere) return { reason: `its tasks run on ${target} and ${elsewhere.target}` };
  const deciding = first.find((task) => task.loop !== undefined || task.when !== undefined);
  if (deciding) return { reason: deciding.loop ? `the loop ${deciding.id} inside it is decided by Flotilla` : `task ${deciding.id} has a condition (when), decided by Flotilla` };
  const swept = first.find((task, k) => first.findIndex((other) => other.path === task.path) !== k);
  if (swept) return { reason: `${swept.path} is swept inside it (a job array Flotilla submits)` };
  const cached = first.find((task) => task.cache);
  if (cached) return { reason: `${cached.id} may reuse a result only Flotilla knows (cache: false lets the cluster go on)` };
  const staged = first.find((task, k) => task.inputs.length > 0 && JSON.stringify(task.inputs) !== JSON.stringify(second[k]?.inputs));
  if (staged) return { reason: `the inputs of ${staged.id} change with the iteration (Flotilla stages them)` };
  return untilOnCluster(plan, control, first) ?? { target };
}

/** Why `until` cannot be decided on the cluster, or undefined when it can. */
function untilOnCluster(plan: Pick<Plan, 'params'>, control: TaskSpec, iteration: readonly TaskSpec[]): Advance | undefined {
  let expr;
  try {
    expr = parseExpr(control.loop!.until);
  } catch (error) {
    if (error instanceof ExprSyntaxError) return { reason: `until: ${error.message}` };
    throw error;
  }
  const reads = iteration.find((task) => task.iteration?.until)?.iteration?.until ?? {};
  const inside = new Set(iteration.map((task) => task.id));
  for (const name of namesOf(expr)) {
    const [head, ...rest] = name.path;
    if (head === 'repeat') continue;
    if (head === 'params') {
      const value = rest.length === 1 ? plan.params[rest[0] as string] : undefined;
      if (value !== null && typeof value === 'object') return { reason: `until reads ${name.text}, which is not a plain value` };
      if (rest.length !== 1) return { reason: `until reads ${name.text}: the cluster reads params by name only` };
      continue;
    }
    const [task, what, , ...deeper] = rest;
    if (what === 'skipped') return { reason: `until reads ${name.text}, which Flotilla decides` };
    if (!inside.has(reads[task as string] ?? '')) return { reason: `until reads ${name.text}, a task outside the loop` };
    if (deeper.length > 0) return { reason: `until reads into a value (${name.text}): the cluster compares plain values only` };
  }
  return undefined;
}

/** How a loop goes on, said in one line (`validate`, `--dry-run`, the app). */
export function advanceText(advance: Advance): string {
  return 'reason' in advance ? `advances only while Flotilla is connected: ${advance.reason}` : `advances on ${advance.target} while Flotilla is away`;
}

/**
 * For a task of iteration `index` of a loop that can advance on its cluster: how to make the
 * iterations after it there. Each is made as the run makes it (makeIteration), with what its
 * `until` reads: params and indices now, the values of its tasks on the cluster.
 */
export function loopAhead(
  plan: Pick<Plan, 'root' | 'params' | 'targets' | 'name'>,
  runId: string,
  control: TaskSpec,
  index: number,
  /** The attempt the core would make next of a task (by id); null once it handed it out. */
  next: (taskId: string) => number | null = () => 1,
  /** What else changes what is made ahead (the attempts of discarded iterations). */
  also = '',
): LoopAhead {
  const loop = control.loop!;
  const until = parseExpr(loop.until);
  return {
    loop: control.id,
    version: createHash('sha256').update(JSON.stringify(loop)).update(also).digest('hex'),
    index,
    iteration(j: number): AheadIteration | undefined {
      if (j >= loop.max) return undefined;
      const made = makeIteration(plan, runId, control, j, []);
      if ('problem' in made) return undefined;
      const reads = made.tasks.find((task) => task.iteration?.until)?.iteration?.until ?? {};
      const vars = iterationVars(control, j);
      const known: AheadIteration = { index: j, tasks: made.tasks, attempts: made.tasks.map((task) => next(task.id)), until, facts: [], reads: [] };
      for (const { path } of namesOf(until)) {
        const [head, ...rest] = path;
        if (head === 'tasks') known.reads.push({ path, taskId: reads[rest[0] as string]!, name: rest[2] as string });
        else known.facts.push({ path, value: follow(head === 'params' ? plan.params : vars[head as string], rest) });
      }
      return known;
    },
  };
}

/** The value at `path` inside `value` (undefined where there is none: the cluster then waits for Flotilla). */
function follow(value: unknown, path: readonly (string | number)[]): unknown {
  let at = value;
  for (const part of path) at = at !== null && typeof at === 'object' ? (at as Record<string | number, unknown>)[part] : undefined;
  return at;
}
