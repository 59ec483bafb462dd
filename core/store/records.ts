/**
 * What the store records, as plain types: runs, tasks, attempts, events, cached results and
 * requests. No code, so the interface can read them too (through core/api/types.ts).
 */
import type { Plan, TaskSpec } from '../model/types.ts';
import type { PublishedValues } from '../model/values.ts';
import type { TaskState } from '../model/task-states.ts';
import type { Provenance } from '../util/provenance.ts';

/** A run as a whole. `running` with no live owner means interrupted (resume it). */
export type RunState = 'running' | 'succeeded' | 'failed' | 'cancelled';

/** Options a run was started with, kept so `resume` continues the same way. */
export interface RunOptions {
  maxParallel?: number;
  fresh?: boolean;
}

/** The plan's header: everything but the tasks, which live in their own table. */
export type PlanHeader = Omit<Plan, 'tasks'>;

export interface RunRecord {
  id: string;
  name: string;
  file: string;
  root: string;
  state: RunState;
  createdAt: number;
  endedAt: number | null;
  plan: PlanHeader;
  options: RunOptions;
  /** `pid:start@host` of the process driving the run, if any. */
  owner: string | null;
  /** Where it came from (null in runs of older versions). */
  provenance: Provenance | null;
}

export interface TaskRecord {
  idx: number;
  id: string;
  state: TaskState;
  spec: TaskSpec;
  hash: string | null;
  attempts: number;
  failures: number;
  reason: string | null;
}

/**
 * Where an attempt ended up. `lost`: it never started (the core died first); `withdrawn`: it
 * never started (handed over chained, a dependency did not succeed, or it was dropped).
 */
export type AttemptState = 'submitted' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'lost' | 'withdrawn';

export interface AttemptRecord {
  runId: string;
  taskIdx: number;
  n: number;
  state: AttemptState;
  target: string;
  host: string;
  command: string;
  cwd: string;
  /** Folder of the attempt's files. */
  dir: string;
  /** The attempt's status marker: its pid, then (once it exits) its exit status. */
  marker: string;
  stdout: string;
  stderr: string;
  hash: string | null;
  pid: number | null;
  pidStart: string | null;
  jobId: string | null;
  schedulerState: string | null;
  /** While its job waits in a batch scheduler's queue: when the scheduler expects to start it, if it said. */
  expectedStart: number | null;
  submittedAt: number;
  startedAt: number | null;
  endedAt: number | null;
  exitCode: number | null;
  signal: string | null;
  reason: string | null;
  /** What it published (`$FLOTILLA_VALUES`), recorded when it succeeded; null otherwise. */
  values: PublishedValues | null;
}

export interface EventRecord {
  seq: number;
  runId: string;
  taskIdx: number | null;
  at: number;
  kind: string;
  fromState: string | null;
  toState: string | null;
  attempt: number | null;
  detail: string | null;
}

export interface CacheRecord {
  hash: string;
  file: string;
  taskId: string;
  runId: string;
  attempt: number;
  parts: string;
  /** Its outputs as it left them (JSON: path relative to its cwd → "size mtime-ns"); null in rows of older versions. */
  outputs: string | null;
  at: number;
}

export interface RequestRecord {
  seq: number;
  runId: string;
  kind: 'cancel' | 'resubmit';
  payload: string;
}

/** The last recorded status of a cluster a run used. */
export interface ClusterRecord {
  destination: string;
  state: string;
  /** When it last answered (ms since the epoch). */
  lastSeen: number | null;
  detail: string | null;
  /** When this status was recorded. */
  at: number;
}

/** A task with its latest attempt, for status views. */
export interface TaskStatus {
  id: string;
  state: TaskState;
  attempts: number;
  reason: string | null;
  last: AttemptRecord | undefined;
  /** A loop's control: how many iterations it made so far, and at most. */
  loop?: { iterations: number; max: number };
}

/** A task's move from one state to another, as `Store.transition` records it. */
export interface TransitionRecord {
  runId: string;
  /** The task's index in the run. */
  task: number;
  from: TaskState;
  to: TaskState;
  at: number;
  attempt?: number | null;
  detail?: string | null;
  /** The move counts a failed attempt against the task's retries. */
  failedAttempt?: boolean;
  /** The task's content hash as decided now (recorded with the move). */
  hash?: string | null;
}

/** An event for a run's log (`Store.event`): a task's (`task`) or the run's own. */
export interface NewEvent {
  runId: string;
  task?: number | null;
  at: number;
  kind: string;
  from?: string | null;
  to?: string | null;
  attempt?: number | null;
  detail?: string | null;
}
