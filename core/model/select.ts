import { didYouMean } from './errors.ts';
import { buildGraph } from './graph.ts';
import type { Plan } from './types.ts';
import { CodedError } from './errors.ts';

/** Which part of a plan to run: `flotilla run --only … [--upstream] [--downstream]`. */
export interface Selection {
  /** Task ids, group paths or declared paths; a group or sweep selects everything inside. */
  only: string[];
  upstream?: boolean;
  downstream?: boolean;
}

/** Thrown when `--only` names nothing in the plan. */
export class SelectionError extends CodedError {
  constructor(message: string) {
    super('bad-selection', message);
  }
}

/** Whether a task id (or its declared path) falls under a selector. */
export function matchesSelector(id: string, declaredPath: string, selector: string): boolean {
  for (const candidate of [id, declaredPath]) {
    if (candidate === selector || candidate.startsWith(`${selector}/`) || candidate.startsWith(`${selector}[`)) return true;
  }
  return false;
}

/**
 * The plan restricted to the selected tasks, plus everything they need (`upstream`) and
 * everything that needs them (`downstream`). Dependencies on unselected tasks are dropped:
 * their results are taken to be in place already.
 */
export function selectTasks(plan: Plan, selection: Selection): Plan {
  if (selection.only.length === 0) return plan;
  const chosen = new Uint8Array(plan.tasks.length);
  for (const selector of selection.only) {
    let any = false;
    plan.tasks.forEach((task, i) => {
      if (matchesSelector(task.id, task.path, selector)) {
        chosen[i] = 1;
        any = true;
      }
    });
    if (!any) {
      const names = new Set(plan.tasks.flatMap((task) => [task.id, task.path, task.path.split('/')[0]!]));
      throw new SelectionError(`--only ${selector}: no such task or group in ${plan.name}${didYouMean(selector, names)}`);
    }
  }
  const graph = buildGraph(plan.tasks.map((task) => task.id), plan.tasks.map((task) => task.after));
  const spread = (edges: number[][]) => {
    const stack = [...chosen.keys()].filter((i) => chosen[i]);
    while (stack.length > 0) {
      for (const next of edges[stack.pop()!]!) {
        if (chosen[next]) continue;
        chosen[next] = 1;
        stack.push(next);
      }
    }
  };
  const base = Uint8Array.from(chosen);
  if (selection.upstream) spread(graph.deps);
  const upstreamChosen = Uint8Array.from(chosen);
  if (selection.downstream) {
    chosen.set(base);
    spread(graph.dependents);
    for (let i = 0; i < chosen.length; i++) chosen[i] = chosen[i]! | upstreamChosen[i]!;
  }
  const kept = new Set(plan.tasks.filter((_, i) => chosen[i]).map((task) => task.id));
  // A condition reads values this run must make: the task it reads cannot be left out.
  for (const task of plan.tasks) {
    if (!kept.has(task.id)) continue;
    for (const when of task.when ?? []) {
      const missing = Object.values(when.tasks).find((id) => !kept.has(id));
      if (missing !== undefined) throw new SelectionError(`--only leaves out ${missing}, whose values ${task.id} reads (when ${when.expr}): select it too, or add --upstream`);
    }
    // So does a loop, inside its iterations or for the values it sweeps over.
    const read = task.loop ? [...Object.values(task.loop.outside), ...Object.values(task.loop.foreach?.reads ?? {})].find((id) => !kept.has(id)) : undefined;
    if (read !== undefined) throw new SelectionError(`--only leaves out ${read}, whose values the ${task.loop!.foreach ? 'foreach' : 'loop'} ${task.id} reads: select it too, or add --upstream`);
  }
  return {
    ...plan,
    tasks: plan.tasks.filter((task) => kept.has(task.id)).map((task) => ({ ...task, after: task.after.filter((dep) => kept.has(dep)) })),
  };
}
