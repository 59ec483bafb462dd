import path from 'node:path';
import type { RemoteTargetSpec, TaskSpec } from '../../model/types.ts';
import { SshError } from '../../ssh/connection.ts';
import type { SshConnection } from '../../ssh/connection.ts';
import type { AttemptRecord } from '../../store/store.ts';
import { failpoint } from '../../util/failpoint.ts';
import type { Adoption, AttemptEvents, AttemptExit, AttemptRequest, StartedAttempt, Target } from '../target.ts';
import type { ClusterStatus, Clusters } from './clusters.ts';
import { parsePoll, pollScript } from './protocol.ts';
import type { AttemptMarkers, PollAnswer, Probe } from './protocol.ts';
import { arrayJobName, jobName, matchesPattern, remoteAttemptDir, remoteCwd, remoteRunRoot, staticRoot, submitScript } from './scripts.ts';
import type { Submission } from './scripts.ts';
import { slurmState } from './slurm-states.ts';
import { download, fetchLogs, inputFiles, upload } from './staging.ts';
import type { FilePair, TransferProgress } from './staging.ts';

const posix = path.posix;

export interface RemoteTargetOptions {
  clusters: Clusters;
  runId: string;
  /** The run's local root: inputs are found and outputs land relative to it. */
  localRoot: string;
  /** Whether connecting may prompt (a person is there to answer). */
  interactive?: boolean;
  /** Overrides the target's poll interval (tests). */
  pollMs?: number;
  /** Compare staged files by content hash instead of size and modification time. */
  hashFiles?: boolean;
  onTransfer?: (taskId: string, n: number, progress: TransferProgress) => void;
  onCluster?: (status: ClusterStatus) => void;
}

type Phase = 'pending' | 'unsure' | 'queued' | 'running' | 'collecting';

interface Open {
  key: string;
  taskId: string;
  n: number;
  task: TaskSpec;
  localCwd: string;
  /** Where its stdout and stderr are kept on this machine (fetched when it ends). */
  stdout: string;
  stderr: string;
  cwd: string;
  dir: string;
  events: AttemptEvents;
  after: { taskId: string; n: number }[];
  phase: Phase;
  jobId: string | null;
  started: boolean;
  stop: 'cancel' | 'withdraw' | null;
  stopSent: boolean;
  schedulerState: string | null;
  misses: number;
  /** Output files to fetch once it succeeded. */
  collect?: { files: FilePair[]; exit: AttemptExit };
  /** Resolves a pending `adopt`. */
  adoption?: (adoption: Adoption) => void;
  /** Its submission command is on its way (polls leave it alone until the answer). */
  inFlight?: boolean;
  /** Its folder holds a `submitting` marker of a submission that died: replace it. */
  stale?: boolean;
}

/** A `submitting` marker without a job after this long belongs to a submission that died. */
const STALE_SUBMISSION_S = 120;

/** Polls back off to this many times the interval while the scheduler answers slowly or refuses. */
const MAX_BACKOFF = 8;
/** A scheduler answer slower than this counts as slow. */
const SLOW_MS = 5_000;

/**
 * Runs attempts on a host over SSH: on a plain host detached from the connection (`ssh`), or
 * as SLURM batch jobs (`slurm`). Each attempt gets a hidden folder beside the task's files with
 * its scripts, logs and markers; the markers are the source of truth when the scheduler has
 * forgotten the job. A batch of attempts goes up in one remote command (a sweep as one job
 * array); a poll is one remote command for the whole target. A lost connection leaves the
 * attempts as they are: the cluster goes on, and the next poll after the reconnect reconciles.
 */
export class RemoteTarget implements Target {
  readonly name: string;
  readonly maxParallel: number;
  readonly capacity: number;
  readonly followsEdges: boolean;
  readonly spec: RemoteTargetSpec;
  private readonly options: RemoteTargetOptions;
  private readonly connection: SshConnection;
  /** The run's remote folder, absolute (known once connected: a relative root starts at the remote home). */
  private runRoot = '';
  private readonly open = new Map<string, Open>();
  private readonly uploaded = new Map<string, string>();
  private readonly pollMs: number;
  private backoff = 1;
  private flushTimer: NodeJS.Immediate | undefined;
  private flushing: Promise<void> | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  /** The last unexpected error of a poll or submission (kept, not thrown: the run goes on). */
  lastError: unknown;
  private polling: Promise<void> | undefined;
  private pollAgain = false;
  private keys = 0;
  private disposed = false;
  /** Why this host refused us (host key, login), once it did. */
  private refused: string | undefined;
  private readonly unwatch: () => void;
  /** The host's clock minus this machine's, in ms, as the last poll measured it. */
  private clockOffset = 0;
  /** Remote commands run, and polls made, for tests and the status view. */
  commands = 0;
  polls = 0;

  constructor(spec: RemoteTargetSpec, options: RemoteTargetOptions) {
    this.spec = spec;
    this.name = spec.name;
    this.maxParallel = spec.maxParallel;
    this.capacity = spec.maxParallel;
    this.followsEdges = spec.type === 'slurm';
    this.options = options;
    this.connection = options.clusters.connection(spec.host);
    this.pollMs = options.pollMs ?? spec.pollSeconds * 1000;
    this.unwatch = options.clusters.watch(spec.host, (status) => {
      options.onCluster?.(status);
      // Back online: reconcile at once, then send what waited.
      if (status.state === 'online' && !this.disposed) {
        this.schedulePoll(0);
        this.scheduleFlush();
      }
    });
  }

  start(request: AttemptRequest, events: AttemptEvents): void {
    const entry: Open = {
      key: `k${++this.keys}`,
      taskId: request.task.id,
      n: request.n,
      task: request.task,
      localCwd: request.cwd,
      stdout: request.stdout,
      stderr: request.stderr,
      cwd: '',
      dir: '',
      events,
      after: request.after ?? [],
      phase: 'pending',
      jobId: null,
      started: false,
      stop: null,
      stopSent: false,
      schedulerState: null,
      misses: 0,
    };
    if (this.refused) {
      const reason = this.refused;
      queueMicrotask(() => events.onExit({ exitCode: null, signal: null, reason, schedulerState: null, final: true }));
      return;
    }
    for (const ref of entry.after) {
      if (!this.open.has(openKey(ref.taskId, ref.n))) {
        queueMicrotask(() => events.onWithdrawn(`${ref.taskId} attempt ${ref.n} ended before this attempt was handed over`));
        return;
      }
    }
    this.open.set(openKey(entry.taskId, entry.n), entry);
    this.scheduleFlush();
  }

  committed(): void {}

  cancel(runId: string, taskId: string, n: number): void {
    this.stopAttempt(taskId, n, 'cancel');
  }

  withdraw(runId: string, taskId: string, n: number): void {
    const entry = this.open.get(openKey(taskId, n));
    if (entry && !entry.started) this.stopAttempt(taskId, n, 'withdraw');
  }

  private stopAttempt(taskId: string, n: number, how: 'cancel' | 'withdraw'): void {
    const entry = this.open.get(openKey(taskId, n));
    if (!entry || entry.phase === 'collecting') return;
    entry.stop ??= how;
    if (entry.phase === 'pending') {
      this.forget(entry);
      entry.events.onWithdrawn(how === 'cancel' ? 'cancelled before it was submitted' : 'withdrawn before it was submitted');
      return;
    }
    // Sent now when the cluster answers, else with the next poll after the reconnect.
    if (entry.jobId && this.connection.state === 'online') this.schedulePoll(0);
  }

  adopt(record: AttemptRecord, task: TaskSpec, events: AttemptEvents): Promise<Adoption> {
    return new Promise((resolve) => {
      const entry: Open = {
        key: `k${++this.keys}`,
        taskId: task.id,
        n: record.n,
        task,
        localCwd: record.cwd,
        stdout: record.stdout,
        stderr: record.stderr,
        cwd: '',
        dir: '',
        events,
        after: [],
        phase: record.jobId ? (record.state === 'running' ? 'running' : 'queued') : 'unsure',
        jobId: record.jobId,
        started: record.state === 'running',
        stop: null,
        stopSent: false,
        schedulerState: record.schedulerState,
        misses: 0,
        adoption: resolve,
      };
      this.open.set(openKey(task.id, record.n), entry);
      this.schedulePoll(0);
    });
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.pollTimer);
    clearTimeout(this.retryTimer);
    if (this.flushTimer) clearImmediate(this.flushTimer);
    this.unwatch();
  }

  /** Attempts not yet seen to end. */
  get openCount(): number {
    return this.open.size;
  }

  private forget(entry: Open): void {
    this.open.delete(openKey(entry.taskId, entry.n));
  }

  /** Connects if needed and learns the remote home; false while the host cannot be reached. */
  private async ensureOnline(): Promise<boolean> {
    try {
      if (this.connection.state !== 'online') {
        if (this.connection.state === 'needs-login' && !this.options.interactive) {
          this.failAll(withoutAsking(this.connection.lastError ?? 'it needs a login prompt or an unknown host key checked'));
          return false;
        }
        // Lost and waiting out its back-off: polls do not hurry it (the 'online' event wakes us).
        if (this.connection.reconnecting) return false;
        await this.connection.connect(this.options.interactive === true);
      }
      if (!this.runRoot) {
        const root = remoteRunRoot(this.spec, this.options.runId);
        if (posix.isAbsolute(root)) this.runRoot = root;
        else {
          this.commands++;
          const home = (await this.connection.exec('pwd')).stdout.trim();
          if (!posix.isAbsolute(home)) return false;
          this.runRoot = posix.join(home, root);
        }
      }
      for (const entry of this.open.values()) {
        if (entry.dir) continue;
        entry.cwd = remoteCwd(this.runRoot, entry.task.cwd);
        entry.dir = remoteAttemptDir(entry.cwd, this.options.runId, entry.taskId, entry.n);
      }
      return true;
    } catch (error) {
      if (!(error instanceof SshError)) throw error;
      // Unreachable: keep trying in the background, with back-off.
      if (error.code === 'offline' || error.code === 'connect-failed') this.connection.reconnectLater();
      if (['host-key-changed', 'host-key-revoked', 'host-key-rejected', 'auth-failed', 'auth-cancelled'].includes(error.code)) {
        this.failAll(error.message);
      }
      // Nobody to ask: waiting would be forever.
      if (error.code === 'needs-login' && !this.options.interactive) this.failAll(withoutAsking(error.message));
      return false;
    }
  }

  /**
   * A refused login or host key: nothing can run there until the user acts. Later attempts
   * (retries too) fail at once: no new login is tried, so nobody's account is locked by
   * repeated prompts or answers.
   */
  private failAll(message: string): void {
    this.refused = `cannot reach ${this.spec.host}: ${message}`;
    for (const entry of [...this.open.values()]) {
      if (entry.phase !== 'pending') continue;
      this.forget(entry);
      entry.events.onExit({ exitCode: null, signal: null, reason: this.refused, schedulerState: null, final: true });
    }
  }

  private exec(command: string): ReturnType<SshConnection['exec']> {
    this.commands++;
    return this.connection.exec('/bin/sh -s', command);
  }

  private scheduleFlush(): void {
    if (this.disposed || this.flushTimer) return;
    this.flushTimer = setImmediate(() => {
      this.flushTimer = undefined;
      if (this.flushing) {
        void this.flushing.then(() => this.scheduleFlush());
        return;
      }
      this.flushing = this.flush()
        .catch((error: unknown) => {
          this.lastError = error;
        })
        .finally(() => (this.flushing = undefined));
    });
  }

  /** Submits every pending attempt: inputs up, then one command for the batch. */
  private async flush(): Promise<void> {
    const batch = [...this.open.values()].filter((entry) => entry.phase === 'pending');
    if (batch.length === 0) return;
    if (!(await this.ensureOnline())) {
      // Online but not ready (the home folder not learnt yet): try again shortly. Offline: the
      // reconnect flushes.
      if (this.connection.state === 'online' && !this.refused) this.retryFlushSoon();
      return;
    }
    const ready: Open[] = [];
    for (const entry of batch) {
      if (this.open.get(openKey(entry.taskId, entry.n)) !== entry || entry.phase !== 'pending') continue;
      if (entry.task.inputs.length > 0) {
        try {
          const files = inputFiles(this.options.localRoot, entry.task.inputs, this.runRoot);
          await upload(this.connection, files, this.uploaded, {
            hash: this.options.hashFiles ?? this.spec.checksum,
            onProgress: (progress) => this.options.onTransfer?.(entry.taskId, entry.n, progress),
          });
        } catch (error) {
          if (error instanceof SshError) {
            // Offline: tried again on reconnect. Online (a channel refused): shortly.
            if (this.connection.state === 'online') this.retryFlushSoon();
            return;
          }
          this.forget(entry);
          entry.events.onExit({ exitCode: null, signal: null, reason: `staging failed: ${(error as Error).message}`, schedulerState: null });
          continue;
        }
      }
      ready.push(entry);
    }
    const byKey = new Map(ready.map((entry) => [entry.key, entry]));
    const submissions: Submission[] = [];
    for (const entry of ready) {
      // Cancelled while inputs went up.
      if (this.open.get(openKey(entry.taskId, entry.n)) !== entry || entry.phase !== 'pending') continue;
      const after: Submission['after'] = [];
      let missing: string | undefined;
      for (const ref of entry.after) {
        const upstream = this.open.get(openKey(ref.taskId, ref.n));
        if (upstream?.jobId) after.push({ jobId: upstream.jobId });
        else if (upstream && byKey.has(upstream.key) && submissions.some((s) => s.key === upstream.key)) after.push({ key: upstream.key });
        else missing = ref.taskId;
      }
      if (missing !== undefined) {
        this.forget(entry);
        entry.events.onWithdrawn(`${missing} has no job to wait for`);
        continue;
      }
      submissions.push({ key: entry.key, runId: this.options.runId, task: entry.task, n: entry.n, cwd: entry.cwd, dir: entry.dir, after, ...(entry.stale ? { stale: true } : {}) });
    }
    if (submissions.length === 0) return;
    // From here on the answer may be lost: the attempts are unsure until a poll finds their jobs.
    for (const s of submissions) {
      const entry = byKey.get(s.key)!;
      entry.phase = 'unsure';
      entry.inFlight = true;
      entry.stale = false;
    }
    let answer = '';
    try {
      const result = await this.exec(submitScript(submissions, { kind: this.spec.type, runRoot: this.runRoot, arrayLimit: this.spec.arrayLimit ?? this.spec.maxParallel }));
      answer = result.stdout;
      // Tests stop here: the jobs exist, the store does not know them.
      failpoint('after-submit');
    } catch {
      // The answer is lost; the polls find out what happened.
    }
    for (const s of submissions) byKey.get(s.key)!.inFlight = false;
    // Only whole lines count: an answer cut short may end in half a job id.
    const whole = answer.includes('\n@end\n') || answer.startsWith('@end\n') ? answer : answer.slice(0, answer.lastIndexOf('\n') + 1);
    const answered = new Set<string>();
    for (const line of whole.split('\n')) {
      const [word, key = '', ...rest] = line.split(' ');
      const entry = byKey.get(key);
      if (!entry || this.open.get(openKey(entry.taskId, entry.n)) !== entry) continue;
      answered.add(key);
      if (word === 'submitted' && rest[0]) {
        this.learnJob(entry, rest[0]);
        entry.phase = 'queued';
      } else if (word === 'refused') {
        this.forget(entry);
        const message = rest.join(' ').trim();
        // A dependency SLURM no longer knows (it ended long ago): not a failure, decide again.
        if (entry.after.length > 0 && /depend/i.test(message)) entry.events.onWithdrawn(`sbatch refused the dependency: ${message}`);
        else entry.events.onExit({ exitCode: null, signal: null, reason: `${this.spec.type === 'slurm' ? 'sbatch' : 'start'} refused: ${message || 'no message'}`, schedulerState: null });
      } else if (word === 'withdrawn') {
        this.forget(entry);
        entry.events.onWithdrawn(rest.join(' '));
      }
    }
    // A stop asked for while the batch was on its way is sent now.
    if ([...byKey.values()].some((entry) => entry.stop)) this.schedulePoll(0);
    else this.schedulePoll(this.pollMs);
  }

  private retryFlushSoon(): void {
    if (this.disposed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.scheduleFlush();
    }, 2_000);
  }

  private learnJob(entry: Open, jobId: string): void {
    if (entry.jobId === jobId) return;
    entry.jobId = jobId;
    entry.events.onSubmitted?.(jobId);
  }

  private schedulePoll(delay: number): void {
    if (this.disposed) return;
    if (this.polling) {
      if (delay === 0) this.pollAgain = true;
      return;
    }
    if (delay > 0 && this.pollTimer) return;
    clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      this.polling = this.poll()
        .catch((error: unknown) => {
          this.lastError = error;
        })
        .finally(() => {
        this.polling = undefined;
        const again = this.pollAgain;
        this.pollAgain = false;
        if (this.open.size > 0) this.schedulePoll(again ? 0 : this.pollMs * this.backoff);
      });
    }, delay);
  }

  /** One remote command: stops, the queue, and every open attempt's markers. */
  private async poll(): Promise<void> {
    const entries = [...this.open.values()].filter((entry) => entry.phase !== 'pending' && !entry.inFlight);
    if (entries.length === 0) return;
    if (!(await this.ensureOnline())) return this.adoptUnseen(entries);
    const stops = entries.filter((entry) => entry.stop && !entry.stopSent && entry.jobId);
    const probes: Probe[] = entries.map((entry) => ({ key: entry.key, dir: entry.dir, cwd: entry.cwd, outputRoots: [...new Set(entry.task.outputs.map(staticRoot))] }));
    const began = Date.now();
    this.polls++;
    let answer: PollAnswer;
    try {
      const result = await this.exec(pollScript(this.spec.type, probes, stops.map((entry) => ({ jobId: entry.jobId!, dir: entry.dir, unlessStarted: entry.stop === 'withdraw' }))));
      answer = parsePoll(result.stdout);
    } catch {
      return this.adoptUnseen(entries); // offline: the reconnect polls again
    }
    // Cut short (the connection dropped mid-answer): decide nothing from half an answer.
    if (!answer.complete) return this.adoptUnseen(entries);
    // The host's clock against ours, at the middle of the round trip (its `@now` came first).
    if (answer.now !== null) this.clockOffset = answer.now - (began + Date.now()) / 2;
    for (const entry of stops) entry.stopSent = true;
    const slow = Date.now() - began > SLOW_MS;
    if (answer.queueError !== null || slow) this.backoff = Math.min(MAX_BACKOFF, this.backoff * 2);
    else this.backoff = 1;
    const byKey = new Map(entries.map((entry) => [entry.key, entry]));
    const collecting: Open[] = [];
    for (const [key, markers] of answer.attempts) {
      const entry = byKey.get(key);
      if (!entry || this.open.get(openKey(entry.taskId, entry.n)) !== entry) continue;
      this.decide(entry, markers, answer);
      if (entry.phase === 'collecting') collecting.push(entry);
    }
    for (const entry of collecting) await this.collect(entry);
  }

  /** What a poll's answer means for one attempt. */
  private decide(entry: Open, markers: AttemptMarkers, answer: PollAnswer): void {
    const queue = answer.queue;
    let jobId = markers.jobId ?? entry.jobId;
    if (!jobId && queue && this.spec.type === 'slurm') {
      const wanted = markers.array ? arrayJobName(this.options.runId, markers.array.dir) : jobName(this.options.runId, entry.taskId, entry.n);
      for (const [id, row] of queue) {
        if (row.name !== wanted) continue;
        if (markers.array && !id.endsWith(`_${markers.array.index}`)) continue;
        jobId = id;
      }
    }
    if (jobId) this.learnJob(entry, jobId);
    const row = jobId && queue ? queue.get(jobId) : undefined;
    if (row) entry.schedulerState = row.state;
    if (markers.end) {
      if (!entry.started) this.reportStart(entry, markers);
      const times = { ...(markers.start ? { startedAt: this.localTime(markers.start.at) } : {}), endedAt: this.localTime(markers.end.at) };
      if (markers.end.status === 0 && !markers.end.signal && markers.refusedRoots.length > 0) {
        const roots = markers.refusedRoots.map((root) => `'${root}'`).join(', ');
        return this.finish(entry, { exitCode: null, signal: null, reason: `outputs not fetched: ${roots} leads through a symbolic link on ${this.spec.host}; outputs are fetched only from real folders below the task's`, schedulerState: null, ...times });
      }
      const end = markers.end;
      const stopped = entry.stop === 'cancel' && end.status !== 0;
      const timeout = markers.timeout && end.status !== 0 && !stopped;
      const state = timeout ? 'TIMEOUT' : stopped ? 'CANCELLED' : row && slurmState(row.state).phase === 'ended' ? row.state : this.spec.type === 'slurm' ? (end.status === 0 ? 'COMPLETED' : 'FAILED') : null;
      const exit: AttemptExit = {
        exitCode: end.signal ? null : end.status,
        signal: end.signal,
        reason: timeout ? 'timeout' : stopped ? 'cancelled' : null,
        schedulerState: state,
        ...times,
      };
      if (entry.stop === 'withdraw' && end.status !== 0) return this.end(entry, undefined, 'withdrawn: a dependency runs again');
      return this.finish(entry, exit, exit.exitCode === 0 && exit.signal === null ? this.outputsOf(entry, markers) : []);
    }
    const alive = this.spec.type === 'ssh' ? markers.alive : row !== undefined && slurmState(row.state).phase !== 'ended';
    if (markers.start) {
      if (!entry.started) this.reportStart(entry, markers);
      if (alive) return this.settleAdoption(entry, { kind: 'running', started: this.started(entry, markers) });
      // Gone without an end marker: killed hard (SLURM's KILL after the grace time, a node lost).
      if (row || queue || this.spec.type === 'ssh') {
        if (++entry.misses < 2 && !row) return this.settleAdoption(entry, { kind: 'running', started: this.started(entry, markers) });
        const state = row?.state ?? entry.schedulerState;
        const timeout = markers.timeout || state === 'TIMEOUT';
        return this.finish(entry, {
          exitCode: null,
          signal: null,
          reason: timeout ? 'timeout' : entry.stop === 'cancel' ? 'cancelled' : `ended without an exit status${state ? ` (${state}: ${slurmState(state).meaning})` : ''}`,
          schedulerState: state,
          startedAt: this.localTime(markers.start.at),
        });
      }
      // squeue failed: still running as far as anyone knows.
      return this.settleAdoption(entry, { kind: 'running', started: this.started(entry, markers) });
    }
    if (alive) {
      entry.phase = 'queued';
      // A job whose dependency failed never runs: take it out of the queue.
      if (row && /DependencyNeverSatisfied/.test(row.reason) && !entry.stop) {
        entry.stop = 'withdraw';
        this.schedulePoll(0);
      }
      return this.settleAdoption(entry, { kind: 'queued' });
    }
    if (this.spec.type === 'slurm' && !queue) return this.settleAdoption(entry, { kind: 'queued' }); // squeue failed: ask again later
    if (!jobId) {
      // A submission under way (its answer lost): wait for its job to show, unless it died.
      if (markers.submitting !== null && markers.submitting < STALE_SUBMISSION_S) return this.settleAdoption(entry, { kind: 'queued' });
      entry.stale = markers.submitting !== null;
      // Never submitted (the core stopped first, or the answer was lost before sbatch ran).
      if (entry.adoption) return this.settleAdoption(entry, { kind: 'not-started' }, true);
      if (entry.stop) return this.end(entry, undefined, entry.stop === 'cancel' ? 'cancelled before it was submitted' : 'withdrawn before it was submitted');
      entry.phase = 'pending';
      this.scheduleFlush();
      return;
    }
    if (entry.stop || entry.after.length > 0 || /Dependency/.test(row?.reason ?? '')) {
      return this.end(entry, undefined, entry.stop === 'cancel' ? 'cancelled before it started' : 'a job it ran after did not succeed');
    }
    return this.end(entry, { exitCode: null, signal: null, reason: `job ${jobId} left the queue without starting${row ? ` (${row.state})` : ''}`, schedulerState: row?.state ?? null });
  }

  /**
   * Adoptions waiting for a host that cannot be reached are answered `queued`: a resume does
   * not wait for the network, and what the host says later arrives through the events.
   */
  private adoptUnseen(entries: Open[]): void {
    for (const entry of entries) {
      if (!entry.adoption) continue;
      if (entry.started) this.settleAdoption(entry, { kind: 'running', started: this.started(entry) });
      else this.settleAdoption(entry, { kind: 'queued' });
    }
  }

  private started(entry: Open, markers?: AttemptMarkers): StartedAttempt {
    return { pid: 0, pidStart: null, host: markers?.start?.host ?? this.spec.host, ...(entry.jobId ? { jobId: entry.jobId } : {}), ...(markers?.start ? { at: this.localTime(markers.start.at) } : {}) };
  }

  /** A time the host's clock gave (a marker), on this machine's clock. */
  private localTime(remoteMs: number): number {
    return Math.round(remoteMs - this.clockOffset);
  }

  /**
   * An attempt that ended on the host: its logs (and, when it succeeded, its outputs) are
   * fetched before its end is reported, so they are here even after the host purged them.
   */
  private finish(entry: Open, exit: AttemptExit, files: FilePair[] = []): void {
    entry.phase = 'collecting';
    entry.collect = { exit, files };
  }

  private reportStart(entry: Open, markers: AttemptMarkers): void {
    entry.started = true;
    entry.phase = 'running';
    if (!entry.adoption) entry.events.onStarted(this.started(entry, markers));
  }

  /** Answers a pending `adopt` (its first poll decides); later changes go through the events. */
  private settleAdoption(entry: Open, adoption: Adoption, forget = false): void {
    if (forget) this.forget(entry);
    const resolve = entry.adoption;
    entry.adoption = undefined;
    resolve?.(adoption);
  }

  private end(entry: Open, exit: AttemptExit | undefined, withdrawn?: string): void {
    this.forget(entry);
    if (entry.adoption) {
      if (exit) return this.settleAdoption(entry, { kind: 'exited', exit });
      return this.settleAdoption(entry, { kind: 'not-started' });
    }
    if (exit) entry.events.onExit(exit);
    else entry.events.onWithdrawn(withdrawn ?? 'withdrawn');
  }

  private outputsOf(entry: Open, markers: AttemptMarkers): FilePair[] {
    return markers.files
      .filter((file) => entry.task.outputs.some((pattern) => matchesPattern(file.path, pattern)))
      .map((file) => ({ remote: posix.join(entry.cwd, file.path), local: path.join(entry.localCwd, ...file.path.split('/')), size: file.size, mtime: file.mtime }));
  }

  /** Fetches an ended attempt's logs and a succeeded one's outputs, then reports its end (offline: tried again later). */
  private async collect(entry: Open): Promise<void> {
    const collect = entry.collect!;
    let exit = collect.exit;
    try {
      await fetchLogs(this.connection, [
        { remote: `${entry.dir}/stdout`, local: entry.stdout },
        { remote: `${entry.dir}/stderr`, local: entry.stderr },
      ]);
    } catch (error) {
      // Offline: the next poll after the reconnect tries again. Online (the host refuses SFTP,
      // say): the end is reported all the same, without the copies; the logs stay there.
      if (this.connection.state !== 'online') return;
      this.lastError = error;
    }
    if (collect.files.length > 0) {
      try {
        await download(this.connection, entry.localCwd, collect.files, { hash: this.options.hashFiles ?? this.spec.checksum, onProgress: (progress) => this.options.onTransfer?.(entry.taskId, entry.n, progress) });
      } catch (error) {
        if (this.connection.state !== 'online') return;
        exit = { ...exit, exitCode: null, reason: `outputs could not be fetched: ${(error as Error).message}` };
      }
    }
    if (this.open.get(openKey(entry.taskId, entry.n)) === entry) this.end(entry, exit);
  }
}

/** Why a host that needs the user cannot be reached without one, and what to do. */
function withoutAsking(message: string): string {
  return `${message}; there is no terminal to ask on: run the command on a terminal to answer, or check the host once with ssh (its key is then in known_hosts) and use a key login`;
}

function openKey(taskId: string, n: number): string {
  return `${taskId}\u0000${n}`;
}
