/**
 * What a poll's answer means for one attempt: a pure function of what the attempt's folder and
 * the scheduler's queue said, so each case can be tested without a host. The remote target
 * acts on the verdict (remote.ts).
 */
import path from 'node:path';
import { succeeded, withValuesText } from '../published.ts';
import type { AttemptExit } from '../target.ts';
import type { RemoteAttempt } from './attempt.ts';
import type { Dialect } from './dialects/dialect.ts';
import type { AttemptMarkers, PollAnswer } from './protocol.ts';
import { arrayJobName, jobName, matchesPattern } from './scripts.ts';
import type { FilePair } from './staging.ts';

const posix = path.posix;

/** A `submitting` marker without a job after this long belongs to a submission that died. */
export const STALE_SUBMISSION_S = 120;

export type Verdict =
  /** It ended on the host: fetch its logs (and, when it succeeded, `files`), then report `exit`. */
  | { kind: 'ended'; exit: AttemptExit; files: FilePair[] }
  /** Its job runs (or nobody can tell otherwise). `missed`: not seen alive, forgiven once. */
  | { kind: 'running'; missed?: boolean }
  /** Its job waits in the queue; `withdraw`: for an upstream that failed, so it never will run. */
  | { kind: 'queued'; withdraw: boolean }
  /** Nothing can be told yet (a submission under way, the queue unreadable): ask again. */
  | { kind: 'wait' }
  /** It was never submitted; `stale`: a dead submission's marker is in its folder. */
  | { kind: 'not-submitted'; stale: boolean }
  /** Its job left without running: a failure (`exit`), or a withdrawal with its reason. */
  | { kind: 'gone'; exit: AttemptExit }
  | { kind: 'gone'; withdrawn: string };

export interface Reading {
  verdict: Verdict;
  /** Its job, as the markers or the queue named it. */
  jobId: string | null;
  /** The queue's state for its job, when the queue lists it. */
  schedulerState: string | null;
  /** Whether the markers show that it started. */
  started: boolean;
  /**
   * For a job waiting in the queue: when its scheduler expects to start it (ms, the host's clock,
   * as it said: compared as said, converted when reported); null when it says nothing, undefined
   * when the queue was not read (what was known stands).
   */
  expectedStart: number | null | undefined;
}

export interface ReadContext {
  dialect: Dialect;
  runId: string;
  host: string;
  /** A time the host's clock gave, on this machine's. */
  localTime: (remoteMs: number) => number;
}

export function readAttempt(attempt: Readonly<RemoteAttempt>, markers: AttemptMarkers, answer: PollAnswer, context: ReadContext): Reading {
  const { dialect } = context;
  const queue = answer.queue;
  let jobId = markers.jobId ?? attempt.jobId;
  if (!jobId && queue) {
    const wanted = markers.array ? arrayJobName(context.runId, markers.array.dir) : jobName(context.runId, attempt.taskId, attempt.n);
    jobId = dialect.findJob(queue, wanted, markers.array?.index ?? null) ?? null;
  }
  const row = jobId && queue ? queue.get(jobId) : undefined;
  const expectedStart = queue === null ? undefined : row?.state === 'PENDING' && row.start && !markers.start && !markers.end ? row.start : null;
  const reading = (verdict: Verdict, started = false): Reading => ({ verdict, jobId, schedulerState: row?.state ?? null, started, expectedStart: started ? null : expectedStart });
  const stop = attempt.stop?.how;

  if (markers.end) {
    const end = markers.end;
    const times = { ...(markers.start ? { startedAt: context.localTime(markers.start.at) } : {}), endedAt: context.localTime(end.at) };
    if (end.status === 0 && !end.signal && markers.refusedRoots.length > 0) {
      const roots = markers.refusedRoots.map((root) => `'${root}'`).join(', ');
      const reason = `outputs not fetched: ${roots} leads through a symbolic link on ${context.host}; outputs are fetched only from real folders below the task's`;
      return reading({ kind: 'ended', exit: { exitCode: null, signal: null, reason, schedulerState: null, ...times }, files: [] }, true);
    }
    if (stop === 'withdraw' && end.status !== 0) return reading({ kind: 'gone', withdrawn: 'withdrawn: a dependency runs again' }, true);
    const cancelled = stop === 'cancel' && end.status !== 0;
    const timedOut = markers.timeout && end.status !== 0 && !cancelled;
    const exit: AttemptExit = {
      exitCode: end.signal ? null : end.status,
      signal: end.signal,
      reason: timedOut ? 'timeout' : cancelled ? 'cancelled' : null,
      schedulerState: timedOut ? 'TIMEOUT' : cancelled ? 'CANCELLED' : dialect.endState(end.status, row),
      ...times,
    };
    // What it published comes with its end (a values file that is not one fails it).
    const published = markers.values ? withValuesText(exit, markers.values.lines.join('\n'), markers.values.size) : exit;
    return reading({ kind: 'ended', exit: published, files: succeeded(published) ? outputsOf(attempt, markers) : [] }, true);
  }

  const alive = dialect.alive(markers, row);
  if (markers.start) {
    if (alive || !dialect.canTellGone(row, queue)) return reading({ kind: 'running' }, true);
    // Gone without an end marker: killed hard (SLURM's KILL after the grace time, a node
    // lost). Not listed at all may be a moment's gap: that is forgiven once.
    if (!row && attempt.misses < 1) return reading({ kind: 'running', missed: true }, true);
    const state = row?.state ?? attempt.schedulerState;
    const timedOut = markers.timeout || state === 'TIMEOUT';
    const reason = timedOut ? 'timeout' : stop === 'cancel' ? 'cancelled' : `ended without an exit status${state ? ` (${state}: ${dialect.meaning(state)})` : ''}`;
    return reading({ kind: 'ended', exit: { exitCode: null, signal: null, reason, schedulerState: state, startedAt: context.localTime(markers.start.at) }, files: [] }, true);
  }
  if (alive) return reading({ kind: 'queued', withdraw: row !== undefined && dialect.neverRuns(row) && !stop });
  if (!dialect.canTellGone(row, queue)) return reading({ kind: 'wait' });
  if (!jobId) {
    // A submission under way (its answer lost): wait for its job to show, unless it died.
    if (markers.submitting !== null && markers.submitting < STALE_SUBMISSION_S) return reading({ kind: 'wait' });
    return reading({ kind: 'not-submitted', stale: markers.submitting !== null });
  }
  if (stop || attempt.after.length > 0 || dialect.leftForDependency(row)) {
    return reading({ kind: 'gone', withdrawn: stop === 'cancel' ? 'cancelled before it started' : 'a job it ran after did not succeed' });
  }
  return reading({ kind: 'gone', exit: { exitCode: null, signal: null, reason: `job ${jobId} left the queue without starting${row ? ` (${row.state})` : ''}`, schedulerState: row?.state ?? null } });
}

/**
 * Takes what the queue said of an attempt's job: its state, and when a waiting job is expected to
 * start — reported (on this machine's clock) only when the scheduler's own figure moves, so a
 * thousand pending jobs make no writes from one poll to the next.
 */
export function noteQueue(attempt: RemoteAttempt, reading: Reading, localTime: (remoteMs: number) => number): void {
  if (reading.schedulerState) attempt.schedulerState = reading.schedulerState;
  if (reading.expectedStart === undefined || reading.expectedStart === attempt.expectedStart) return;
  attempt.expectedStart = reading.expectedStart;
  attempt.events.onQueued?.(reading.expectedStart === null ? null : localTime(reading.expectedStart));
}

/** The files a succeeded attempt produced that its outputs match, remote and local. */
function outputsOf(attempt: Readonly<RemoteAttempt>, markers: AttemptMarkers): FilePair[] {
  return markers.files
    .filter((file) => attempt.task.outputs.some((pattern) => matchesPattern(file.path, pattern)))
    .map((file) => ({ remote: posix.join(attempt.cwd, file.path), local: path.join(attempt.localCwd, ...file.path.split('/')), size: file.size, mtime: file.mtime }));
}
