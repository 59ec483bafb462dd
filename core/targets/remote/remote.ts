import type { LoopAhead } from '../../model/advance.ts';
import type { RemoteTargetSpec, TaskSpec } from '../../model/types.ts';
import type { AttemptRecord } from '../../store/store.ts';
import type { Adoption, AttemptEvents, AttemptExit, AttemptRequest, StartedAttempt, Target } from '../target.ts';
import { LoopsAhead, aheadsOf } from './ahead.ts';
import { OpenAttempts, hasStarted, moveAttempt } from './attempt.ts';
import type { RemoteAttempt } from './attempt.ts';
import { DIALECTS } from './dialects/dialect.ts';
import type { Dialect } from './dialects/dialect.ts';
import { parsePoll, pollScript } from './protocol.ts';
import type { AttemptMarkers, PollAnswer, Probe } from './protocol.ts';
import { remoteAttemptDir, remoteCwd, staticRoot } from './scripts.ts';
import { Pacing, SLOW_MS } from './pacing.ts';
import { HostSession } from './session.ts';
import type { RemoteTargetOptions } from './session.ts';
import { submitBatch } from './submit.ts';
import { fetchResults, inputFiles, upload } from './staging.ts';
import type { TransferOptions } from './staging.ts';
import { noteQueue, readAttempt } from './verdict.ts';
import type { ReadContext, Reading } from './verdict.ts';

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
  private readonly dialect: Dialect;
  private readonly options: RemoteTargetOptions;
  private readonly session: HostSession;
  private readonly open = new OpenAttempts();
  private readonly uploaded = new Map<string, string>();
  private readonly pacing: Pacing;
  private disposed = false;
  private readonly unwatch: () => void;
  /** The host's clock minus this machine's, in ms, as the last poll measured it. */
  private clockOffset = 0;
  /** Loops this target's cluster goes on with while Flotilla is away (ahead.ts). */
  private readonly ahead: LoopsAhead;
  /** The last whole poll answer (its queue reads what a walk found). */
  private lastAnswer: PollAnswer | undefined;
  /** Attempts whose results are being fetched. */
  private readonly fetching = new Set<RemoteAttempt>();
  /** The fetching of attempts taken up from a walk, one after another. */
  private takingUp: Promise<void> = Promise.resolve();
  /** Polls made (tests count them). */
  polls = 0;

  constructor(spec: RemoteTargetSpec, options: RemoteTargetOptions) {
    this.spec = spec;
    this.name = spec.name;
    this.maxParallel = spec.maxParallel;
    this.capacity = spec.maxParallel;
    this.dialect = DIALECTS[spec.type];
    this.followsEdges = this.dialect.followsEdges;
    this.options = options;
    this.session = new HostSession(spec, options);
    this.ahead = new LoopsAhead(options.runId);
    this.pacing = new Pacing(options.pollMs ?? spec.pollSeconds * 1000, { flush: () => this.flush(), poll: () => this.poll(), busy: () => this.open.size > 0 });
    this.unwatch = options.clusters.watch(spec.host, (status) => {
      options.onCluster?.(status);
      // Back online: reconcile at once, then send what waited.
      if (status.state === 'online' && !this.disposed) {
        this.pacing.pollIn(0);
        this.pacing.flushSoon();
      }
    });
  }

  start(request: AttemptRequest, events: AttemptEvents): void {
    if (this.session.refused) {
      const reason = this.session.refused;
      queueMicrotask(() => events.onExit({ exitCode: null, signal: null, reason, schedulerState: null, final: true }));
      return;
    }
    const after = request.after ?? [];
    for (const ref of after) {
      if (!this.open.get(ref.taskId, ref.n)) {
        queueMicrotask(() => events.onWithdrawn(`${ref.taskId} attempt ${ref.n} ended before this attempt was handed over`));
        return;
      }
    }
    const entry = this.open.add(request.task, request.n, { cwd: request.cwd, stdout: request.stdout, stderr: request.stderr }, events, 'pending');
    entry.after = after;
    if (request.ahead) {
      entry.ahead = request.ahead;
      // The cluster went on with its loop and submitted it: a poll read its job already.
      const seen = this.ahead.take(request.task.id, request.n);
      if (seen) return queueMicrotask(() => this.foreseen(entry, seen));
    }
    this.pacing.flushSoon();
  }

  /** Takes up an attempt its cluster submitted (a walk read its markers): as a poll's answer about it would. */
  private foreseen(entry: RemoteAttempt, markers: AttemptMarkers): void {
    if (!this.open.tracks(entry) || entry.phase !== 'pending' || !this.lastAnswer) return this.pacing.flushSoon();
    this.place(entry);
    moveAttempt(entry, 'submitting');
    moveAttempt(entry, 'unsure');
    const reading = readAttempt(entry, markers, this.lastAnswer, this.readContext());
    // Only what its markers say for sure counts (its end); the queue may be older or newer
    // than them: that it waits or runs is what the next poll tells.
    if (reading.verdict.kind === 'ended') this.act(entry, markers, reading);
    else {
      this.learnJob(entry, markers.jobId!);
      moveAttempt(entry, 'queued');
    }
    // One after another, in the order they were handed over (a poll fetches so too).
    if (this.open.tracks(entry) && entry.collect) {
      this.takingUp = this.takingUp.then(() => this.collect(entry)).catch((error: unknown) => {
        this.pacing.lastError = error;
      });
    }
    // Polls stop while nothing is open: this one may be the only one.
    this.pacing.pollLater();
  }

  committed(): void {}

  cancel(runId: string, taskId: string, n: number): void {
    this.stopAttempt(taskId, n, 'cancel');
  }

  withdraw(runId: string, taskId: string, n: number): void {
    const entry = this.open.get(taskId, n);
    if (entry && !hasStarted(entry)) this.stopAttempt(taskId, n, 'withdraw');
  }

  private stopAttempt(taskId: string, n: number, how: 'cancel' | 'withdraw'): void {
    const entry = this.open.get(taskId, n);
    if (!entry || entry.phase === 'collecting') return;
    entry.stop ??= { how, sent: false };
    if (entry.phase === 'pending') {
      this.end(entry, { withdrawn: how === 'cancel' ? 'cancelled before it was submitted' : 'withdrawn before it was submitted' });
      return;
    }
    // Sent now when the cluster answers, else with the next poll after the reconnect.
    if (entry.jobId && this.session.connection.state === 'online') this.pacing.pollIn(0);
  }

  halt(ahead: LoopAhead): void {
    this.ahead.halt(ahead);
    this.pacing.pollIn(0);
  }

  adopt(record: AttemptRecord, task: TaskSpec, events: AttemptEvents, ahead?: LoopAhead): Promise<Adoption> {
    return new Promise((resolve) => {
      const phase = record.jobId ? (record.state === 'running' ? 'running' : 'queued') : 'unsure';
      const entry = this.open.add(task, record.n, { cwd: record.cwd, stdout: record.stdout, stderr: record.stderr }, events, phase);
      Object.assign(entry, { jobId: record.jobId, schedulerState: record.schedulerState, adoption: resolve, ...(ahead ? { ahead } : {}) });
      this.pacing.pollIn(0);
    });
  }

  async dispose(): Promise<void> {
    // A halt asked for as the run ended (a cancel of a run nobody drove) goes out first.
    if (this.ahead.halting && !this.disposed) await this.poll().catch(() => undefined);
    this.disposed = true;
    this.pacing.stop();
    this.unwatch();
  }

  /** Remote commands run (tests count them). */
  get commands(): number {
    return this.session.commands;
  }

  /** The last unexpected error of a poll or submission (kept, not thrown: the run goes on). */
  get lastError(): unknown {
    return this.pacing.lastError;
  }

  /** Attempts not yet seen to end. */
  get openCount(): number {
    return this.open.size;
  }

  /** Connects if needed; false while the host cannot be reached (or refused us: then all that waits fails). */
  private async ensureOnline(): Promise<boolean> {
    if (!(await this.session.ensureOnline())) {
      if (this.session.refused) this.failAll(this.session.refused);
      return false;
    }
    for (const entry of this.open.values()) if (!entry.dir) this.place(entry);
    return true;
  }

  /** Where an attempt goes on the host (its home known). */
  private place(entry: RemoteAttempt): void {
    entry.cwd = remoteCwd(this.session.runRoot, entry.task.cwd);
    entry.dir = remoteAttemptDir(entry.cwd, this.options.runId, entry.taskId, entry.n);
  }

  /**
   * A refused login or host key: nothing can run there until the user acts. Later attempts
   * (retries too) fail at once: no new login is tried, so nobody's account is locked by
   * repeated prompts or answers.
   */
  private failAll(reason: string): void {
    for (const entry of [...this.open.values()]) {
      if (entry.phase === 'pending') this.end(entry, { exit: { exitCode: null, signal: null, reason, schedulerState: null, final: true } });
    }
  }

  /** Submits every pending attempt: inputs up, then one command for the batch (submit.ts). */
  private async flush(): Promise<void> {
    const batch = [...this.open.values()].filter((entry) => entry.phase === 'pending');
    if (batch.length === 0) return;
    if (!(await this.ensureOnline())) {
      // Online but not ready (the home folder not learnt yet): try again shortly. Offline: the
      // reconnect flushes.
      if (this.session.connection.state === 'online' && !this.session.refused) this.pacing.retryFlush();
      return;
    }
    const outcome = await submitBatch(batch, {
      session: this.session,
      dialect: this.dialect,
      runId: this.options.runId,
      arrayLimit: this.spec.arrayLimit ?? this.spec.maxParallel,
      stage: (entry) => this.stageInputs(entry),
      find: (taskId, n) => this.open.get(taskId, n),
      tracked: (entry) => this.open.tracks(entry),
      end: (entry, how) => this.end(entry, how),
      learnJob: (entry, jobId) => this.learnJob(entry, jobId),
      ahead: this.ahead,
    });
    if (outcome.retry) this.pacing.retryFlush();
    // A stop asked for while the batch was on its way is sent now.
    if (outcome.sent.some((entry) => entry.stop)) this.pacing.pollIn(0);
    else if (outcome.sent.length > 0) this.pacing.pollLater();
  }

  /** Sends an attempt's inputs up (what is there already is not sent again). */
  private async stageInputs(entry: RemoteAttempt): Promise<void> {
    const files = inputFiles(this.options.localRoot, entry.task.inputs, this.session.runRoot);
    await upload(this.session.connection, files, this.uploaded, this.transferOptions(entry));
  }

  private learnJob(entry: RemoteAttempt, jobId: string): void {
    if (entry.jobId === jobId) return;
    entry.jobId = jobId;
    entry.events.onSubmitted?.(jobId);
  }

  /** One remote command: stops, the queue, and every open attempt's markers; then what ended is fetched. */
  private async poll(): Promise<void> {
    const entries = [...this.open.values()].filter((entry) => entry.phase !== 'pending' && entry.phase !== 'submitting');
    // (A halt goes out even with nothing else to ask.)
    if (entries.length === 0 && !this.ahead.halting) return;
    if (!(await this.ensureOnline())) return this.adoptUnseen(entries);
    // What ended was decided by an earlier poll: only its fetching is left.
    const watched = entries.filter((entry) => entry.phase !== 'collecting');
    if ((watched.length > 0 || this.ahead.halting) && !(await this.probe(watched))) return this.adoptUnseen(entries);
    for (const entry of entries) if (this.open.tracks(entry) && entry.phase === 'collecting') await this.collect(entry);
  }


  /** Sends the poll's command for `watched` and acts on its answer; false when no whole answer came. */
  private async probe(watched: RemoteAttempt[]): Promise<boolean> {
    const stops = watched.filter((entry) => entry.stop && !entry.stop.sent && entry.jobId);
    const probes: Probe[] = watched.map((entry) => ({ key: entry.key, dir: entry.dir, cwd: entry.cwd, outputRoots: [...new Set(entry.task.outputs.map(staticRoot))] }));
    // Loops of these attempts: files still to write (after a restart), and iterations their cluster submitted.
    const files = this.ahead.files(this.session.runRoot, aheadsOf(watched), { dialect: this.dialect, arrayLimit: this.spec.arrayLimit ?? this.spec.maxParallel, open: (taskId, n) => this.open.get(taskId, n) !== undefined });
    const walks = this.ahead.walks(this.session.runRoot, aheadsOf(watched), this.dialect);
    const began = Date.now();
    this.polls++;
    let answer: PollAnswer;
    try {
      const result = await this.session.exec(pollScript(this.dialect, probes, stops.map((entry) => ({ jobId: entry.jobId!, dir: entry.dir, unlessStarted: entry.stop!.how === 'withdraw' })), { files: files.text, walks }));
      answer = parsePoll(result.stdout);
    } catch {
      return false; // offline: the reconnect polls again
    }
    // Cut short (the connection dropped mid-answer): decide nothing from half an answer.
    if (!answer.complete) return false;
    files.written();
    this.lastAnswer = answer;
    // The host's clock against ours, at the middle of the round trip (its `@now` came first).
    if (answer.now !== null) this.clockOffset = answer.now - (began + Date.now()) / 2;
    for (const entry of stops) entry.stop!.sent = true;
    this.pacing.answered(answer.queueError !== null || Date.now() - began > SLOW_MS);
    const byKey = new Map(watched.map((entry) => [entry.key, entry]));
    const context = this.readContext();
    for (const [key, markers] of answer.attempts) {
      const entry = byKey.get(key);
      if (entry && this.open.tracks(entry)) this.act(entry, markers, readAttempt(entry, markers, answer, context));
      else if (!entry) this.ahead.absorb(key, markers);
    }
    return true;
  }

  private readContext(): ReadContext {
    return { dialect: this.dialect, runId: this.options.runId, host: this.spec.host, localTime: (ms: number) => this.localTime(ms) };
  }

  /** Acts on what a poll said of one attempt. */
  private act(entry: RemoteAttempt, markers: AttemptMarkers, reading: Reading): void {
    if (reading.jobId) this.learnJob(entry, reading.jobId);
    noteQueue(entry, reading, (ms) => this.localTime(ms));
    if (reading.started && !hasStarted(entry)) {
      moveAttempt(entry, 'running');
      if (!entry.adoption) entry.events.onStarted(this.started(entry, markers));
    }
    const verdict = reading.verdict;
    switch (verdict.kind) {
      case 'ended':
        moveAttempt(entry, 'collecting');
        entry.collect = { exit: verdict.exit, files: verdict.files };
        return;
      case 'running':
        if (verdict.missed) entry.misses++;
        return this.settleAdoption(entry, { kind: 'running', started: this.started(entry, markers) });
      case 'queued':
        if (!hasStarted(entry)) moveAttempt(entry, 'queued');
        // A job whose dependency failed never runs: take it out of the queue.
        if (verdict.withdraw && !entry.stop) {
          entry.stop = { how: 'withdraw', sent: false };
          this.pacing.pollIn(0);
        }
        return this.settleAdoption(entry, { kind: 'queued' });
      case 'wait':
        return this.settleAdoption(entry, { kind: 'queued' });
      case 'not-submitted':
        entry.stale = verdict.stale;
        // Never submitted (the core stopped first, or the answer was lost before sbatch ran).
        if (entry.adoption) return this.end(entry, { withdrawn: 'not submitted' });
        if (entry.stop) return this.end(entry, { withdrawn: entry.stop.how === 'cancel' ? 'cancelled before it was submitted' : 'withdrawn before it was submitted' });
        moveAttempt(entry, 'pending');
        this.pacing.flushSoon();
        return;
      case 'gone':
        return this.end(entry, 'exit' in verdict ? { exit: verdict.exit } : { withdrawn: verdict.withdrawn });
    }
  }

  /**
   * Adoptions waiting for a host that cannot be reached are answered `queued`: a resume does
   * not wait for the network, and what the host says later arrives through the events.
   */
  private adoptUnseen(entries: RemoteAttempt[]): void {
    for (const entry of entries) {
      if (!entry.adoption) continue;
      if (hasStarted(entry)) this.settleAdoption(entry, { kind: 'running', started: this.started(entry) });
      else this.settleAdoption(entry, { kind: 'queued' });
    }
  }

  private started(entry: RemoteAttempt, markers?: AttemptMarkers): StartedAttempt {
    return { pid: 0, pidStart: null, host: markers?.start?.host ?? this.spec.host, ...(entry.jobId ? { jobId: entry.jobId } : {}), ...(markers?.start ? { at: this.localTime(markers.start.at) } : {}) };
  }

  /** A time the host's clock gave (a marker), on this machine's clock. */
  private localTime(remoteMs: number): number {
    return Math.round(remoteMs - this.clockOffset);
  }

  /** Answers a pending `adopt` (its first poll decides); later changes go through the events. */
  private settleAdoption(entry: RemoteAttempt, adoption: Adoption): void {
    const resolve = entry.adoption;
    entry.adoption = undefined;
    resolve?.(adoption);
  }

  /** Forgets an attempt and reports how it ended: an exit, or a withdrawal (it never ran). */
  private end(entry: RemoteAttempt, how: { exit: AttemptExit } | { withdrawn: string }): void {
    moveAttempt(entry, 'ended');
    this.open.forget(entry);
    if (entry.adoption) return this.settleAdoption(entry, 'exit' in how ? { kind: 'exited', exit: how.exit } : { kind: 'not-started' });
    if ('exit' in how) entry.events.onExit(how.exit);
    else entry.events.onWithdrawn(how.withdrawn);
  }

  /** Fetches an ended attempt's logs and outputs, then reports its end (offline: the next poll tries again). */
  private async collect(entry: RemoteAttempt): Promise<void> {
    if (this.fetching.has(entry)) return;
    this.fetching.add(entry);
    try {
      const exit = await fetchResults(this.session.connection, entry, entry.collect!, this.transferOptions(entry));
      if (exit && this.open.tracks(entry)) this.end(entry, { exit });
    } finally {
      this.fetching.delete(entry);
    }
  }

  private transferOptions(entry: RemoteAttempt): TransferOptions {
    return { hash: this.options.hashFiles ?? this.spec.checksum, onProgress: (progress) => this.options.onTransfer?.(entry.taskId, entry.n, progress) };
  }
}


