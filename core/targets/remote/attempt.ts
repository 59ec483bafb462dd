/**
 * One attempt on a remote target, and the phases it goes through there. As with task states
 * (scheduler/states.ts), every move is checked against one table: a move the table does not
 * list is a bug, reported as one, not a state nobody planned for.
 */
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
  /** A stop the user (cancel) or the core (withdraw) asked for, and whether a poll has sent it. */
  stop: { how: 'cancel' | 'withdraw'; sent: boolean } | null;
  /** Polls in a row that did not see its started job alive: one miss is forgiven. */
  misses: number;
  /** Its folder holds a `submitting` marker of a submission that died: the next submission replaces it. */
  stale: boolean;
  /** In `collecting`: how it ended, and the output files to fetch (when it succeeded). */
  collect?: { exit: AttemptExit; files: FilePair[] };
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
