/**
 * The CLI's notice that a run it watched ended: a terminal bell (on a terminal), and with
 * `--notify CMD` that command, run by the shell with the outcome in its environment —
 * FLOTILLA_RUN, FLOTILLA_RUN_NAME, FLOTILLA_STATE, FLOTILLA_FAILED (how many),
 * FLOTILLA_FIRST_FAILURE, FLOTILLA_SUMMARY — never in its text (a task name is data).
 */
import { spawnSync } from 'node:child_process';
import type { RunOutcome } from '../../api/types.ts';
import { TASK_STATES } from '../../model/task-states.ts';

/** How long the command may take before it is stopped (ms). */
const NOTIFY_TIMEOUT_MS = 60_000;

export function notifyEnd(outcome: RunOutcome, command: string | undefined, out: { isTTY: boolean; write: (text: string) => void }): void {
  if (out.isTTY) out.write('\x07');
  if (!command) return;
  const summary = TASK_STATES.filter((state) => outcome.counts[state] > 0).map((state) => `${outcome.counts[state]} ${state}`).join(', ');
  const env = {
    ...process.env,
    FLOTILLA_RUN: outcome.run.id,
    FLOTILLA_RUN_NAME: outcome.run.name,
    FLOTILLA_STATE: outcome.run.state,
    FLOTILLA_FAILED: String(outcome.counts.failed),
    FLOTILLA_FIRST_FAILURE: outcome.failures[0]?.task ?? '',
    FLOTILLA_SUMMARY: `${outcome.run.name} ${outcome.run.state}: ${summary}`,
  };
  const result = spawnSync('/bin/sh', ['-c', command], { env, stdio: ['ignore', 'inherit', 'inherit'], timeout: NOTIFY_TIMEOUT_MS });
  if (result.error || result.status !== 0) out.write(`flotilla: --notify command ${result.error ? `could not run: ${result.error.message}` : `exited with ${result.status ?? result.signal}`}\n`);
}
