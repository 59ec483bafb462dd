/**
 * A driven run's tasks as the runner and its parts see them: one entry per task (by index, in
 * the plan's order) in each table — spec, state, hash, attempts, failures, dependencies not
 * yet done — the queues per target, the attempts out now, and the moves that change them.
 * Every move is written to the store (in the caller's transaction) before it is reported.
 */
import type { LoopAhead } from '../model/advance.ts';
import { buildGraph } from '../model/graph.ts';
import type { TaskGraph } from '../model/graph.ts';
import { DONE_STATES, NEVER_DONE_STATES } from '../model/task-states.ts';
import type { TaskState } from '../model/task-states.ts';
import type { TaskSpec } from '../model/types.ts';
import type { RunRecord, Store, TaskRecord } from '../store/store.ts';
import { linkIterations } from './loops.ts';
import type { RunnerEvent } from './events.ts';
import type { PriorityQueue } from '../util/heap.ts';
import { applyTransition } from './states.ts';
import type { TransitionName } from './states.ts';

export class RunTables {
  readonly runId: string;
  readonly store: Store;
  /** Whether events are made (someone listens). */
  readonly reporting: boolean;
  /** Re-read from the store when a task is resubmitted. */
  readonly specs: TaskSpec[];
  readonly ids: string[];
  /** Each task's index by its id. */
  readonly index: Map<string, number>;
  readonly graph: TaskGraph;
  readonly state: TaskState[];
  readonly hash: (string | null)[];
  readonly attempts: number[];
  readonly failures: number[];
  /** Tasks that must not reuse a cached result (resubmitted, or the run is `--fresh`). */
  readonly force: boolean[];
  /** Dependencies of each task not done yet. */
  readonly remaining: number[];
  /** Tasks whose running attempt the user cancelled (also kept in the store). */
  readonly cancelling: Set<number>;
  /** Running tasks to reset when their attempt ends (a resubmit with downstream reached them). */
  readonly resubmitWhenDone = new Set<number>();
  /** For a task of an iteration of a loop its cluster can go on with: what the cluster needs to (set by Loops). */
  aheadOf: (i: number) => LoopAhead | undefined = () => undefined;
  /** Whether each task is in its target's queue, and the queues by target, highest priority first. */
  queued: Uint8Array;
  readonly queues = new Map<string, PriorityQueue>();
  /** Attempts out now (submitted or running), in all and per target. */
  active = 0;
  readonly runningOn = new Map<string, number>();
  /** Attempts adopted from an earlier process, and how many run on each target. */
  readonly adopted = new Set<number>();
  readonly adoptedOn = new Map<string, number>();
  /** Whether any task of the run was skipped: until one is, a task without a condition runs without a look at its dependencies. */
  anySkipped: boolean;
  /** The user cancelled the whole run (a resubmit lifts it). */
  cancelledRun = false;
  /** Events of the commit under way, reported once it is committed. */
  readonly pendingEvents: RunnerEvent[] = [];

  constructor(fields: Pick<RunTables, 'runId' | 'store' | 'reporting' | 'specs' | 'ids' | 'index' | 'graph' | 'state' | 'hash' | 'attempts' | 'failures' | 'force' | 'remaining' | 'cancelling'>) {
    this.runId = fields.runId;
    this.store = fields.store;
    this.reporting = fields.reporting;
    this.specs = fields.specs;
    this.ids = fields.ids;
    this.index = fields.index;
    this.graph = fields.graph;
    this.state = fields.state;
    this.hash = fields.hash;
    this.attempts = fields.attempts;
    this.failures = fields.failures;
    this.force = fields.force;
    this.remaining = fields.remaining;
    this.cancelling = fields.cancelling;
    this.queued = new Uint8Array(fields.ids.length);
    this.anySkipped = fields.state.includes('skipped');
  }

  /**
   * A run's tables from its rows (the specs too, unless the caller holds them: it just made
   * the run); a loop's control waits for the tasks of its iterations.
   */
  static load(store: Store, run: RunRecord, reporting: boolean, held?: readonly TaskSpec[]): RunTables {
    const runId = run.id;
    let tasks: Omit<TaskRecord, 'spec'>[];
    let specs: TaskSpec[];
    if (held) {
      tasks = store.taskRecords(runId);
      if (held.length !== tasks.length) throw new Error(`run '${runId}' has ${tasks.length} tasks, not ${held.length}`);
      specs = [...held];
    } else {
      const loaded = store.loadTasks(runId);
      tasks = loaded;
      specs = loaded.map((task) => task.spec);
    }
    const ids = tasks.map((task) => task.id);
    const state = tasks.map((task) => task.state);
    const forced = new Set(store.forcedTasks(runId));
    const graph = buildGraph(ids, specs.map((spec) => spec.after));
    const index = new Map(ids.map((id, i) => [id, i]));
    linkIterations(specs, graph, index);
    return new RunTables({
      runId,
      store,
      reporting,
      specs,
      ids,
      index,
      graph,
      state,
      hash: tasks.map((task) => task.hash),
      attempts: tasks.map((task) => task.attempts),
      failures: tasks.map((task) => task.failures),
      force: tasks.map((task) => forced.has(task.idx) || run.options.fresh === true),
      remaining: graph.deps.map((deps) => deps.filter((dep) => !DONE_STATES.has(state[dep]!)).length),
      cancelling: new Set(store.cancelRequested(runId)),
    });
  }

  /**
   * The dependencies (indices) of tasks to add after the last one, each after the tasks its
   * spec names (already there, or earlier among the new); throws, naming the task, for an id
   * the run has or a dependency it has not. Nothing changes.
   */
  dependenciesOf(specs: readonly TaskSpec[]): number[][] {
    const added = new Map<string, number>();
    const indexOf = (id: string) => this.index.get(id) ?? added.get(id);
    return specs.map((spec, k) => {
      if (indexOf(spec.id) !== undefined) throw new Error(`run ${this.runId} already has a task '${spec.id}'`);
      const deps = spec.after.map((id) => {
        const dep = indexOf(id);
        if (dep === undefined) throw new Error(`task '${spec.id}' runs after '${id}', which run ${this.runId} does not have (yet)`);
        return dep;
      });
      if (spec.iteration && this.index.get(spec.iteration.of) === undefined) throw new Error(`task '${spec.id}' is of loop '${spec.iteration.of}', which run ${this.runId} does not have`);
      added.set(spec.id, this.ids.length + k);
      return deps;
    });
  }

  /**
   * Adds waiting tasks after the last one (a run that grows), with their dependencies as
   * `dependenciesOf` gave them; a task of a loop's iteration is a dependency of the loop's
   * control. Returns their indices. The store's rows are the caller's to write, in the same
   * transaction.
   */
  append(specs: readonly TaskSpec[], depsOf: readonly number[][]): number[] {
    const added: number[] = [];
    for (const [k, spec] of specs.entries()) {
      const i = this.ids.length;
      const deps = depsOf[k]!;
      this.specs.push(spec);
      this.ids.push(spec.id);
      this.index.set(spec.id, i);
      this.state.push('waiting');
      this.hash.push(null);
      this.attempts.push(0);
      this.failures.push(0);
      this.force.push(false);
      this.graph.deps.push([...deps]);
      this.graph.dependents.push([]);
      for (const dep of deps) this.graph.dependents[dep]!.push(i);
      this.remaining.push(deps.filter((dep) => !DONE_STATES.has(this.state[dep]!)).length);
      const control = spec.iteration ? this.index.get(spec.iteration.of)! : undefined;
      if (control !== undefined) {
        this.graph.deps[control]!.push(i);
        this.graph.dependents[i]!.push(control);
        this.remaining[control]!++;
      }
      added.push(i);
    }
    // Room for what grows after, too: a loop grows a little at a time, many times.
    if (this.queued.length < this.ids.length) {
      const queued = new Uint8Array(Math.max(this.ids.length, this.queued.length * 2));
      queued.set(this.queued);
      this.queued = queued;
    }
    return added;
  }

  /** Moves a task by a named transition (core/scheduler/states.ts), recorded in the store. In a transaction. */
  move(i: number, name: TransitionName, attempt: number | null, detail: string | null, failedAttempt = false): void {
    const from = this.state[i]!;
    const to = applyTransition(this.ids[i]!, from, name);
    const at = Date.now();
    this.store.transition({ runId: this.runId, task: i, from, to, at, attempt, detail, failedAttempt, hash: this.hash[i] });
    this.state[i] = to;
    if (to === 'skipped') this.anySkipped = true;
    if (this.reporting) this.pendingEvents.push({ type: 'task', runId: this.runId, taskId: this.ids[i]!, from, to, attempt, detail, at });
  }

  enqueue(i: number): void {
    if (this.queued[i]) return;
    this.queued[i] = 1;
    this.queues.get(this.specs[i]!.target)!.push(i);
  }

  dequeue(i: number): void {
    if (this.queued[i] && this.queues.get(this.specs[i]!.target)!.remove(i)) this.queued[i] = 0;
  }

  /** Blocks every waiting or ready task downstream of `i` (which will not succeed). In a transaction. */
  blockDownstream(i: number): void {
    const stack = [...this.graph.dependents[i]!];
    while (stack.length > 0) {
      const j = stack.pop()!;
      const state = this.state[j]!;
      if (state !== 'waiting' && state !== 'ready') continue;
      if (state === 'ready') this.dequeue(j);
      this.move(j, 'block', null, `upstream ${this.ids[i]} ${this.state[i]}`);
      for (const dependent of this.graph.dependents[j]!) stack.push(dependent);
    }
  }

  /** Blocks a waiting task (and its downstream) when a dependency will not succeed; whether it did. In a transaction. */
  blockIfStuck(i: number): boolean {
    const stuck = this.graph.deps[i]!.find((dep) => NEVER_DONE_STATES.has(this.state[dep]!));
    if (stuck === undefined) return false;
    this.move(i, 'block', null, `upstream ${this.ids[stuck]} ${this.state[stuck]}`);
    this.blockDownstream(i);
    return true;
  }

  /** An attempt is out: counted against its target's slots. */
  attemptOut(i: number): void {
    this.active++;
    const target = this.specs[i]!.target;
    this.runningOn.set(target, this.runningOn.get(target)! + 1);
  }

  /** An attempt is no longer out (it ended, or will never start). */
  attemptBack(i: number): void {
    this.active--;
    const target = this.specs[i]!.target;
    this.runningOn.set(target, this.runningOn.get(target)! - 1);
    if (this.adopted.delete(i)) this.adoptedOn.set(target, this.adoptedOn.get(target)! - 1);
  }
}
