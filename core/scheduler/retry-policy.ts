/**
 * What an attempt's end makes of its task — the retry policy, in one place: it succeeded, it
 * was cancelled, it runs again (retries left, the run not cancelled, the failure not final),
 * or it failed for good.
 */
import type { TaskSpec } from '../model/types.ts';
import type { AttemptExit } from '../targets/target.ts';

export type EndOutcome = { kind: 'succeeded' } | { kind: 'cancelled' } | { kind: 'retry'; detail: string } | { kind: 'failed'; detail: string };

/**
 * `failures`: the task's failed attempts, this one counted. `cancelling`: the user cancelled
 * the task while this attempt ran; `runCancelled`: the whole run.
 */
export function endOutcome(exit: AttemptExit, spec: TaskSpec, failures: number, context: { cancelling: boolean; runCancelled: boolean }): EndOutcome {
  // An attempt that ended well before a cancel reached it succeeded all the same.
  if (exit.exitCode === 0 && exit.signal === null && exit.reason === null) return { kind: 'succeeded' };
  if (context.cancelling || exit.reason === 'cancelled') return { kind: 'cancelled' };
  const outcome = describeExit(exit, spec);
  // A final failure (a login nobody can give here) would fail the same way again.
  if (failures <= spec.retries && !context.runCancelled && !exit.final) return { kind: 'retry', detail: `${outcome}; retrying (${failures} of ${spec.retries} retries)` };
  return { kind: 'failed', detail: outcome };
}

/** A short account of a failed attempt: `exit 3`, `killed by SIGKILL`, `timed out after 60s`. */
export function describeExit(exit: AttemptExit, spec: TaskSpec): string {
  if (exit.reason === 'timeout') return `timed out after ${spec.resources.timeSeconds}s`;
  if (exit.reason && exit.reason !== 'cancelled') return exit.reason;
  if (exit.signal) return `killed by ${exit.signal}`;
  return `exit ${exit.exitCode}`;
}
