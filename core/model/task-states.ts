/**
 * The states of a task instance within a run, and the sets of them the rest of the code asks
 * about. Below the store and the scheduler (both speak of them) and shared with the
 * interface; the transitions between them are core/scheduler/states.ts.
 */
export type TaskState =
  /** Some dependency has not succeeded yet. */
  | 'waiting'
  /** Every dependency succeeded (or was cached); queued for a slot on its target. */
  | 'ready'
  /**
   * An attempt was committed and handed to the target; the process or job may not exist yet.
   * A target that follows edges (SLURM's afterok, the C launcher) may hold it until the
   * dependencies it was handed with have succeeded.
   */
  | 'submitted'
  /** The attempt's process or job is known to be running. */
  | 'running'
  /** The last attempt exited 0. Terminal. */
  | 'succeeded'
  /** A previous successful attempt with the same content hash stands in; nothing ran. Terminal. */
  | 'cached'
  /**
   * Its `when` was false (or, without a `when` of its own, a dependency was skipped): it did
   * not run, and counts as done for what follows it. Terminal.
   */
  | 'skipped'
  /** Every attempt failed and no retries are left. Terminal. */
  | 'failed'
  /** A dependency failed, was cancelled or is blocked; this task will not run. Terminal. */
  | 'blocked'
  /** Cancelled by the user before it could finish. Terminal. */
  | 'cancelled';

/** Every state, in display order. */
export const TASK_STATES: readonly TaskState[] = ['waiting', 'ready', 'submitted', 'running', 'succeeded', 'cached', 'skipped', 'failed', 'blocked', 'cancelled'];

/** States a task never leaves on its own (only a resubmit moves it). */
export const TERMINAL_STATES: ReadonlySet<TaskState> = new Set(['succeeded', 'cached', 'skipped', 'failed', 'blocked', 'cancelled']);

/** States whose dependents may start (a skipped task's are skipped too, unless their own `when` decides). */
export const DONE_STATES: ReadonlySet<TaskState> = new Set(['succeeded', 'cached', 'skipped']);

/** States from which a task will not succeed without a resubmit. */
export const NEVER_DONE_STATES: ReadonlySet<TaskState> = new Set(['failed', 'blocked', 'cancelled']);

/** States in which an attempt is out there (a process or a job). */
export const ACTIVE_STATES: ReadonlySet<TaskState> = new Set(['submitted', 'running']);
