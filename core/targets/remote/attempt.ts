/**
 * One attempt on a remote target, and the phases it goes through there. As with task states
 * (scheduler/states.ts), every move is checked against one table: a move the table does not
 * list is a bug, reported as one, not a state nobody planned for.
 */
import type { LoopAhead } from '../../model/advance.ts';
import type { TaskSpec } from '../../model/types.ts';
import type { Adoption, AttemptEvents, AttemptExit } from '../target.ts';
import type { FilePair } from './staging.ts';

/**
 * - `pending`: waiting to be submitted; its inputs go up, then it joins the next submission.
 * - `submitting`: its submission command is on its way; polls leave it alone until the answer.
 * - `unsure`: submitted, but no job is known for it: the answer was lost, or it was adopted
 *   without a recorded job. Polls look for its job (its folder's markers, its name in the queue).
 * - `queued`: it has a job, which has not started.
 * - `running`: its job started (and that was reported).
 * - `collecting`: it ended on the host; its logs and outputs are fetched before its end is reported.
 * - `ended`: its end (or withdrawal) was reported; the target has forgotten it.
 */
export type Phase = 'pending' | 'submitting' | 'unsure' | 'queued' | 'running' | 'collecting' | 'ended';

export const PHASE_MOVES: Readonly<Record<Phase, readonly Phase[]>> = {
  pending: ['submitting', 'ended'],
  // The answer names its job, or is lost (then polls find out).
  submitting: ['queued', 'unsure', 'ended'],
  // Never submitted after all (the core stopped before sbatch ran): `pending` again.
  unsure: ['queued', 'running', 'collecting', 'pending', 'ended'],
  queued: ['running', 'collecting', 'ended'],
  running: ['collecting', 'ended'],
  // Fetching waits out a lost connection in this phase.
  collecting: ['ended'],
  ended: [],
};

export class IllegalPhaseMoveError extends Error {
  constructor(attempt: RemoteAttempt, to: Phase) {
    super(`attempt ${attempt.n} of ${attempt.taskId} cannot move from ${attempt.phase} to ${to} on a remote target`);
  }
}

/** What a remote target keeps of an attempt it has not seen end. */
export interface RemoteAttempt {
  /** Its key in submit and poll answers (short and plain, unlike a task id). */
  key: string;
  taskId: string;
  n: number;
  task: TaskSpec;
  /** Its working folder on this machine: outputs land below it. */
  localCwd: string;
  /** Where its stdout and stderr are kept on this machine (fetched when it ends). */
  stdout: string;
  stderr: string;
  /** Its working folder and attempt folder on the host (known once the host's home is). */
  cwd: string;
  dir: string;
  events: AttemptEvents;
  /** Attempts whose jobs it waits for (chained on a scheduler that follows edges). */
  after: { taskId: string; n: number }[];
  phase: Phase;
  jobId: string | null;
  schedulerState: string | null;
  /** When its queued job is expected to start (ms, the host's clock, as its scheduler said), as last reported. */
  expectedStart: number | null;
  /** A stop the user (cancel) or the core (withdraw) asked for, and whether a poll has sent it. */
  stop: { how: 'cancel' | 'withdraw'; sent: boolean } | null;
  /** Polls in a row that did not see its started job alive: one miss is forgiven. */
  misses: number;
  /** Its folder holds a `submitting` marker of a submission that died: the next submission replaces it. */
  stale: boolean;
  /** In `collecting`: how it ended, and the output files to fetch (when it succeeded). */
  collect?: { exit: AttemptExit; files: FilePair[] };
  /** Set on a task of a loop its cluster goes on with (ahead.ts). */
  ahead?: LoopAhead;
  /** Resolves a pending `adopt` (its first poll decides). */
  adoption?: (adoption: Adoption) => void;
}

/** Moves an attempt to `to`, as the table allows (staying where it is is no move). */
export function moveAttempt(attempt: RemoteAttempt, to: Phase): void {
  if (attempt.phase === to) return;
  if (!PHASE_MOVES[attempt.phase].includes(to)) throw new IllegalPhaseMoveError(attempt, to);
  attempt.phase = to;
}

/** Whether its start was seen (and reported). */
export function hasStarted(attempt: RemoteAttempt): boolean {
  return attempt.phase === 'running' || attempt.phase === 'collecting';
}

/** The attempts a remote target has not seen end, by task and number. */
export class OpenAttempts {
  private readonly byAttempt = new Map<string, RemoteAttempt>();
  private keys = 0;

  get size(): number {
    return this.byAttempt.size;
  }

  values(): IterableIterator<RemoteAttempt> {
    return this.byAttempt.values();
  }

  get(taskId: string, n: number): RemoteAttempt | undefined {
    return this.byAttempt.get(attemptKey(taskId, n));
  }

  /** Starts tracking an attempt (its remote folders are known once the host's home is). */
  add(task: TaskSpec, n: number, local: { cwd: string; stdout: string; stderr: string }, events: AttemptEvents, phase: Phase): RemoteAttempt {
    const entry: RemoteAttempt = {
      key: `k${++this.keys}`, taskId: task.id, n, task, localCwd: local.cwd, stdout: local.stdout, stderr: local.stderr, cwd: '', dir: '', events,
      after: [], phase, jobId: null, schedulerState: null, expectedStart: null, stop: null, misses: 0, stale: false,
    };
    this.byAttempt.set(attemptKey(task.id, n), entry);
    return entry;
  }

  /** Whether `entry` is still the one tracked for its attempt (it may have ended while a command was out). */
  tracks(entry: RemoteAttempt): boolean {
    return entry.phase !== 'ended' && this.get(entry.taskId, entry.n) === entry;
  }

  forget(entry: RemoteAttempt): void {
    this.byAttempt.delete(attemptKey(entry.taskId, entry.n));
  }
}

function attemptKey(taskId: string, n: number): string {
  return `${taskId}\u0000${n}`;
}
