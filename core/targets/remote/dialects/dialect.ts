/**
 * What differs between the batch systems a remote target drives: how a job is submitted,
 * stopped and watched, and what the scheduler's answers mean. Everything else is the remote
 * target's and the same for all of them: staging, the attempt folders and their markers, the
 * framing of the submit and poll commands, the attempt phases (attempt.ts). A third scheduler
 * (PBS, LSF) is one more file implementing this, listed in `DIALECTS`.
 */
import type { Resources } from '../../../model/types.ts';
import type { AttemptMarkers, QueueRow } from '../protocol.ts';
import type { Submission, SubmitOptions } from '../scripts.ts';
import { slurm } from './slurm.ts';
import { ssh } from './ssh.ts';

export interface Dialect {
  readonly kind: 'ssh' | 'slurm';
  /**
   * Whether a job can wait for the jobs it runs after by itself (SLURM's dependencies): then
   * chained attempts are handed over before their upstream ends.
   */
  readonly followsEdges: boolean;
  /** What submits a job, as a refusal names it. */
  readonly submitter: string;

  // The job script and its submission (scripts.ts frames them).

  /** Lines at the head of the job script: the scheduler's directives for the task's resources. */
  directives(resources: Resources): string[];
  /** Shell text the wrapper records as the job's id when it starts. */
  readonly jobIdText: string;
  /** Wrapper lines keeping a time limit the scheduler does not keep itself: once the task started, and once it ended. */
  timeLimit(seconds: number | undefined): { watch: string[]; unwatch: string[] };
  /** Splits a batch into jobs: a group of several is one job (a SLURM job array). */
  group(batch: Submission[]): Submission[][];
  /**
   * Shell that submits one attempt's `job.sh` from its folder, setting `$variable` to the job's
   * id, or to nothing with `submit.err` saying why. `dependency` is the `:`-joined ids it runs after.
   */
  submitOne(s: Submission, variable: string, dependency: string): string;
  /** Shell that submits a group of several (only for dialects whose `group` makes such groups). */
  submitMany(group: Submission[], options: SubmitOptions, variable: (key: string) => string): string;

  // The poll (protocol.ts frames it).

  /** Shell that stops a job (answer lines start with `@`), or none for an id this scheduler cannot have made. */
  stopCommand(jobId: string): string | undefined;
  /** Shell that stops the job whose id is in `$j`, saying nothing (a halted loop's, ahead.ts). */
  readonly stopJob: string;
  /** Shell that prints the queue as `@squeue`, `q ID|STATE|REASON|START|NAME` lines (START: epoch seconds a pending job is expected to start, or N/A) and `@squeue-rc N`; none when there is no queue. */
  queueCommands(): string[];
  /** Shell run in each attempt's probe, `$d` its folder: prints `note timelimit` or `alive` when they hold. */
  readonly probe: string;

  // What a poll's answer means.

  /** The job of an attempt whose id was never recorded, found by its name in the queue. */
  findJob(queue: ReadonlyMap<string, QueueRow>, wanted: string, arrayIndex: number | null): string | undefined;
  /** Whether the attempt's job is still queued or running. */
  alive(markers: AttemptMarkers, row: QueueRow | undefined): boolean;
  /** Whether the poll can tell that a job is gone (false: the scheduler could not be asked). */
  canTellGone(row: QueueRow | undefined, queue: ReadonlyMap<string, QueueRow> | null): boolean;
  /** The scheduler's state for an attempt that wrote its end (its row when the queue still shows it). */
  endState(status: number, row: QueueRow | undefined): string | null;
  /** Whether a queued job waits on a dependency that can no longer be met (it will never run). */
  neverRuns(row: QueueRow): boolean;
  /** Whether a job that left the queue unstarted did so because of a dependency. */
  leftForDependency(row: QueueRow | undefined): boolean;
  /** A short account of a scheduler state, for the user. */
  meaning(state: string): string;
}

export const DIALECTS: Readonly<Record<Dialect['kind'], Dialect>> = { ssh, slurm };
