/**
 * Releasing tasks: once a task's dependencies are all done it is hashed and either reused
 * (a cached result stands in, and its dependents follow at once) or released to its target's
 * queue, highest priority first — at most a batch per commit, so the first of a wide sweep
 * start before the rest is hashed and recorded (see tuning.ts).
 */
import type { PublishedValues } from '../model/values.ts';
import { failpoint } from '../util/failpoint.ts';
import type { CacheDecision, CachePolicy } from './cache-policy.ts';
import type { Conditions } from './conditions.ts';
import { Loops } from './loops.ts';
import { PriorityQueue } from '../util/heap.ts';
import type { RunTables } from './run-tables.ts';
import { FIRST_RELEASE_BATCH, Ramp, RELEASE_BATCH } from './tuning.ts';

export class Releaser {
  private readonly t: RunTables;
  private readonly cache: CachePolicy;
  private readonly conditions: Conditions;
  private readonly loops: Loops;
  private readonly explain: boolean;
  /** Tasks to settle (their dependencies are done), highest priority first; what one commit leaves goes to the next. */
  private readonly unsettled: PriorityQueue;
  /** How many tasks the next commit may release, and how many this one did. */
  private readonly batch = new Ramp(FIRST_RELEASE_BATCH, RELEASE_BATCH);
  private releasedNow = 0;
  /** Whether the commit under way made a loop's next iteration. */
  private iterated = false;
  /** For tasks whose cached result stands in: the attempt that made it (`run:attempt`). */
  private readonly reusedFrom = new Map<number, string>();

  constructor(t: RunTables, cache: CachePolicy, conditions: Conditions, loops: Loops, explain: boolean, priority: readonly number[]) {
    this.t = t;
    this.cache = cache;
    this.conditions = conditions;
    this.loops = loops;
    this.explain = explain;
    this.unsettled = new PriorityQueue(priority);
  }

  /** Tasks left to settle by earlier commits. */
  get pending(): number {
    return this.unsettled.size;
  }

  /** Tasks to settle with the rest (added to the run in this commit). */
  add(tasks: readonly number[]): void {
    for (const i of tasks) this.unsettled.push(i);
  }

  /** A commit begins: it may release up to a batch. */
  beginCommit(): void {
    this.releasedNow = 0;
    this.iterated = false;
  }

  /** A commit was recorded: one that released a whole batch lets the next release more. */
  commitDone(): void {
    if (this.releasedNow >= this.batch.size) this.batch.grow();
    // Tests stop here: a loop's next iteration is recorded, nothing of it is submitted yet.
    if (this.iterated) failpoint('after-iteration-made');
  }

  /**
   * Releases every waiting task among `candidates` (and those left by earlier commits) whose
   * dependencies are all done, or reuses its cached result, following cached ones
   * downstream, highest priority first; beyond `limit` released in this commit, leaves the
   * rest to the next one. A task whose condition says no is skipped first (its dependents
   * follow at once, as after a reused result). Inside a transaction.
   */
  settle(candidates: readonly number[], limit = this.batch.size): void {
    const t = this.t;
    for (const i of candidates) this.unsettled.push(i);
    while (this.unsettled.size > 0 && this.releasedNow < limit) {
      const i = this.unsettled.pop()!;
      // (A task of an iteration a resubmit discarded waits for its loop to make it again.)
      if (t.state[i] !== 'waiting' || t.remaining[i]! > 0 || t.specs[i]!.iteration?.discarded) continue;
      if (t.specs[i]!.loop) {
        this.advanceLoop(i);
        continue;
      }
      const judged = this.conditions.judge(i);
      if (this.explain && judged.detail) t.pendingEvents.push({ type: 'explain', runId: t.runId, taskId: t.ids[i]!, runs: judged.kind === 'run', reason: judged.detail });
      if (judged.kind === 'skip') {
        t.move(i, 'skip', null, judged.detail);
        for (const dependent of t.graph.dependents[i]!) if (--t.remaining[dependent]! === 0) this.unsettled.push(dependent);
        continue;
      }
      if (judged.kind === 'fail') {
        t.move(i, 'undecided', null, judged.detail);
        t.blockDownstream(i);
        continue;
      }
      const decision = this.decide(i);
      if (decision.cached) {
        t.move(i, 'reuse', null, decision.reason);
        for (const dependent of t.graph.dependents[i]!) if (--t.remaining[dependent]! === 0) this.unsettled.push(dependent);
      } else {
        t.move(i, 'release', null, null);
        t.enqueue(i);
        this.releasedNow++;
      }
    }
  }

  /**
   * A loop's control with every dependency done: its next iteration is added (it waits for
   * that), or it ends — skipped, concluded (what its iterations made stands for it
   * downstream), or failed. In a transaction.
   */
  private advanceLoop(i: number): void {
    const t = this.t;
    const step = this.loops.next(i);
    if (this.explain) t.pendingEvents.push({ type: 'explain', runId: t.runId, taskId: t.ids[i]!, runs: step.kind === 'iterate' || step.kind === 'conclude', reason: step.detail });
    if (step.kind === 'iterate') {
      this.iterated = true;
      return;
    }
    // It ends: iterations a resubmit discarded and it did not make again will not be.
    for (const held of this.loops.held(i)) {
      t.move(held, 'skip', null, `${t.specs[held]!.iteration!.discarded}; the loop ended without making its iteration again`);
      for (const dependent of t.graph.dependents[held]!) --t.remaining[dependent]!;
    }
    if (step.kind === 'fail') {
      t.move(i, 'stop', null, step.detail);
      t.blockDownstream(i);
      return;
    }
    if (step.kind === 'conclude') t.hash[i] = Loops.hash(this.upstreamHashes(i));
    t.move(i, step.kind === 'skip' ? 'skip' : 'conclude', null, step.detail);
    for (const dependent of t.graph.dependents[i]!) if (--t.remaining[dependent]! === 0) this.unsettled.push(dependent);
  }

  /** Computes a task's content hash and whether a cached result stands in (nothing is kept: see `keep`). */
  consider(i: number): CacheDecision {
    return this.cache.decide(this.t.specs[i]!, this.upstreamHashes(i), this.t.force[i]!);
  }

  /** Keeps a task's decision: its hash (the task's next move, which follows at once, stores it), and why, when explaining. */
  keep(i: number, decision: CacheDecision): void {
    const t = this.t;
    t.hash[i] = decision.hash;
    if (decision.from) this.reusedFrom.set(i, decision.from);
    if (this.explain) t.pendingEvents.push({ type: 'explain', runId: t.runId, taskId: t.ids[i]!, runs: !decision.cached, reason: decision.reason });
  }

  private decide(i: number): CacheDecision {
    const decision = this.consider(i);
    this.keep(i, decision);
    return decision;
  }

  /** Records a task's successful attempt as a cached result for later runs, and what it published for the conditions that read it. */
  remember(i: number, n: number, at: number, values: PublishedValues | undefined): void {
    this.conditions.remember(i, values);
    this.cache.remember(this.t.specs[i]!, this.t.hash[i] ?? null, () => this.upstreamHashes(i), n, at);
  }

  /** A task runs again: what it published before no longer stands. */
  rerun(i: number): void {
    this.conditions.forget(i);
  }

  /**
   * What each dependency adds to a task's hash: its own hash, and the attempt that made its
   * result (`run:attempt`; for a reused result, the attempt that made it). So a task whose
   * upstream ran again runs again too, even when the upstream's hash is the same: what it
   * reads may have changed (as make rebuilds what depends on a rebuilt target).
   */
  private upstreamHashes(i: number): Record<string, string> {
    const t = this.t;
    const upstream: Record<string, string> = {};
    for (const dep of t.graph.deps[i]!) upstream[t.ids[dep]!] = `${t.hash[dep] ?? ''} ${this.madeBy(dep)}`;
    return upstream;
  }

  private madeBy(dep: number): string {
    const t = this.t;
    // A skipped dependency made nothing: the same in every run.
    if (t.state[dep] === 'skipped') return 'skipped';
    // A loop's hash is what its iterations made.
    if (t.specs[dep]!.loop) return 'loop';
    if (t.state[dep] !== 'cached') return `${t.runId}:${t.attempts[dep]}`;
    let from = this.reusedFrom.get(dep);
    if (from === undefined) {
      // Reused by an earlier process of this run (this is a resume): its cache entry says.
      const found = t.hash[dep] ? t.store.cache.find(t.hash[dep]) : undefined;
      from = found ? `${found.runId}:${found.attempt}` : 'cached';
      this.reusedFrom.set(dep, from);
    }
    return from;
  }
}
