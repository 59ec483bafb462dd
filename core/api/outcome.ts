/**
 * How a run stands or ended, read cheaply (`runs.outcome`): the counts per state from the
 * store, and only the first failed tasks one by one, each with the last line its latest attempt
 * wrote to stderr — what a person reads first at the end of a run.
 */
import { countStates, findAttempt } from '../scheduler/control.ts';
import type { Store } from '../store/store.ts';
import { readFrom } from '../util/files.ts';
import type { RunHeader, RunOutcome } from './types.ts';

/** Failed tasks named one by one unless asked otherwise. */
export const LISTED_FAILURES = 20;

export function runOutcome(store: Store, run: RunHeader, limit = LISTED_FAILURES): RunOutcome {
  const counts = { ...countStates([]), ...store.stateCounts(run.id) };
  const failures = counts.failed > 0 && limit > 0 ? store.tasksIn(run.id, 'failed', limit) : [];
  return { run, counts, failures: failures.map((task) => ({ task: task.id, reason: task.reason, ran: task.attempts > 0, stderr: task.attempts > 0 ? lastStderrLine(store, run.id, task.id) : null })) };
}

/**
 * The last line a task's latest attempt wrote to stderr: at most 200 characters, control
 * characters shown as `?` (a task's output may hold terminal escapes); null when it wrote none.
 */
export function lastStderrLine(store: Store, runId: string, taskId: string): string | null {
  let file: string;
  try {
    file = findAttempt(store, runId, taskId).stderr;
  } catch {
    return null;
  }
  const size = readFrom(file, 0, 0)?.size ?? 0;
  const tail = readFrom(file, Math.max(0, size - 4096));
  const line = tail?.bytes.toString('utf8').split('\n').map((text) => text.trim()).filter(Boolean).at(-1);
  return line === undefined ? null : line.replace(/[\x00-\x1f\x7f]/g, '?').slice(0, 200);
}
