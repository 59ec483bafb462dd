import type { LoopAhead } from '../model/advance.ts';
import type { PublishedValues } from '../model/values.ts';
import type { TaskSpec } from '../model/types.ts';
import type { AttemptRecord } from '../store/store.ts';

/** What a target needs to start one attempt. */
export interface AttemptRequest {
  runId: string;
  task: TaskSpec;
  /** Attempt number, from 1. */
  n: number;
  /** Absolute working folder (created by the target). */
  cwd: string;
  /** Folder of this attempt's files (it exists). */
  dir: string;
  /** Status marker: the target writes the pid, then the exit status, so a later core can adopt it. */
  marker: string;
  stdout: string;
  stderr: string;
  /**
   * Attempts of the same run, handed to this target earlier and not yet seen to end, that
   * must exit 0 before this one starts (only for a target that `followsEdges`).
   */
  after?: { taskId: string; n: number }[];
  /** Set on a task of a loop its cluster may advance without Flotilla (model/advance.ts). */
  ahead?: LoopAhead;
}

/** How an attempt ended. */
export interface AttemptExit {
  exitCode: number | null;
  signal: string | null;
  /** Why, when it is not a plain exit: `timeout`, `cancelled`, `vanished`, a spawn error… */
  reason: string | null;
  /** A scheduler's own state name, kept as data (SLURM's TIMEOUT, OUT_OF_MEMORY …). */
  schedulerState: string | null;
  /** How long it ran, in ms, where the target measured it (it then knows better than the core when it started). */
  ranMs?: number;
  /**
   * When it started and ended (ms since the epoch, on this machine's clock), where the target
   * knows better than the moment it reports: a remote wrapper's markers, read a poll later.
   */
  startedAt?: number;
  endedAt?: number;
  /** What a succeeded attempt published (`$FLOTILLA_VALUES`): recorded with its end. */
  values?: PublishedValues;
  /** Another attempt cannot fare better (the host refused us, nobody can log in): no retry. */
  final?: boolean;
}

/** A started attempt's identity, recorded before anything else happens. */
export interface StartedAttempt {
  pid: number;
  pidStart: string | null;
  host: string;
  /** The batch scheduler's job id, when there is one. */
  jobId?: string;
  /** When it started (ms, this machine's clock), where the target knows better than the moment it reports. */
  at?: number;
}

/** What a target reports about an attempt it started. */
export interface AttemptEvents {
  /** A batch scheduler accepted it (before it starts): its job id. */
  onSubmitted?(jobId: string): void;
  /** Its job waits in a batch scheduler's queue, expected to start then (ms, this machine's clock; null: it no longer says). */
  onQueued?(expectedStart: number | null): void;
  onStarted(started: StartedAttempt): void;
  onExit(exit: AttemptExit): void;
  /** It will never start: an attempt in its `after` did not succeed. Instead of `onExit`. */
  onWithdrawn(reason: string): void;
}

/**
 * Below how many attempts handed to a queueing target (running, or waiting in its own queue)
 * it is topped up: once half of what it holds beyond its slots has started, so its queue
 * never runs dry while a commit is on its way.
 */
export function refillBelow(target: Pick<Target, 'capacity' | 'maxParallel'>): number {
  return target.maxParallel + Math.ceil((target.capacity - target.maxParallel) / 2);
}

/** What `adopt` found for an attempt left open by an earlier process. */
export type Adoption =
  /** Still running; `onExit` will be called when it ends. */
  | { kind: 'running'; started: StartedAttempt }
  /** Submitted and waiting in a queue (or its host cannot be reached now); events follow. */
  | { kind: 'queued' }
  /** It ended while nobody watched. */
  | { kind: 'exited'; exit: AttemptExit }
  /** It never started. */
  | { kind: 'not-started' };

/** An executor: somewhere attempts run. */
export interface Target {
  readonly name: string;
  /** Attempts that run at once. */
  readonly maxParallel: number;
  /** Attempts it accepts at once (≥ maxParallel when it queues the rest itself). */
  readonly capacity: number;
  /**
   * Whether it accepts attempts with `after` and starts them itself once those succeed, so a
   * chain of tasks advances without the core (SLURM's afterok; the C launcher).
   */
  readonly followsEdges: boolean;
  /**
   * Starts an attempt. Calls `onStarted` once it runs (not at all if it cannot start), then
   * `onExit` exactly once, also when it could not start (or `onWithdrawn` instead).
   */
  start(request: AttemptRequest, events: AttemptEvents): void;
  /** Every end reported so far is committed to the store (the target may forget them). */
  committed(): void;
  /**
   * Whether the core holds attempts for this target that could start now but found no room
   * (told after each commit): a target that batches its reports then sends them as soon as
   * a slot idles.
   */
  readyWaiting?(waiting: boolean): void;
  /**
   * Asks a running attempt to stop; its `onExit` reports `cancelled` (or `onWithdrawn`, when
   * it had not started).
   */
  cancel(runId: string, taskId: string, n: number): void;
  /**
   * Drops an attempt that has not started yet (a chained one): `onWithdrawn` follows. One that
   * started meanwhile goes on and reports its end as usual.
   */
  withdraw(runId: string, taskId: string, n: number): void;
  /**
   * Re-attaches to an attempt an earlier process started and did not see end. Later changes
   * (a start, the end) go through `events`.
   */
  adopt(record: AttemptRecord, task: TaskSpec, events: AttemptEvents, ahead?: LoopAhead): Promise<Adoption>;
  /**
   * A loop its cluster goes on with is cancelled, or runs again from iteration `ahead.index`:
   * what the cluster went on with from there (and did not hand to the core) is stopped and set
   * aside, and it goes no further until the core submits to the loop again.
   */
  halt?(ahead: LoopAhead): void;
  /** Stops watching (does not kill attempts: they outlive the core); what must still reach a host goes first. */
  dispose(): void | Promise<void>;
}
