/**
 * What a runner reports as it drives a run (the hosts pass it on: core/api/types.ts). Plain
 * types, so the interface reads them as the core writes them.
 */
import type { TaskState } from '../model/task-states.ts';
import type { RunState } from '../store/records.ts';

/** What a runner reports as it goes; every event is already committed to the store. */
export type RunnerEvent =
  | { type: 'task'; runId: string; taskId: string; from: TaskState; to: TaskState; attempt: number | null; detail: string | null; at: number }
  | { type: 'attempt'; runId: string; taskId: string; attempt: number; pid: number; host: string; jobId?: string }
  | { type: 'job'; runId: string; taskId: string; attempt: number; jobId: string }
  | { type: 'explain'; runId: string; taskId: string; runs: boolean; reason: string }
  | { type: 'run'; runId: string; state: RunState }
  /** Tasks were added to the run while it ran (they start waiting). */
  | { type: 'grew'; runId: string; tasks: string[]; reason?: string };
