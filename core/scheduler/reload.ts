/**
 * A resubmit that takes the workflow file as it is now (`reload`: the user fixed a command):
 * the specs of the tasks about to run again, from the edited file. The run's shape stays.
 */
import { CodedError } from '../model/errors.ts';
import { makeIteration } from '../model/iteration.ts';
import { loadWorkflow } from '../model/load.ts';
import type { TaskSpec } from '../model/types.ts';
import type { RunRecord, Store } from '../store/store.ts';

/** A resubmit with reload whose tasks' dependencies or targets changed. */
export class PlanChangedError extends CodedError {
  constructor(message: string) {
    super('plan-changed', message);
  }
}

/**
 * Replaces the specs of tasks about to run again with those of the workflow file as it is
 * now. A task of a loop's iteration, or of a foreach over values, is not in the file as such:
 * it is made again as the run made it (the same iteration, the same recorded values), from
 * the loop as the file writes it now. A task that is gone, or whose dependencies or target
 * changed, refuses it all (PlanChangedError) and nothing changes. Returns the ids whose spec
 * changed.
 */
export function reloadSpecs(store: Store, run: RunRecord, reruns: readonly string[]): string[] {
  const plan = loadWorkflow(run.file, { runId: run.id, params: run.plan.params, workdir: run.root });
  const fresh = new Map(plan.tasks.map((task) => [task.id, task]));
  const made = new Map<string, TaskSpec[] | undefined>();
  // A task as the file makes it now, found in the plan or in its iteration made again.
  const remade = (id: string): TaskSpec | undefined => {
    const planned = fresh.get(id);
    if (planned) return planned;
    const of = store.findTask(run.id, id)?.spec.iteration;
    const control = of ? remade(of.of) : undefined;
    if (!of || !control?.loop) return undefined;
    const key = `${control.id}\0${of.index}`;
    if (!made.has(key)) {
      const values: Record<string, unknown> = {};
      for (const [name, readId] of Object.entries(control.loop.foreach?.reads ?? {})) {
        const read = store.findTask(run.id, readId);
        values[name] = { values: (read && store.publishedValues(run.id, read.idx, read.hash)) ?? {} };
      }
      const iteration = makeIteration(plan, run.id, control, of.index, [], control.loop.foreach ? values : undefined);
      made.set(key, 'tasks' in iteration ? iteration.tasks : undefined);
    }
    return made.get(key)?.find((task) => task.id === id);
  };
  const changed: { idx: number; spec: TaskSpec }[] = [];
  for (const id of reruns) {
    const task = store.findTask(run.id, id)!;
    let spec = remade(id);
    // An iteration's first tasks run after the one before it: that stays as the run made it.
    if (spec && task.spec.iteration) spec = spec.after.every((dep) => task.spec.after.includes(dep)) ? { ...spec, after: task.spec.after, iteration: task.spec.iteration } : spec;
    const problem = !spec
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
