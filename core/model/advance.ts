/**
 * Whether a loop could go on from iteration to iteration on its cluster with Flotilla away:
 * every task of an iteration runs on the same SLURM target, takes the same inputs in every
 * iteration (they are staged once), and decides nothing itself (no `when`, no loop inside),
 * and `until` reads only what the cluster has — params and indices that are plain values, and
 * the values of the iteration's own tasks — through the expressions the cluster's evaluator
 * (core/targets/remote/expr-awk.ts) answers as the core does. What disqualifies it is said
 * in words, for `validate`, `--dry-run` and the app.
 */
import { ExprSyntaxError, namesOf, parseExpr } from './expr.ts';
import { makeIteration } from './iteration.ts';
import type { Plan, TaskSpec } from './types.ts';

export type Advance = { target: string } | { reason: string };

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
  if (plan.targets[target]!.type !== 'slurm') return { reason: `${target} is an ${plan.targets[target]!.type} target, whose iterations Flotilla makes` };
  const deciding = first.find((task) => task.loop !== undefined || task.when !== undefined);
  if (deciding) return { reason: deciding.loop ? `the loop ${deciding.id} inside it is decided by Flotilla` : `task ${deciding.id} has a condition (when), decided by Flotilla` };
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
  return 'reason' in advance
    ? `advances only while Flotilla is connected: ${advance.reason}`
    : `advances only while Flotilla is connected (on ${advance.target}: advancing there without Flotilla is not built yet)`;
}
