/**
 * Loops while a run goes. A loop's control task (`TaskSpec.loop`) waits for the loop's
 * dependencies, then for every task of its iterations: each iteration's tasks are added to the
 * run as dependencies of the control. Each time they are all done, the loop is decided
 * again: before the first iteration, whether it runs at all (its `when`); after iteration k,
 * its `until`, on that iteration's values — true ends it, false adds iteration k+1, up to
 * `max`. A decision and what follows from it (the next iteration's rows, or the control's
 * end) are one commit with the success that prompted it: a process killed at any moment
 * resumes to the same decision, made again from the same recorded values, and no iteration
 * is made twice (its rows are there) or skipped.
 */
import { createHash } from 'node:crypto';
import { loopAhead, remoteAdvance } from '../model/advance.ts';
import type { Advance, LoopAhead } from '../model/advance.ts';
import type { TaskGraph } from '../model/graph.ts';
import { iterationVars, makeIteration } from '../model/iteration.ts';
import { MAX_TASKS } from '../model/sweep.ts';
import type { IterationOf, Plan, TaskSpec } from '../model/types.ts';
import { DONE_STATES, TERMINAL_STATES } from '../model/task-states.ts';
import type { Target } from '../targets/target.ts';
import type { Conditions, Judgement } from './conditions.ts';
import type { RunTables } from './run-tables.ts';

/** What deciding a loop comes to: another iteration (its tasks are in the run now), or the control's move. */
export type LoopStep = { kind: 'iterate'; detail: string } | { kind: 'conclude'; detail: string } | Exclude<Judgement, { kind: 'run' }>;

/** The edges from each loop's control to the tasks of its iterations (the run's rows hold them as `iteration.of`); discarded ones wait outside the loop. */
export function linkIterations(specs: readonly TaskSpec[], graph: TaskGraph, index: ReadonlyMap<string, number>): void {
  specs.forEach((spec, i) => {
    const control = spec.iteration && !spec.iteration.discarded ? index.get(spec.iteration.of) : undefined;
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
  /** Settles tasks with the rest of the commit (an iteration made again in its rows). */
  private readonly wake: (tasks: number[]) => void;
  /** Each loop's last iteration made: its index and its tasks. */
  private readonly last = new Map<number, { index: number; tasks: number[] }>();
  /** The tasks a resubmit discarded from each loop (with those of loops inside them), by the loop that holds them. */
  private readonly heldBy = new Map<number, Set<number>>();
  /** Whether each loop asked about can advance on its cluster (model/advance.ts), by its control as the run has it now (a reload makes another). */
  private readonly advances = new WeakMap<TaskSpec, Advance>();
  private readonly targets: Record<string, Target>;

  constructor(t: RunTables, plan: Pick<Plan, 'root' | 'params' | 'targets' | 'name'>, conditions: Conditions, targets: Record<string, Target>, grow: (specs: TaskSpec[], deps: number[][], reason: string) => void, wake: (tasks: number[]) => void) {
    this.t = t;
    this.plan = plan;
    this.conditions = conditions;
    this.targets = targets;
    t.aheadOf = (i) => this.ahead(i);
    this.grow = grow;
    this.wake = wake;
    this.noteAdded(t.specs.keys());
    // A discarded task is held by the innermost loop around it that is not discarded itself.
    t.specs.forEach((spec, j) => {
      if (!spec.iteration?.discarded) return;
      let holder = t.index.get(spec.iteration.of);
      while (holder !== undefined && t.specs[holder]!.iteration?.discarded) holder = t.index.get(t.specs[holder]!.iteration!.of);
      if (holder !== undefined) this.holding(holder).add(j);
    });
  }

  /** Tasks in the run (at the start, or added): those of an iteration are noted with their loop. */
  noteAdded(tasks: Iterable<number>): void {
    for (const i of tasks) {
      const of = this.t.specs[i]!.iteration;
      const control = of && !of.discarded ? this.t.index.get(of.of) : undefined;
      if (control === undefined) continue;
      const last = this.last.get(control);
      if (!last || of!.index > last.index) this.last.set(control, { index: of!.index, tasks: [i] });
      else if (of!.index === last.index) last.tasks.push(i);
    }
  }

  /** The latest iteration made of the loop whose control is `id` (undefined: none yet). */
  latest(id: string): number | undefined {
    const control = this.t.index.get(id);
    return control === undefined ? undefined : this.last.get(control)?.index;
  }

  /** For task `i` of an iteration of a loop its cluster can advance: what the cluster needs to (the target's business). */
  ahead(i: number): LoopAhead | undefined {
    const of = this.t.specs[i]!.iteration;
    const control = of && !of.discarded ? this.t.index.get(of.of) : undefined;
    return control === undefined ? undefined : this.aheadAt(control, of!.index);
  }

  /** Iteration `index` of loop `control` as its cluster would go on from it, if it can. */
  private aheadAt(control: number, index: number): LoopAhead | undefined {
    const spec = this.t.specs[control]!;
    if (spec.loop!.kind !== 'repeat') return undefined;
    let advance = this.advances.get(spec);
    if (!advance) this.advances.set(spec, (advance = remoteAdvance(this.plan, spec)));
    if (!('target' in advance)) return undefined;
    // The attempt each task of an iteration would get next: 1, or after those a discarded one
    // had; none for one handed out already (what follows of it is the core's).
    const t = this.t;
    const held = [...(this.heldBy.get(control) ?? [])];
    const next = (id: string) => {
      const row = t.index.get(id);
      return row === undefined ? 1 : t.state[row] === 'waiting' || t.state[row] === 'ready' ? t.attempts[row]! + 1 : null;
    };
    return loopAhead(this.plan, t.runId, spec, index, next, held.map((j) => t.attempts[j]).join(','));
  }

  /** Loop `control` runs again from iteration `index`: what its cluster went on with from there is stopped and set aside. */
  private halt(control: number, index: number): void {
    const ahead = this.aheadAt(control, index);
    if (ahead) this.targets[(this.advances.get(this.t.specs[control]!) as { target: string }).target]?.halt?.(ahead);
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

  /**
   * A resubmit runs iteration `index` of loop `control` again: the iterations after it are
   * discarded. Their tasks (and those of loops inside them) keep their rows and attempts but
   * wait, held outside the loop, to be made again if the loop gets there (`revive`), or are
   * skipped when it ends before (`held`). Refused (changing nothing) while a task of them is
   * out; the service refused such a resubmit before it was recorded. In a transaction.
   */
  discard(control: number, index: number, reason: string): boolean {
    const t = this.t;
    const later = tasksOf(t, control, (at) => at.index > index && !at.discarded);
    if (later.some((j) => t.state[j] === 'submitted' || t.state[j] === 'running')) return false;
    // Out of the loop each was of (this one, or one inside it that is discarded too): one pass over each loop's edges.
    const unlinked = new Map<number, Set<number>>();
    for (const j of later) {
      const of = t.index.get(t.specs[j]!.iteration!.of)!;
      if (!t.graph.dependents[j]!.includes(of)) continue;
      if (!unlinked.has(of)) unlinked.set(of, new Set());
      unlinked.get(of)!.add(j);
      t.graph.dependents[j] = t.graph.dependents[j]!.filter((d) => d !== of);
      if (!DONE_STATES.has(t.state[j]!)) t.remaining[of]!--;
    }
    for (const [of, gone] of unlinked) t.graph.deps[of] = t.graph.deps[of]!.filter((d) => !gone.has(d));
    for (const j of later) {
      const spec = t.specs[j]!;
      if (spec.loop) this.last.delete(j);
      t.specs[j] = { ...spec, iteration: { ...spec.iteration!, discarded: reason } };
      t.store.updateTaskSpec(t.runId, j, t.specs[j]!);
      if (t.state[j] === 'ready') {
        t.dequeue(j);
        t.move(j, 'hold', null, reason);
      } else if (TERMINAL_STATES.has(t.state[j]!)) this.reopen(j, reason);
      this.holding(control).add(j);
    }
    this.last.set(control, { index, tasks: tasksOf(t, control, (at) => at.index === index && !at.discarded).filter((j) => t.specs[j]!.iteration!.of === t.ids[control]) });
    this.halt(control, index);
    return true;
  }

  /** A finished task waits again (what it published no longer stands; what waits for it waits again). */
  private reopen(j: number, reason: string): void {
    const t = this.t;
    if (DONE_STATES.has(t.state[j]!)) for (const dependent of t.graph.dependents[j]!) t.remaining[dependent]!++;
    t.move(j, 'resubmit', null, reason);
    this.conditions.forget(j);
  }

  /** The tasks a resubmit discarded from loop `i` that still wait, held, for it (they are skipped when it ends). */
  held(i: number): number[] {
    return [...(this.heldBy.get(i) ?? [])].filter((j) => this.t.state[j] === 'waiting' && this.t.specs[j]!.iteration?.discarded);
  }

  private holding(control: number): Set<number> {
    let held = this.heldBy.get(control);
    if (!held) this.heldBy.set(control, (held = new Set()));
    return held;
  }

  /** Makes an iteration a resubmit discarded again, in its rows: their specs as made now, back in the loop, settled as they allow. */
  private revive(i: number, tasks: TaskSpec[], detail: string): LoopStep {
    const t = this.t;
    const rows = tasks.map((spec) => t.index.get(spec.id));
    const stray = tasks.find((spec, k) => rows[k] === undefined || !t.specs[rows[k]!]!.iteration?.discarded || JSON.stringify(t.specs[rows[k]!]!.after) !== JSON.stringify(spec.after));
    if (stray) return { kind: 'fail', detail: `iteration ${tasks[0]!.iteration!.index} cannot be made again: ${stray.id} is not as it was` };
    tasks.forEach((spec, k) => {
      const j = rows[k]!;
      t.specs[j] = spec;
      t.store.updateTaskSpec(t.runId, j, spec);
      if (t.state[j] !== 'waiting') this.reopen(j, 'its iteration is made again');
      t.graph.deps[i]!.push(j);
      t.graph.dependents[j]!.push(i);
      if (!DONE_STATES.has(t.state[j]!)) t.remaining[i]!++;
      for (const held of this.heldBy.values()) held.delete(j);
    });
    this.noteAdded(rows as number[]);
    this.wake(rows as number[]);
    return { kind: 'iterate', detail: `${detail} (made again)` };
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
    // An iteration a resubmit discarded is made again in the rows it had (a task the loop gained since, reloaded, gets one).
    const kept = made.tasks.filter((spec) => this.t.index.has(spec.id));
    if (kept.length > 0) {
      const step = this.revive(i, kept, detail);
      const added = made.tasks.filter((spec) => !this.t.index.has(spec.id));
      if (step.kind !== 'iterate' || added.length === 0) return step;
      made.tasks = added;
    }
    if (this.t.ids.length + made.tasks.length > MAX_TASKS) return { kind: 'fail', detail: `${this.t.specs[i]!.loop!.foreach ? 'its instances' : `iteration ${index}`} would make the run's task ${(MAX_TASKS + 1).toLocaleString('en-US')}: a run has at most ${MAX_TASKS.toLocaleString('en-US')} tasks` };
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

/** The tasks of loop `control` (an index), at any depth of loops inside it, that `keep` holds for. */
function tasksOf(t: RunTables, control: number, keep: (of: IterationOf) => boolean): number[] {
  const found: number[] = [];
  const controls = new Set([t.ids[control]!]);
  t.specs.forEach((spec, i) => {
    const of = spec.iteration;
    if (!of || !controls.has(of.of) || !(of.of !== t.ids[control] || keep(of))) return;
    found.push(i);
    if (spec.loop) controls.add(spec.id);
  });
  return found;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
