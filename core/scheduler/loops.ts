/**
 * Loops while a run goes. A loop's control task (`TaskSpec.loop`) waits for the loop's
 * dependencies, then for every task of its iterations: each iteration's tasks are added to the
 * run as its dependencies of the control. Each time they are all done, the loop is decided
 * again: before the first iteration, whether it runs at all (its `when`); after iteration k,
 * its `until`, on that iteration's values — true ends it, false adds iteration k+1, up to
 * `max`. A decision and what follows from it (the next iteration's rows, or the control's
 * end) are one commit with the success that prompted it: a process killed at any moment
 * resumes to the same decision, made again from the same recorded values, and no iteration
 * is made twice (its rows are there) or skipped.
 */
import { createHash } from 'node:crypto';
import type { TaskGraph } from '../model/graph.ts';
import { iterationVars, makeIteration } from '../model/iteration.ts';
import { MAX_TASKS } from '../model/sweep.ts';
import type { Plan, TaskSpec } from '../model/types.ts';
import type { Conditions, Judgement } from './conditions.ts';
import type { RunTables } from './run-tables.ts';

/** What deciding a loop comes to: another iteration (its tasks are in the run now), or the control's move. */
export type LoopStep = { kind: 'iterate'; detail: string } | { kind: 'conclude'; detail: string } | Exclude<Judgement, { kind: 'run' }>;

/** The edges from each loop's control to the tasks of its iterations (the run's rows hold them as `iteration.of`). */
export function linkIterations(specs: readonly TaskSpec[], graph: TaskGraph, index: ReadonlyMap<string, number>): void {
  specs.forEach((spec, i) => {
    const control = spec.iteration ? index.get(spec.iteration.of) : undefined;
    if (control === undefined) return;
    graph.deps[control]!.push(i);
    graph.dependents[i]!.push(control);
  });
}

export class Loops {
  private readonly t: RunTables;
  private readonly plan: Pick<Plan, 'root' | 'params' | 'targets' | 'name'>;
  private readonly conditions: Conditions;
  /** Adds tasks to the run in the commit under way (their dependencies found first); the run notes them here (`noteAdded`). */
  private readonly grow: (specs: TaskSpec[], deps: number[][], reason: string) => void;
  /** Each loop's last iteration made: its index and its tasks. */
  private readonly last = new Map<number, { index: number; tasks: number[] }>();

  constructor(t: RunTables, plan: Pick<Plan, 'root' | 'params' | 'targets' | 'name'>, conditions: Conditions, grow: (specs: TaskSpec[], deps: number[][], reason: string) => void) {
    this.t = t;
    this.plan = plan;
    this.conditions = conditions;
    this.grow = grow;
    this.noteAdded(t.specs.keys());
  }

  /** Tasks in the run (at the start, or added): those of an iteration are noted with their loop. */
  noteAdded(tasks: Iterable<number>): void {
    for (const i of tasks) {
      const of = this.t.specs[i]!.iteration;
      const control = of ? this.t.index.get(of.of) : undefined;
      if (control === undefined) continue;
      const last = this.last.get(control);
      if (!last || of!.index > last.index) this.last.set(control, { index: of!.index, tasks: [i] });
      else if (of!.index === last.index) last.tasks.push(i);
    }
  }

  /** How many iterations of loop `i` (its control) are made so far. */
  iterations(i: number): number {
    const last = this.last.get(i);
    return last ? last.index + 1 : 0;
  }

  /**
   * Decides loop `i`, its control waiting with every dependency done. An iteration it makes is
   * added to the run here; the control's own move is the caller's. In a transaction.
   */
  next(i: number): LoopStep {
    const control = this.t.specs[i]!;
    const loop = control.loop!;
    const last = this.last.get(i);
    if (!last) {
      const judged = this.conditions.judge(i);
      if (judged.kind !== 'run') return judged;
      if (loop.foreach) return this.fanOut(i, judged.detail);
      return this.iterate(i, 0, control.after, judged.detail ? `${judged.detail}: iteration 0` : 'iteration 0');
    }
    if (loop.foreach) return { kind: 'conclude', detail: `its ${plural(last.tasks.length, 'task')} done` };
    const until = last.tasks.map((k) => this.t.specs[k]!.iteration!.until).find((tasks) => tasks !== undefined) ?? {};
    const judged = this.conditions.check({ expr: loop.until, tasks: until }, iterationVars(control, last.index), 'until');
    if (judged.kind === 'fail') return { kind: 'fail', detail: `after iteration ${last.index}: ${judged.detail}` };
    const count = last.index + 1;
    if (judged.kind === 'run') return { kind: 'conclude', detail: `${judged.detail} after ${plural(count, 'iteration')}` };
    if (count < loop.max) {
      const ids = new Set(last.tasks);
      const exits = last.tasks.filter((k) => !this.t.graph.dependents[k]!.some((d) => ids.has(d))).map((k) => this.t.ids[k]!);
      return this.iterate(i, count, exits, `${judged.detail}: iteration ${count}`);
    }
    const reached = `${judged.detail} after ${plural(count, 'iteration')}, the most 'max' allows`;
    return loop.onMax === 'succeed' ? { kind: 'conclude', detail: `${reached} (on_max: succeed)` } : { kind: 'fail', detail: `${reached} (on_max: fail)` };
  }

  /** The hash of a concluded loop: what its iterations' results were (they stand for it downstream). */
  static hash(upstream: Record<string, string>): string {
    return createHash('sha256').update(JSON.stringify(upstream)).digest('hex');
  }

  /** A foreach over values: its instances, made from what the tasks it reads published (none: it is skipped). */
  private fanOut(i: number, condition: string | undefined): LoopStep {
    const control = this.t.specs[i]!;
    const values: Record<string, unknown> = {};
    for (const [name, id] of Object.entries(control.loop!.foreach!.reads)) {
      const dep = this.t.index.get(id)!;
      if (this.t.state[dep] === 'skipped') return { kind: 'fail', detail: `foreach reads the values of ${id}, which was skipped and published nothing` };
      values[name] = { values: this.conditions.valuesOf(dep) };
    }
    const shown = `foreach over ${Object.values(control.loop!.foreach!.reads).join(', ')}'s values${condition ? ` (${condition})` : ''}`;
    return this.iterate(i, 0, control.after, shown, values);
  }

  private iterate(i: number, index: number, entryAfter: readonly string[], detail: string, values?: Record<string, unknown>): LoopStep {
    const made = makeIteration(this.plan, this.t.runId, this.t.specs[i]!, index, entryAfter, values);
    if ('problem' in made) return { kind: 'fail', detail: made.problem };
    if (made.tasks.length === 0) return { kind: 'skip', detail: `${detail}: an empty list, no instances` };
    if (this.t.ids.length + made.tasks.length > MAX_TASKS) return { kind: 'fail', detail: `iteration ${index} would make the run's task ${(MAX_TASKS + 1).toLocaleString('en-US')}: a run has at most ${MAX_TASKS.toLocaleString('en-US')} tasks` };
    let deps: number[][];
    try {
      deps = this.t.dependenciesOf(made.tasks);
    } catch (error) {
      return { kind: 'fail', detail: `iteration ${index} cannot be added: ${(error as Error).message}` };
    }
    const shown = values ? `${detail}: ${plural(made.tasks.length, 'task')}` : detail;
    this.grow(made.tasks, deps, `${this.t.ids[i]}: ${shown}`);
    return { kind: 'iterate', detail: shown };
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
