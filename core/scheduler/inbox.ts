/**
 * What targets report (a job id, a start, an end, a withdrawal), queued until the runner's
 * next group commit — and when that commit is due: an end that frees a slot the core has work
 * for commits at once; other reports wait a little (tuning.ts) and share one commit, so a
 * short task costs one commit for its start and end. A core that dies before that commit finds
 * the process through the attempt's pid marker.
 */
import type { AttemptExit, StartedAttempt, Target } from '../targets/target.ts';
import { refillBelow } from '../targets/target.ts';
import type { Chainer } from './chaining.ts';
import type { Endings } from './endings.ts';
import type { RunTables } from './run-tables.ts';
import { END_COMMIT_MS, START_COMMIT_MS } from './tuning.ts';

export type InboxMessage =
  | { kind: 'started'; task: number; n: number; started: StartedAttempt; at: number }
  | { kind: 'exit'; task: number; n: number; exit: AttemptExit; at: number }
  | { kind: 'withdrawn'; task: number; n: number; reason: string }
  | { kind: 'submitted'; task: number; n: number; jobId: string }
  | { kind: 'queued'; task: number; n: number; expectedStart: number | null };

export class Inbox {
  private readonly t: RunTables;
  private readonly targets: Record<string, Target>;
  private readonly chainer: Chainer;
  /** Asks for a commit as soon as possible. */
  private readonly kick: () => void;
  private messages: InboxMessage[] = [];
  /** The commit due for reports that may wait, and when it is due (ms, monotonic). */
  private timer: NodeJS.Timeout | undefined;
  private due = 0;
  /** Ends reported but not yet committed, per target, and the tasks that ended. */
  private readonly endedOn = new Map<string, number>();
  private readonly endingNow = new Set<number>();

  constructor(t: RunTables, targets: Record<string, Target>, chainer: Chainer, kick: () => void) {
    this.t = t;
    this.targets = targets;
    this.chainer = chainer;
    this.kick = kick;
  }

  /** Reports waiting for a commit. */
  get size(): number {
    return this.messages.length;
  }

  /** Queues a target's report and sees that a commit follows, at once or soon. */
  receive(message: InboxMessage): void {
    this.messages.push(message);
    if (message.kind === 'withdrawn') this.kick();
    else if (message.kind === 'exit') {
      const t = this.t;
      const name = t.specs[message.task]!.target;
      const ended = (this.endedOn.get(name) ?? 0) + 1;
      this.endedOn.set(name, ended);
      this.endingNow.add(message.task);
      // The end is committed at once when the run may be over; when a slot of the target
      // would idle while the core has work for it (queued, or released by this end); or when
      // the target's own queue is half used up and the core has more to hand it (work, or
      // attempts to chain). Else it waits a little and shares its commit with the next ones.
      // (A chained attempt counts as work the target holds once everything it waits for has
      // ended: it starts it itself.)
      const held = t.runningOn.get(name)! - ended;
      const work = (t.queues.get(name)?.size ?? 0) > 0 || t.graph.dependents[message.task]!.some((j) => t.state[j] === 'waiting');
      const last = t.active <= this.endingNow.size;
      // Cheapest first: counting chained attempts that still wait walks them all.
      if (last || (held < refillBelow(this.targets[name]!) && (work || this.chainer.waitsOn(name))) || (work && held - this.chainer.waitingOn(name, this.endingNow) < this.targets[name]!.maxParallel)) this.kick();
      else this.commitWithin(END_COMMIT_MS);
    } else this.commitWithin(START_COMMIT_MS);
  }

  /** Drops the timer of a commit due: one is under way, or the runner stops. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * Records every report since the last commit (`endings`), in the commit's transaction;
   * returns how many there were.
   */
  process(endings: Endings): number {
    const t = this.t;
    const messages = this.messages;
    this.messages = [];
    this.endedOn.clear();
    this.endingNow.clear();
    // An attempt that started and ended since the last commit goes straight from submitted
    // to its end: nobody could have seen it running, and it saves a write.
    const ended = new Map<number, Extract<InboxMessage, { kind: 'started' }> | undefined>();
    for (const message of messages) if (message.kind === 'exit') ended.set(message.task, undefined);
    for (const message of messages) {
      if (message.kind === 'withdrawn') {
        endings.withdrawn(message.task, message.n, message.reason);
      } else if (message.kind === 'submitted') {
        t.store.updateAttempt(t.runId, message.task, message.n, { jobId: message.jobId });
        t.pendingEvents.push({ type: 'job', runId: t.runId, taskId: t.ids[message.task]!, attempt: message.n, jobId: message.jobId });
      } else if (message.kind === 'queued') {
        t.store.updateAttempt(t.runId, message.task, message.n, { expectedStart: message.expectedStart });
      } else if (message.kind === 'started') {
        if (ended.has(message.task) && t.state[message.task] === 'submitted') ended.set(message.task, message);
        else endings.started(message.task, message.n, message.started, message.at);
      } else {
        endings.ended(message.task, message.n, message.exit, message.at, ended.get(message.task));
      }
    }
    return messages.length;
  }

  /**
   * Commits within `ms`, or sooner if a commit is already due sooner. An end that may wait
   * shortens the wait of a start before it (a launcher reports a short attempt's start and end
   * together), or the ends of a chain would wait with it.
   */
  private commitWithin(ms: number): void {
    const due = performance.now() + ms;
    if (this.timer !== undefined && this.due <= due) return;
    clearTimeout(this.timer);
    this.due = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, ms);
  }
}
