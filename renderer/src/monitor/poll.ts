/**
 * How the monitor keeps a run it gets no events for up to date (a run driven by another
 * process, the CLI). A full status of a 10,000-task run is 7.7 MB of JSON, a tenth of a second
 * to parse and a jank in any pan: asked every 2 s only while the run goes on. A run that is
 * over changes only if someone resumes or resubmits it, so for it the cheap outcome (its
 * header and counts, no task list) is asked instead, and the full status only when that moved.
 * No React here: tested on its own (test/renderer/poll.test.ts).
 */
import type { RunHeader, RunOutcome, TaskState } from '../../../core/api/types.ts';

/** How often a run without events is looked at. */
export const POLL_MS = 2000;

/** Whether a run is over: ended, or interrupted with no process driving it. Nothing in it moves until it is resumed. */
export function isOver(info: RunHeader | null): boolean {
  return info !== null && info.state !== 'running';
}

/** Whether a run's outcome says more than the status last shown: its header or a count moved. */
export function outcomeMoved(info: RunHeader | null, total: Partial<Record<TaskState, number>>, outcome: RunOutcome): boolean {
  if (info === null || JSON.stringify(info) !== JSON.stringify(outcome.run)) return true;
  return (Object.keys(outcome.counts) as TaskState[]).some((state) => (total[state] ?? 0) !== outcome.counts[state]);
}
