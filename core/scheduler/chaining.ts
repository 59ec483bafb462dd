/**
 * Chaining: a waiting task whose unfinished dependencies are all attempts out on the same
 * target, where that target follows edges (SLURM's afterok, the C launcher), is handed over
 * ahead — it starts there the moment they succeed, with no round trip to the core. A commit
 * chains at most a batch (growing from a few, see tuning.ts); the rest follow in the next.
 */
import { ACTIVE_STATES, DONE_STATES } from '../model/task-states.ts';
import type { Target } from '../targets/target.ts';
import type { Releaser } from './release.ts';
import type { RunTables } from './run-tables.ts';
import { CHAIN_BATCH, FIRST_CHAIN_BATCH, Ramp } from './tuning.ts';

/** An attempt a chained one waits for: its task, number, and the task's index. */
export type ChainLink = { taskId: string; n: number; dep: number };

export class Chainer {
  private readonly t: RunTables;
  private readonly targets: Record<string, Target>;
  private readonly releaser: Releaser;
  /** A global cap on attempts (`--max-parallel`) counts what is handed out: nothing is chained then. */
  private readonly capped: boolean;
  /** Attempts handed over with `after` (chained), by task, until they start or are withdrawn. */
  private readonly chained = new Map<number, ChainLink[]>();
  /** Tasks that could have been chained but found their target full, or the commit's batch used up. */
  private readonly later = new Set<number>();
  /** How many tasks the next commit may chain. */
  private readonly batch = new Ramp(FIRST_CHAIN_BATCH, CHAIN_BATCH);
  /** Whether the last commit left tasks to chain for want of batch (the next commit follows at once). */
  chainedFully = true;

  constructor(t: RunTables, targets: Record<string, Target>, releaser: Releaser, capped: boolean) {
    this.t = t;
    this.targets = targets;
    this.releaser = releaser;
    this.capped = capped;
  }

  /** What a chained attempt of the task waits for (undefined: it is not chained). */
  waitsFor(i: number): ChainLink[] | undefined {
    return this.chained.get(i);
  }

  /** The task's chained attempt started, ended or will never start. */
  forget(i: number): void {
    this.chained.delete(i);
  }

  /** These tasks' dependents are candidates for the next commit (their upstream was just handed over). */
  considerLater(tasks: readonly number[]): void {
    for (const i of tasks) for (const dependent of this.t.graph.dependents[i]!) this.later.add(dependent);
  }

  /**
   * Chains, up to the batch, what waited to be chained and the dependents of the attempts
   * just handed over (`launches`, to which the chained ones are added); `submit` commits each
   * one's attempt. In a transaction.
   */
  chainAfter(launches: number[], submit: (i: number) => void): void {
    this.chainedFully = true;
    const waiting = [...this.later];
    this.later.clear();
    let budget = this.batch.size;
    const consider = (i: number) => {
      if (budget === 0) {
        this.later.add(i);
        this.chainedFully = false;
      } else if (this.chain(i, launches, submit)) budget--;
    };
    for (const i of waiting) consider(i);
    for (let k = 0; k < launches.length; k++) for (const dependent of this.t.graph.dependents[launches[k]!]!) consider(dependent);
    if (budget < this.batch.size) this.batch.grow();
  }

  /** Drops the task's chained attempt if it has not started (the target may have started it). */
  withdraw(i: number): void {
    if (this.chained.has(i)) this.targets[this.t.specs[i]!.target]?.withdraw(this.t.runId, this.t.ids[i]!, this.t.attempts[i]!);
  }

  /** Whether a task waits to be chained on this target once it has room. */
  waitsOn(target: string): boolean {
    for (const i of this.later) if (this.t.specs[i]!.target === target) return true;
    return false;
  }

  /** Chained attempts on a target that still wait for an attempt that has not ended (`ending`: ended, not yet recorded). */
  waitingOn(target: string, ending: ReadonlySet<number>): number {
    let waiting = 0;
    for (const [i, after] of this.chained) {
      if (this.t.specs[i]!.target === target && after.some((ref) => !DONE_STATES.has(this.t.state[ref.dep]!) && !ending.has(ref.dep))) waiting++;
    }
    return waiting;
  }

  /** Chains the task if it can be; whether it was. */
  private chain(i: number, launches: number[], submit: (i: number) => void): boolean {
    const after = this.chainable(i);
    if (after === 'full') this.later.add(i);
    if (!Array.isArray(after)) return false;
    submit(i);
    this.chained.set(i, after);
    launches.push(i);
    return true;
  }

  /**
   * Whether a waiting task can be handed to its target now, to start there once its
   * unfinished dependencies succeed: its target follows edges and has room, every unfinished
   * dependency is an attempt this process handed to that same target, and the task would run
   * (it declares no inputs, whose hashes could still change, and has no cached result).
   * Returns the attempts it waits for, or `full` when only room is missing. In a transaction.
   */
  private chainable(i: number): ChainLink[] | 'full' | undefined {
    const t = this.t;
    const spec = t.specs[i]!;
    const target = this.targets[spec.target];
    // A task with a condition is decided once what it reads is there: it is never handed over ahead.
    if (t.state[i] !== 'waiting' || t.remaining[i] === 0 || !target?.followsEdges || spec.inputs.length > 0 || spec.when !== undefined || spec.loop !== undefined || spec.iteration?.discarded) return undefined;
    // Every dependency not done must be an attempt out now: a task after more than that (a
    // sweep's reduction) is turned down at once, not by a walk through thousands of them.
    if (t.remaining[i]! > t.active) return undefined;
    if (t.cancelledRun || t.cancelling.has(i) || this.capped || t.adoptedOn.get(spec.target)) return undefined;
    const after: ChainLink[] = [];
    for (const dep of t.graph.deps[i]!) {
      const state = t.state[dep]!;
      // After a skipped task it may be skipped too: decided when the rest have ended.
      if (state === 'skipped') return undefined;
      if (DONE_STATES.has(state)) continue;
      if (!ACTIVE_STATES.has(state) || t.specs[dep]!.target !== spec.target || t.cancelling.has(dep) || t.resubmitWhenDone.has(dep)) return undefined;
      after.push({ taskId: t.ids[dep]!, n: t.attempts[dep]!, dep });
    }
    if (t.runningOn.get(spec.target)! >= target.capacity) return 'full';
    // A task with a cached result is not chained: its release reuses the result.
    const decision = this.releaser.consider(i);
    if (decision.cached) return undefined;
    this.releaser.keep(i, decision);
    return after;
  }
}
