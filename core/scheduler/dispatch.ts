/**
 * Handing attempts out: tasks leave their target's queue while the target (and the global
 * cap) has room, each attempt is committed as submitted — with where it runs and writes —
 * before it is started, and chained ones follow what was handed over (chaining.ts).
 */
import path from 'node:path';
import { DONE_STATES } from '../model/task-states.ts';
import type { AttemptEvents, Target } from '../targets/target.ts';
import { attemptStem } from '../util/files.ts';
import type { Chainer } from './chaining.ts';
import type { RunTables } from './run-tables.ts';

/** Where an attempt runs and writes. */
export interface AttemptPlace {
  cwd: string;
  dir: string;
  stdout: string;
  stderr: string;
  marker: string;
}

export class Dispatcher {
  private readonly t: RunTables;
  private readonly targets: Record<string, Target>;
  private readonly chainer: Chainer;
  /** A cap on attempts out at once across all targets (`--max-parallel`). */
  private readonly cap: number;
  /** Folder of this run's attempt files. */
  private readonly runDir: string;
  /** A task's working folder from its `cwd` (relative to the run's root). */
  private readonly folder: (relative: string) => string;
  /** Where the attempts submitted in this commit run and write, until they are handed to their targets. */
  private readonly handing = new Map<number, AttemptPlace>();

  constructor(t: RunTables, targets: Record<string, Target>, chainer: Chainer, options: { cap: number | undefined; runDir: string; folder: (relative: string) => string }) {
    this.t = t;
    this.targets = targets;
    this.chainer = chainer;
    this.cap = options.cap ?? Infinity;
    this.runDir = options.runDir;
    this.folder = options.folder;
  }

  /** A commit was rolled back: what it submitted is not handed over. */
  rolledBack(): void {
    this.handing.clear();
  }

  /**
   * Hands attempts to the idle slots of targets that queue beyond their slots, in a commit of
   * their own: they start at once, and what else there is to release, queue or chain there
   * follows in the next commit (the dependents of these, to be chained, among it). Whether it
   * handed any. In a transaction.
   */
  fillIdle(launches: number[]): boolean {
    this.submitQueued(launches, true);
    this.chainer.considerLater(launches);
    return launches.length > 0;
  }

  /** Submits queued tasks while their targets (and the global cap) have room. In a transaction. */
  fill(launches: number[]): void {
    this.submitQueued(launches, false);
    // Dependents of what was handed over may follow it, on targets that follow edges (chaining.ts).
    this.chainer.chainAfter(launches, (i) => this.submit(i, 'chain'));
  }

  /**
   * Submits queued tasks up to each target's room: its capacity where it queues beyond its
   * slots, else its slots (`idleOnly`: only the idle slots of targets that queue). In a
   * transaction.
   */
  private submitQueued(launches: number[], idleOnly: boolean): void {
    const cap = this.cap;
    for (const [name, queue] of this.t.queues) {
      const target = this.targets[name]!;
      // A global cap counts attempts handed out, so nothing may wait in a target's own queue;
      // nor while attempts adopted from an earlier process run there outside its launcher.
      const queuesAhead = cap === Infinity && !this.t.adoptedOn.get(name) && target.capacity > target.maxParallel;
      if (idleOnly && !queuesAhead) continue;
      const limit = queuesAhead && !idleOnly ? target.capacity : target.maxParallel;
      while (queue.size > 0 && this.t.runningOn.get(name)! < limit && this.t.active < cap) {
        const i = queue.pop()!;
        this.t.queued[i] = 0;
        this.submit(i, 'submit');
        launches.push(i);
      }
    }
  }

  /** Commits the intent to run an attempt: the task is submitted before anything starts. */
  private submit(i: number, how: 'submit' | 'chain'): void {
    const spec = this.t.specs[i]!;
    const n = ++this.t.attempts[i]!;
    this.t.move(i, how, n, how === 'chain' ? `after ${this.t.graph.deps[i]!.filter((dep) => !DONE_STATES.has(this.t.state[dep]!)).map((dep) => this.t.ids[dep]).join(', ')}` : null);
    const place = { cwd: this.folder(spec.cwd), ...this.attemptFiles(i, n) };
    this.handing.set(i, place);
    this.t.store.insertAttempt({
      runId: this.t.runId, taskIdx: i, n, state: 'submitted', target: spec.target, host: '', command: spec.run, ...place,
      hash: this.t.hash[i] ?? null, pid: null, pidStart: null, jobId: null,
      schedulerState: null, expectedStart: null, submittedAt: Date.now(), startedAt: null, endedAt: null, exitCode: null, signal: null, reason: null, values: null,
    });
    this.t.attemptOut(i);
  }

  /**
   * Where an attempt's files go: flat in the run's folder, named after the task and attempt
   * (`windows[0]%2Fequilibrate.1.out`). One folder per run, not per attempt: for short tasks
   * creating folders costs more than running them.
   */
  attemptFiles(i: number, n: number): { dir: string; stdout: string; stderr: string; marker: string } {
    // The name holds no slash, so plain concatenation is the join.
    const base = `${this.runDir}${path.sep}${attemptStem(this.t.ids[i]!)}.${n}`;
    return { dir: this.runDir, stdout: `${base}.out`, stderr: `${base}.err`, marker: `${base}.status` };
  }

  /** Hands a submitted attempt to its target. */
  launch(i: number, events: AttemptEvents): void {
    const spec = this.t.specs[i]!;
    const n = this.t.attempts[i]!;
    const after = this.chainer.waitsFor(i);
    const place = this.handing.get(i)!;
    this.handing.delete(i);
    const ahead = spec.iteration ? this.t.aheadOf(i) : undefined;
    this.targets[spec.target]!.start({ runId: this.t.runId, task: spec, n, ...place, ...(after ? { after } : {}), ...(ahead ? { ahead } : {}) }, events);
  }
}
