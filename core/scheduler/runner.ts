import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { CodedError } from '../model/errors.ts';
import { remainingPathLengths, topologicalOrder } from '../model/graph.ts';
import { DONE_STATES, TERMINAL_STATES } from '../model/task-states.ts';
import type { TaskSpec } from '../model/types.ts';
import type { RunRecord, RunState, Store } from '../store/store.ts';
import { createTargets } from '../targets/create.ts';
import type { TargetContext } from '../targets/create.ts';
import type { LocalTargetOptions } from '../targets/local.ts';
import type { ClusterStatus } from '../targets/remote/clusters.ts';
import type { AttemptEvents, Target } from '../targets/target.ts';
import { folderResolver } from '../util/files.ts';
import { isOwnerGone, selfOwner } from '../util/process.ts';
import { adoptOpenAttempts, refuseLostAttempts } from './adoption.ts';
import { CachePolicy } from './cache-policy.ts';
import { Chainer } from './chaining.ts';
import { Conditions } from './conditions.ts';
import { Loops } from './loops.ts';
import { Dispatcher } from './dispatch.ts';
import { Endings } from './endings.ts';
import { Inbox } from './inbox.ts';
import type { RunnerEvent } from './events.ts';
import { PriorityQueue } from '../util/heap.ts';
import { Releaser } from './release.ts';
import { cancelTaskNow, resubmitTasks } from './requests.ts';
import { RunTables } from './run-tables.ts';
import { refuseIfLeftRunning, refuseIfRunning } from './runs.ts';
import { CHECKPOINT_COMMITS } from './tuning.ts';

export type { RunnerEvent } from './events.ts';

export interface RunnerOptions {
  /** Targets by name; by default built from the plan (local ones). */
  targets?: Record<string, Target>;
  localOptions?: LocalTargetOptions;
  /** How remote targets reach their hosts (the process's clusters, prompts, poll interval). */
  remote?: TargetContext['remote'];
  /** Cap on attempts running at once across all targets. */
  maxParallel?: number;
  /** Report, for each task, why it runs or is cached. */
  explain?: boolean;
  onEvent?: (event: RunnerEvent) => void;
  /** How often to look for requests (cancel, resubmit) from other processes. */
  requestPollMs?: number;
  /** The specs of the run's tasks in order, when the caller holds them (it just created the run): they are not read back. */
  specs?: readonly TaskSpec[];
}

/** Thrown when another live process already drives the run. */
export class RunBusyError extends CodedError {
  constructor(runId: string, owner: string) {
    super('run-busy', `run ${runId} is being driven by another Flotilla process (${owner}); use 'flotilla cancel' or 'flotilla resubmit', which it will pick up`);
  }
}

/**
 * Drives one run to its end: releases tasks whose dependencies are done (or reuses cached
 * results), starts attempts by priority within each target's limit, retries, blocks
 * downstream of failures, and adopts attempts a crashed predecessor left running.
 * Every transition is committed to the store before it is acted on or reported.
 */
export class Runner {
  readonly runId: string;
  /** The run's tasks: their tables, and the moves between states (run-tables.ts). */
  private readonly t: RunTables;
  private readonly store: Store;
  private readonly options: RunnerOptions;
  private readonly run: RunRecord;
  private readonly targets: Record<string, Target>;
  /** Folder of this run's attempt files. */
  private readonly runDir: string;
  /** Hands queued tasks to their targets (dispatch.ts). */
  private readonly dispatcher: Dispatcher;
  private readonly owner = selfOwner();
  /** Whether the run's end already gave up the claim (in the commit that recorded the end). */
  private released = false;
  /** Reports waiting for the next commit, and when that commit is due (inbox.ts). */
  private readonly inbox: Inbox;
  private flushing = false;
  /** Releases tasks whose dependencies are done, or reuses their cached results (release.ts). */
  private readonly releaser: Releaser;
  /** Decides the tasks that have a condition (conditions.ts). */
  private readonly conditions: Conditions;
  /** Decides loops, and adds their iterations (loops.ts). */
  private readonly loops: Loops;
  /** Each task's longest remaining path: the queues' order (grows with the run). */
  private readonly priority: number[];
  /** Hands tasks over ahead, behind the attempts they wait for (chaining.ts). */
  private readonly chainer: Chainer;
  /** Records what targets report about attempts (endings.ts). */
  private readonly endings: Endings;
  private starting = true;
  private adopting = 0;
  private finished: ((state: RunState) => void) | undefined;
  /** Ends `drive` with an error: the store could not be written (see `guarded`). */
  private failed: ((error: unknown) => void) | undefined;
  /** The store error that stopped this driver, once one did. */
  private broken: unknown;
  private poller: NodeJS.Timeout | undefined;
  /** Commits so far, and the checkpoint due after the last CHECKPOINT_COMMITS of them. */
  private commits = 0;
  private checkpointer: NodeJS.Immediate | undefined;

  constructor(store: Store, runId: string, options: RunnerOptions = {}) {
    const run = store.getRun(runId);
    if (!run) throw new Error(`no run '${runId}'`);
    this.store = store;
    this.runId = runId;
    this.run = run;
    this.options = options;
    this.t = RunTables.load(store, run, options.onEvent !== undefined, options.specs);
    const sorted = topologicalOrder(this.t.graph);
    const priority = 'order' in sorted ? remainingPathLengths(this.t.graph, sorted.order) : this.t.ids.map(() => 1);
    this.priority = priority;
    const remote = options.remote && {
      ...options.remote,
      // Kept in the store, so `flotilla status` in another process can say when it was last seen.
      onCluster: (status: ClusterStatus) => {
        store.event({ runId, at: Date.now(), kind: 'cluster', to: status.state, detail: JSON.stringify({ destination: status.destination, lastSeen: status.lastSeen, detail: status.detail }) });
        options.remote?.onCluster?.(status);
      },
    };
    this.targets =
      options.targets ??
      createTargets(run.plan.targets, { runId, root: run.root, runTimes: store.history.recentRunTimes(run.file, runId), ...(options.localOptions ? { local: options.localOptions } : {}), ...(remote ? { remote } : {}) });
    for (const name of Object.keys(this.targets)) {
      this.t.queues.set(name, new PriorityQueue(priority));
      this.t.runningOn.set(name, 0);
    }
    this.conditions = new Conditions(this.t, run.plan.params);
    this.loops = new Loops(this.t, run.plan, this.conditions, this.targets, (specs, deps, reason) => this.growNow(specs, deps, reason), (tasks) => this.releaser.add(tasks));
    this.releaser = new Releaser(this.t, new CachePolicy(store, run, options.explain === true), this.conditions, this.loops, options.explain === true, priority);
    this.chainer = new Chainer(this.t, this.targets, this.releaser, options.maxParallel !== undefined);
    this.endings = new Endings(this.t, this.targets, this.chainer, this.releaser);
    this.inbox = new Inbox(this.t, this.targets, this.chainer, () => this.kick());
    this.runDir = path.join(store.home, 'runs', runId);
    this.dispatcher = new Dispatcher(this.t, this.targets, this.chainer, { cap: options.maxParallel, runDir: this.runDir, folder: folderResolver(run.root) });
  }

  /** Runs to the end (or until cancelled) and returns the run's final state. */
  async drive(): Promise<RunState> {
    // Another run of the same workflow in the same folder, driven now: both would write the same files.
    refuseIfRunning(this.store, this.run.file, this.run.root, this.runId, this.owner);
    refuseIfLeftRunning(this.store, this.run.file, this.run.root, this.runId);
    const claim = this.store.claimRun(this.runId, this.owner, isOwnerGone);
    if (!claim.ok) throw new RunBusyError(this.runId, claim.owner);
    const done = new Promise<RunState>((resolve, reject) => {
      this.finished = resolve;
      this.failed = reject;
    });
    try {
      if (this.run.state !== 'running') this.store.setRunState(this.runId, 'running', Date.now());
      refuseLostAttempts(this.t, this.runDir, (i) => this.dispatcher.attemptFiles(i, this.t.attempts[i]! + 1));
      mkdirSync(this.runDir, { recursive: true });
      // Tasks left ready by an earlier process are queued before adoption may release more.
      this.t.state.forEach((state, i) => {
        if (state === 'ready') this.t.enqueue(i);
      });
      await adoptOpenAttempts(this.t, this.targets, {
        events: (i, n) => this.attemptEvents(i, n),
        started: (i, n, started, at) => this.inbox.receive({ kind: 'started', task: i, n, started, at }),
        ended: (i, n, exit, at) => this.inbox.receive({ kind: 'exit', task: i, n, exit, at }),
        lost: (i, record) => this.write(() => this.endings.notStarted(i, record.n, 'lost', 'never started: Flotilla stopped before the process began')),
        adopting: (delta) => (this.adopting += delta),
      });
      // What adoption found is recorded before any request (a cancel must not turn an
      // attempt that succeeded meanwhile into a cancelled one).
      // Only what fills the slots is released now: those start at once, the rest follows.
      this.write(() => {
        this.inbox.process(this.endings);
        this.releaser.settle(this.t.ids.map((_, i) => i), Object.values(this.targets).reduce((slots, target) => slots + target.maxParallel, 0));
      });
      for (const i of this.t.cancelling) this.targets[this.t.specs[i]!.target]?.cancel(this.runId, this.t.ids[i]!, this.t.attempts[i]!);
      // A cancel or resubmit queued while nobody drove the run applies before anything starts.
      this.applyRequests();
      this.starting = false;
      this.poller = setInterval(() => this.guarded(() => this.applyRequests()), this.options.requestPollMs ?? 300);
      this.kick();
      return await done;
    } finally {
      clearInterval(this.poller);
      clearImmediate(this.checkpointer);
      this.inbox.stop();
      await Promise.all(Object.values(this.targets).map((target) => target.dispose()));
      if (!this.released && this.broken === undefined) this.store.releaseRun(this.runId, this.owner);
    }
  }

  /**
   * Runs what a timer or an attempt's event asked for. When the store cannot be written (a
   * full disk, an I/O error), the commit was rolled back and nothing acted on it: this driver
   * stops, `drive` rejects with the error, and the attempts run on as after a kill — `resume`
   * adopts them once the store can be written again. Its claim goes with this process.
   */
  private guarded(fn: () => void): void {
    if (this.broken !== undefined) return;
    try {
      fn();
    } catch (error) {
      this.broken = error;
      clearInterval(this.poller);
      this.inbox.stop();
      const reject = this.failed;
      this.finished = undefined;
      this.failed = undefined;
      reject?.(error);
    }
  }

  /**
   * Stops driving without touching any attempt: they run on (locally, on a host, in a batch
   * queue) and a later `resume` adopts them. `drive` then returns `running`.
   */
  detach(): void {
    const resolve = this.finished;
    this.finished = undefined;
    this.failed = undefined;
    resolve?.('running');
  }

  /**
   * Adds tasks to the run while it is driven — the next iteration of a loop, the instances of
   * a foreach over a value — in one commit with their rows; they are released as their
   * dependencies allow, as any task. Returns their ids.
   */
  grow(specs: readonly TaskSpec[]): string[] {
    if (!this.finished) throw new Error(`run ${this.runId} is not being driven`);
    // Refused before anything is written (a repeated id, an unknown dependency).
    const deps = this.t.dependenciesOf(specs);
    let added: number[] = [];
    // As every commit of a driven run: one the store refuses stops this driver (see `guarded`).
    this.guarded(() => this.write(() => {
      added = this.growNow(specs, deps);
      this.releaser.settle([]);
    }));
    this.kick();
    return added.map((i) => this.t.ids[i]!);
  }

  /** Adds tasks (their dependencies as `dependenciesOf` gave them) in the commit under way; they are settled with it. */
  private growNow(specs: readonly TaskSpec[], deps: number[][], reason?: string): number[] {
    this.store.appendTasks(this.runId, specs, this.t.ids.length, Date.now());
    const added = this.t.append(specs, deps);
    // Each new task's longest remaining path, from the last (its dependents come after it, but for a loop's control).
    for (let k = added.length - 1; k >= 0; k--) {
      const i = added[k]!;
      let longest = 0;
      for (const dependent of this.t.graph.dependents[i]!) longest = Math.max(longest, this.priority[dependent] ?? 0);
      this.priority[i] = longest + 1;
    }
    this.loops.noteAdded(added);
    if (this.t.reporting) this.t.pendingEvents.push({ type: 'grew', runId: this.runId, tasks: specs.map((spec) => spec.id), ...(reason ? { reason } : {}) });
    this.releaser.add(added);
    return added;
  }

  /** Cancels every unfinished task; running attempts are killed (their whole process group). */
  cancelRun(): void {
    this.t.cancelledRun = true;
    this.write(() => {
      for (let i = 0; i < this.t.ids.length; i++) cancelTaskNow(this.t, i, this.targets);
    });
    this.kick();
  }

  /** Cancels one task; its downstream is blocked. */
  cancelTask(taskId: string): boolean {
    const i = this.t.ids.indexOf(taskId);
    if (i < 0 || TERMINAL_STATES.has(this.t.state[i]!)) return false;
    this.write(() => cancelTaskNow(this.t, i, this.targets));
    this.kick();
    return true;
  }

  /**
   * Runs tasks again (ignoring the cache for them): each named task, every blocked or
   * cancelled task downstream of it, and with `downstream` every task downstream of it
   * (see `resetTasks`). Returns the ids reset now.
   */
  resubmit(taskIds: string[], downstream: boolean): string[] {
    let reset: number[] = [];
    this.write(() => (reset = resubmitTasks(this.t, this.loops, taskIds, downstream, this.chainer, this.releaser)));
    this.kick();
    return reset.map((i) => this.t.ids[i]!);
  }

  /**
   * Takes the requests made of the run now rather than at the next look (`requestPollMs`): the
   * service calls it for a run it drives itself. Before adoption is done they wait, as at the start.
   */
  takeRequests(): void {
    if (this.starting || this.finished === undefined) return;
    this.guarded(() => this.applyRequests());
  }

  private applyRequests(): void {
    for (const request of this.store.openRequests(this.runId)) {
      const payload = JSON.parse(request.payload) as { task?: string; tasks?: string[]; downstream?: boolean };
      if (request.kind === 'cancel') {
        if (payload.task) this.cancelTask(payload.task);
        else this.cancelRun();
      } else {
        this.resubmit(payload.tasks ?? [], payload.downstream === true);
      }
      this.store.finishRequest(request.seq, Date.now());
    }
  }

  /** Commits `fn`'s store writes in one transaction, then reports its events. */
  private write(fn: () => void): void {
    this.releaser.beginCommit();
    try {
      this.store.transaction(fn);
    } catch (error) {
      // Rolled back: what it would have reported (or handed over) never happened.
      this.t.pendingEvents.length = 0;
      this.dispatcher.rolledBack();
      throw error;
    }
    this.releaser.commitDone();
    const events = this.t.pendingEvents.splice(0);
    if (this.options.onEvent) for (const event of events) this.options.onEvent(event);
    if (++this.commits % CHECKPOINT_COMMITS === 0) this.checkpointer ??= setImmediate(() => {
      this.checkpointer = undefined;
      this.guarded(() => this.store.checkpoint());
    });
  }

  /** Asks for a flush soon: started/exited attempts and free slots are handled in one commit. */
  private kick(): void {
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => this.guarded(() => this.flush()));
  }

  /**
   * One group commit: records every attempt that started or ended since the last flush,
   * with what follows from it (retries, releases, blocks), and submits attempts for the free
   * slots, and the run's end once nothing is left; then, committed, starts those attempts and
   * reports the events.
   */
  private flush(): void {
    this.flushing = false;
    this.inbox.stop();
    if (this.starting) return;
    const launches: number[] = [];
    let recorded = 0;
    let idleFilled = false;
    let ended: RunState | undefined;
    this.write(() => {
      recorded = this.inbox.process(this.endings);
      idleFilled = this.dispatcher.fillIdle(launches);
      if (idleFilled) return;
      if (this.releaser.pending > 0) this.releaser.settle([]);
      this.dispatcher.fill(launches);
      ended = this.endState();
      if (ended === undefined) return;
      // The run's end and the release of its claim go in the commit of its last task's end.
      this.store.setRunState(this.runId, ended, Date.now());
      this.store.releaseRun(this.runId, this.owner);
    });
    if (ended !== undefined) this.store.rescueLog();
    for (const i of launches) this.dispatcher.launch(i, this.attemptEvents(i, this.t.attempts[i]!));
    if (recorded > 0) for (const target of Object.values(this.targets)) target.committed();
    for (const [name, queue] of this.t.queues) this.targets[name]!.readyWaiting?.(queue.size > 0);
    if (ended !== undefined) return this.finish(ended);
    if (idleFilled || this.releaser.pending > 0 || !this.chainer.chainedFully) this.kick();
  }

  private attemptEvents(i: number, n: number): AttemptEvents {
    return {
      onSubmitted: (jobId) => this.inbox.receive({ kind: 'submitted', task: i, n, jobId }),
      onQueued: (expectedStart) => this.inbox.receive({ kind: 'queued', task: i, n, expectedStart }),
      onStarted: (started) => this.inbox.receive({ kind: 'started', task: i, n, started, at: started.at ?? Date.now() }),
      onExit: (exit) => this.inbox.receive({ kind: 'exit', task: i, n, exit, at: exit.endedAt ?? Date.now() }),
      onWithdrawn: (reason) => this.inbox.receive({ kind: 'withdrawn', task: i, n, reason }),
    };
  }

  /** How the run ended, once nothing is left to run, to end or to record; else undefined. */
  private endState(): RunState | undefined {
    if (!this.finished || this.starting || this.t.active > 0 || this.adopting > 0 || this.inbox.size > 0 || this.releaser.pending > 0) return undefined;
    for (const queue of this.t.queues.values()) if (queue.size > 0) return undefined;
    if (this.t.state.some((s) => !TERMINAL_STATES.has(s))) return undefined;
    return this.t.cancelledRun ? 'cancelled' : this.t.state.every((s) => DONE_STATES.has(s)) ? 'succeeded' : 'failed';
  }

  /** Reports the run's end, recorded with its claim released, and ends `drive`. */
  private finish(state: RunState): void {
    this.released = true;
    this.options.onEvent?.({ type: 'run', runId: this.runId, state });
    const resolve = this.finished!;
    this.finished = undefined;
    this.failed = undefined;
    resolve(state);
  }
}
