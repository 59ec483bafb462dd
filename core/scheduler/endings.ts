/**
 * What targets report about attempts — started, ended, will never start — recorded as moves
 * of the run's tables: an end succeeds, retries or fails (retry-policy.ts), releases what
 * waited for it or blocks it; an attempt that never started is no failure. In the runner's
 * transaction of the commit that takes the reports.
 */
import type { AttemptExit, StartedAttempt, Target } from '../targets/target.ts';
import type { Chainer } from './chaining.ts';
import type { Releaser } from './release.ts';
import { cancelTaskNow, resetTasks } from './requests.ts';
import { endOutcome } from './retry-policy.ts';
import type { RunTables } from './run-tables.ts';

/** A start reported together with its attempt's end (in the same commit): recorded with the end. */
export interface StartReport {
  started: StartedAttempt;
  at: number;
}

export class Endings {
  private readonly t: RunTables;
  private readonly targets: Record<string, Target>;
  private readonly chainer: Chainer;
  private readonly releaser: Releaser;

  constructor(t: RunTables, targets: Record<string, Target>, chainer: Chainer, releaser: Releaser) {
    this.t = t;
    this.targets = targets;
    this.chainer = chainer;
    this.releaser = releaser;
  }

  /** An attempt started (its process or job runs). */
  started(i: number, n: number, started: StartedAttempt, at: number): void {
    this.chainer.forget(i);
    this.t.store.startAttempt(this.t.runId, i, n, started, at);
    if (this.t.state[i] === 'submitted' && this.t.attempts[i] === n) this.t.move(i, 'start', n, started.jobId ? `job ${started.jobId} on ${started.host}` : `pid ${started.pid} on ${started.host}`);
    if (this.t.reporting) this.t.pendingEvents.push({ type: 'attempt', runId: this.t.runId, taskId: this.t.ids[i]!, attempt: n, pid: started.pid, host: started.host, ...(started.jobId ? { jobId: started.jobId } : {}) });
  }

  /**
   * An attempt ended. `at` is when the end was reported, not when it is committed (a commit may wait for
   * others). Where the target measured how long the attempt ran, its start follows from that.
   */
  ended(i: number, n: number, exit: AttemptExit, at: number, start?: StartReport): void {
    const spec = this.t.specs[i]!;
    this.chainer.forget(i);
    this.t.attemptBack(i);
    const outcome = endOutcome(exit, spec, this.t.failures[i]! + 1, { cancelling: this.t.cancelling.delete(i), runCancelled: this.t.cancelledRun });
    const startedAt = exit.startedAt ?? (exit.ranMs === undefined ? start?.at : at - Math.round(exit.ranMs));
    this.t.store.endAttempt(
      this.t.runId, i, n,
      {
        state: outcome.kind === 'succeeded' || outcome.kind === 'cancelled' ? outcome.kind : 'failed', endedAt: at, exitCode: exit.exitCode, signal: exit.signal, reason: exit.reason, schedulerState: exit.schedulerState, startedAt,
        // Recorded with the end, in the commit that makes the task succeed: a decision reading them never waits for them.
        ...(outcome.kind === 'succeeded' && exit.values ? { values: exit.values } : {}),
      },
      start?.started,
    );
    if (outcome.kind === 'cancelled') {
      this.t.move(i, 'cancel', n, 'cancelled by user');
      this.t.blockDownstream(i);
    } else if (outcome.kind === 'succeeded') {
      this.t.move(i, 'succeed', n, null);
      this.releaser.remember(i, n, at, exit.values);
      const released: number[] = [];
      for (const dependent of this.t.graph.dependents[i]!) if (--this.t.remaining[dependent]! === 0) released.push(dependent);
      this.releaser.settle(released);
    } else {
      this.t.failures[i]!++;
      if (outcome.kind === 'retry') {
        this.t.move(i, 'retry', n, outcome.detail, true);
        this.t.enqueue(i);
      } else {
        this.t.move(i, 'fail', n, outcome.detail, true);
        this.t.blockDownstream(i);
      }
    }
    if (this.t.resubmitWhenDone.delete(i)) resetTasks(this.t, [i], true, this.chainer, this.releaser);
  }

  /** A chained attempt will never start (a dependency did not succeed, or it was dropped). */
  withdrawn(i: number, n: number, reason: string): void {
    if (this.t.state[i] !== 'submitted' || this.t.attempts[i] !== n) return;
    const why = this.t.cancelling.has(i) ? 'cancelled before it started' : this.t.resubmitWhenDone.has(i) ? 'dropped before it started: a dependency runs again' : reason;
    this.notStarted(i, n, 'withdrawn', why);
  }

  /**
   * An attempt that will never start — a chained one whose dependency did not succeed, or one
   * a stopped core left unstarted — is no failure: the task runs again when its dependencies
   * are done (at once if they are), or is blocked if one never will be. In a transaction.
   */
  notStarted(i: number, n: number, state: 'lost' | 'withdrawn', reason: string): void {
    this.chainer.forget(i);
    this.t.attemptBack(i);
    this.t.store.updateAttempt(this.t.runId, i, n, { state, endedAt: Date.now(), reason });
    if (this.t.remaining[i] === 0) {
      this.t.move(i, 'retry', n, `${reason}; starting again`);
      this.t.enqueue(i);
    } else {
      this.t.move(i, 'withdraw', n, reason);
      this.t.blockIfStuck(i);
    }
    if (this.t.resubmitWhenDone.delete(i)) this.t.force[i] = true;
    // A cancel that came meanwhile still holds.
    if (this.t.cancelledRun || this.t.cancelling.delete(i)) cancelTaskNow(this.t, i, this.targets);
  }
}
