import { closeSync, existsSync, openSync, readFileSync, statSync } from 'node:fs';
import { constants as osConstants, hostname } from 'node:os';
import type { TargetSpec, TaskSpec } from '../model/types.ts';
import type { AttemptRecord } from '../store/store.ts';
import { isProcessAlive, processStartTime, signalGroup } from '../util/process.ts';
import { shellQuote } from '../util/shell.ts';
import { createLauncher, lostOutput } from './launcher.ts';
import type { Launcher } from './launcher.ts';
import { valuesFile, withValues } from './published.ts';
import { refillBelow } from './target.ts';
import type { Adoption, AttemptEvents, AttemptExit, AttemptRequest, Target } from './target.ts';


/**
 * The script a local attempt runs: a one-line prologue, then the task's own script (so its
 * line numbers in shell errors stay right). The prologue enters the working folder and
 * exports the environment. Unless the launcher captures output and records ends itself
 * (`Launcher.capturesOutput`), it also sends output to the log files and appends the exit
 * status to the status marker when the shell exits, so a restarted core can adopt an
 * attempt it did not see end.
 */
export function attemptScript(request: AttemptRequest, launcherCaptures: boolean): string {
  // The task's own variables first: Flotilla's, assigned after them, win.
  const identity = `FLOTILLA_RUN_ID=${shellQuote(request.runId)} FLOTILLA_TASK_ID=${shellQuote(request.task.id)} FLOTILLA_ATTEMPT=${request.n} FLOTILLA_STATUS_FILE=${shellQuote(request.marker)} FLOTILLA_VALUES=${shellQuote(valuesFile(request.marker))}`;
  const setup = `cd -- ${shellQuote(request.cwd)} || exit 127; export ${taskExports(request.task)}${identity}; `;
  if (launcherCaptures) return setup + request.task.run;
  return (
    `exec </dev/null >${shellQuote(request.stdout)} 2>${shellQuote(request.stderr)}; ` +
    setup +
    `trap 'echo "exit $?" >> "$FLOTILLA_STATUS_FILE"' EXIT; ` +
    request.task.run
  );
}

/**
 * Why a log file that the attempt's shell should have opened first is not there (the
 * redirection failed: the shell exited 2, its message went nowhere); null when both are.
 * Asked only of attempts that failed, and only when the launcher leaves logs to the script.
 */
function uncreatedLogs(request: AttemptRequest): string | null {
  for (const [name, file] of [['stdout', request.stdout], ['stderr', request.stderr]] as const) {
    if (statSync(file, { throwIfNoEntry: false })?.isFile()) continue;
    try {
      closeSync(openSync(file, 'a'));
      return `its ${name} log file was not created when it started`;
    } catch (error) {
      return `its ${name} log file could not be created (${(error as Error).message.split(',')[0]})`;
    }
  }
  return null;
}

/** `NAME='value' ` for each variable of a task's env, made once per task. */
const exportsOf = new WeakMap<TaskSpec, string>();
function taskExports(task: TaskSpec): string {
  let text = exportsOf.get(task);
  if (text === undefined) {
    text = '';
    for (const [name, value] of Object.entries(task.env)) text += `${name}=${shellQuote(value)} `;
    exportsOf.set(task, text);
  }
  return text;
}

/** Work kept queued in the launcher per slot, in time and in attempts (see `LocalTarget.capacity`). */
const LOOKAHEAD_MS = 100;
const MAX_AHEAD = 64;
/** How long the launcher may hold reports of starts and successes (see `Launcher.holdReports`). */
const REPORT_HOLD_MS = 20;

interface Running {
  /** 0 until the launcher reports the process started. */
  pid: number;
  /** The launcher's id for it. */
  launch: number;
  /** Drops the attempt from the launcher's queue if it has not started. */
  drop: () => void;
  timer: NodeJS.Timeout | undefined;
  killTimer: NodeJS.Timeout | undefined;
  ending: 'timeout' | 'cancelled' | undefined;
}

/** Options of the local target (tests shorten the grace period). */
export interface LocalTargetOptions {
  /** Time between SIGTERM and SIGKILL when stopping an attempt. */
  killGraceMs?: number;
  /** Poll interval for adopted processes (not our children, so no exit event). */
  adoptPollMs?: number;
  /** How processes are started (by default see `createLauncher`). */
  launcher?: Launcher;
  /** How long attempts ran here in an earlier run of the workflow, in ms: the look-ahead fits from the first launch. */
  expectedRunMs?: number;
}

/**
 * Runs attempts as child processes on this machine, each in its own process group
 * (so cancel and timeouts kill everything it started), logs to files, markers beside them.
 */
export class LocalTarget implements Target {
  readonly name: string;
  readonly maxParallel: number;
  readonly followsEdges: boolean;
  /** Attempts handed to the launcher ahead of the running ones, per slot (see `capacity`). */
  private ahead = 1;
  /** How long attempts here ran, in ms (a moving average of what the launcher measured). */
  private meanRun: number | undefined;
  private readonly running = new Map<string, Running>();
  private readonly killGraceMs: number;
  private readonly adoptPollMs: number;
  private readonly host = hostname();
  private readonly launcher: Launcher;
  /** The core holds attempts for this target that could start now. */
  private readyInCore = false;

  constructor(spec: TargetSpec, options: LocalTargetOptions = {}) {
    this.name = spec.name;
    this.maxParallel = spec.maxParallel;
    this.killGraceMs = options.killGraceMs ?? 10_000;
    this.adoptPollMs = options.adoptPollMs ?? 250;
    this.launcher = options.launcher ?? createLauncher(spec.maxParallel);
    this.followsEdges = this.launcher.followsEdges;
    this.pace(options.expectedRunMs);
    this.holdReports();
  }

  /**
   * A queueing launcher starts the next attempt itself the moment one ends, so no slot waits
   * for a round trip to the core. It is kept about LOOKAHEAD_MS of work ahead per slot: one
   * attempt for long tasks (a task that becomes ready later, or of a higher priority, waits
   * behind few), up to MAX_AHEAD for short ones (the core then commits their ends in bigger
   * batches: fewer commits, fewer wake-ups). Until attempts end here, it goes by how long
   * they ran in the workflow's last run, if any.
   */
  get capacity(): number {
    return this.launcher.queues ? this.maxParallel * (1 + this.ahead) : this.maxParallel;
  }

  /** Learns how long attempts run here. */
  private pace(ranMs: number | undefined): void {
    if (ranMs === undefined || !Number.isFinite(ranMs)) return;
    this.meanRun = this.meanRun === undefined ? ranMs : 0.8 * this.meanRun + 0.2 * ranMs;
    this.ahead = Math.max(1, Math.min(MAX_AHEAD, Math.floor(LOOKAHEAD_MS / Math.max(this.meanRun, 1))));
    this.holdReports();
  }

  /**
   * The launcher reports ends when the core would top it up (see `refillBelow`), or when a
   * slot idles while the core has attempts ready; else it gathers them for a while, and the
   * core is woken once for many.
   */
  private holdReports(): void {
    if (this.launcher.queues) this.launcher.holdReports?.(refillBelow(this), REPORT_HOLD_MS, this.readyInCore);
  }

  readyWaiting(waiting: boolean): void {
    if (waiting === this.readyInCore) return;
    this.readyInCore = waiting;
    this.holdReports();
  }

  start(request: AttemptRequest, events: AttemptEvents): void {
    const key = attemptKey(request.runId, request.task.id, request.n);
    const entry: Running = { pid: 0, launch: 0, drop: () => {}, timer: undefined, killTimer: undefined, ending: undefined };
    const after: number[] = [];
    for (const ref of request.after ?? []) {
      const upstream = this.running.get(attemptKey(request.runId, ref.taskId, ref.n));
      // Already ended: the core decided before it read that end. Let it decide again.
      if (!upstream) {
        queueMicrotask(() => events.onWithdrawn(`${ref.taskId} attempt ${ref.n} ended before this attempt was handed over`));
        return;
      }
      after.push(upstream.launch);
    }
    this.running.set(key, entry);
    const handle = this.launcher.launch(
      {
        shell: shellPath(request.task.shell),
        script: attemptScript(request, this.launcher.capturesOutput),
        marker: request.marker,
        stdout: request.stdout,
        stderr: request.stderr,
        folders: [request.cwd],
        after,
      },
      {
        onStarted: (pid) => {
          entry.pid = pid;
          const limit = request.task.resources.timeSeconds;
          if (limit !== undefined) setLongTimeout(() => this.stop(entry, 'timeout'), limit * 1000, (timer) => (entry.timer = timer));
          // No start time here (reading /proc per attempt is measurable); adoption recognizes
          // the process by its status marker in its arguments or environment instead.
          events.onStarted({ pid, pidStart: null, host: this.host });
          // A cancel that came before the pid did is carried out now.
          if (entry.ending) this.signal(entry);
        },
        onExit: (code, signal, ranMs, lost) => {
          this.finish(key, entry);
          this.pace(ranMs);
          // Output that was not saved fails the attempt, whatever its exit status: a result
          // whose log is incomplete is not one to build on.
          const unsaved = lost ?? (code !== 0 && !this.launcher.capturesOutput ? uncreatedLogs(request) : null);
          const reason = entry.ending ?? (unsaved ? `output lost: ${unsaved}` : null);
          events.onExit(withValues({ exitCode: code, signal, reason, schedulerState: entry.ending === 'timeout' ? 'TIMEOUT' : null, ...(ranMs === undefined ? {} : { ranMs }) }, request.marker));
        },
        onFailed: (message) => {
          this.finish(key, entry);
          events.onExit({ exitCode: null, signal: null, reason: `could not start: ${message}`, schedulerState: null });
        },
        onWithdrawn: () => {
          this.finish(key, entry);
          events.onWithdrawn(entry.ending ? 'dropped before it started' : 'an attempt it waited for did not succeed, or it was dropped');
        },
      },
    );
    entry.launch = handle.id;
    entry.drop = handle.drop;
  }

  committed(): void {
    this.launcher.committed();
  }

  cancel(runId: string, taskId: string, n: number): void {
    const entry = this.running.get(attemptKey(runId, taskId, n));
    if (entry) this.stop(entry, 'cancelled');
  }

  withdraw(runId: string, taskId: string, n: number): void {
    const entry = this.running.get(attemptKey(runId, taskId, n));
    if (entry && entry.pid === 0 && !entry.ending) entry.drop();
  }

  async adopt(record: AttemptRecord, task: TaskSpec, events: AttemptEvents): Promise<Adoption> {
    let status = readStatus(record.marker);
    // Submitted but no pid yet: the process may be starting this very moment. Give it a moment.
    for (let waited = 0; record.pid === null && status.pid === null && !status.exit && waited < 2000; waited += 100) {
      await delay(100);
      status = readStatus(record.marker);
    }
    if (status.exit) return { kind: 'exited', exit: withValues(status.exit, record.marker) };
    const pid = record.pid ?? status.pid;
    if (pid === null) return { kind: 'not-started' };
    if (!isProcessAlive(pid, record.pidStart) || !runsAttempt(pid, record.marker)) return { kind: 'exited', exit: withValues(await lastStatus(record.marker), record.marker) };
    const key = attemptKey(record.runId, task.id, record.n);
    const entry: Running = { pid, launch: 0, drop: () => {}, timer: undefined, killTimer: undefined, ending: undefined };
    this.running.set(key, entry);
    const pidStart = record.pidStart ?? processStartTime(pid);
    let limit: NodeJS.Timeout | undefined;
    if (task.resources.timeSeconds !== undefined) {
      // The limit runs from the attempt's start, not from the adoption.
      const left = task.resources.timeSeconds * 1000 - (Date.now() - (record.startedAt ?? record.submittedAt));
      setLongTimeout(() => this.stop(entry, 'timeout'), Math.max(0, left), (timer) => (limit = timer));
    }
    const poll = () => {
      if (isProcessAlive(pid, pidStart)) {
        entry.timer = setTimeout(poll, this.adoptPollMs);
        return;
      }
      clearTimeout(limit);
      this.finish(key, entry);
      void lastStatus(record.marker).then((exit) => events.onExit(entry.ending && exit.exitCode !== 0 ? { ...exit, reason: entry.ending, schedulerState: entry.ending === 'timeout' ? 'TIMEOUT' : null } : withValues(exit, record.marker)));
    };
    entry.timer = setTimeout(poll, this.adoptPollMs);
    return { kind: 'running', started: { pid, pidStart, host: this.host } };
  }

  dispose(): void {
    for (const entry of this.running.values()) {
      clearTimeout(entry.timer);
      clearTimeout(entry.killTimer);
    }
    this.running.clear();
    this.launcher.dispose();
  }

  /** Attempts this target is watching now. */
  get active(): number {
    return this.running.size;
  }

  private stop(entry: Running, why: 'timeout' | 'cancelled'): void {
    if (entry.ending) return;
    entry.ending = why;
    // Kill on the next turn: a cancel of a whole run first tells the launcher to drop the
    // attempts waiting for a slot, so none of them takes the slot a killed one frees.
    if (entry.pid > 0) setImmediate(() => this.signal(entry));
    else entry.drop();
  }

  /** SIGTERM to the attempt's process group, SIGKILL after the grace period. */
  private signal(entry: Running): void {
    signalGroup(entry.pid, 'SIGTERM');
    entry.killTimer = setTimeout(() => signalGroup(entry.pid, 'SIGKILL'), this.killGraceMs);
    entry.killTimer.unref();
  }

  private finish(key: string, entry: Running): void {
    clearTimeout(entry.timer);
    clearTimeout(entry.killTimer);
    // Children the script left behind in its group go with it.
    if (entry.ending && entry.pid > 0) signalGroup(entry.pid, 'SIGKILL');
    this.running.delete(key);
  }
}

function attemptKey(runId: string, taskId: string, n: number): string {
  return `${runId}\0${taskId}\0${n}`;
}

function shellPath(shell: string): string {
  return shell.includes('/') ? shell : shell === 'sh' ? '/bin/sh' : shell;
}

/**
 * Whether a live pid is still the attempt and not a later process that reused the pid: the
 * attempt's marker is among its arguments (the shell) or in its environment (a program the
 * shell exec'd, which inherits the exported FLOTILLA_STATUS_FILE). Without /proc, trust it.
 */
/**
 * The process of an attempt an earlier process started here, when it still runs (by the pid
 * recorded or written in its marker, and the marker among its arguments or environment).
 */
export function stillRunsHere(record: AttemptRecord): number | null {
  const status = record.pid === null ? readStatus(record.marker) : undefined;
  const pid = record.pid ?? status?.pid ?? null;
  if (pid === null || pid <= 0 || status?.exit) return null;
  return isProcessAlive(pid, record.pidStart) && runsAttempt(pid, record.marker) ? pid : null;
}

function runsAttempt(pid: number, marker: string): boolean {
  try {
    if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(marker)) return true;
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`FLOTILLA_STATUS_FILE=${marker}`);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT' || !existsSync('/proc/self');
  }
}

/**
 * The end an attempt left in its marker. A launcher reaps a process before it writes the
 * marker, so a process found gone may have its status written a moment later: look again
 * for a second before calling it vanished.
 */
async function lastStatus(marker: string): Promise<AttemptExit> {
  for (let waited = 0; ; waited += 100) {
    const exit = readStatus(marker).exit;
    if (exit) return exit;
    if (waited >= 1000) return vanished('the process ended while Flotilla was not watching and left no exit status');
    await delay(100);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * setTimeout beyond its 24.8-day limit (a longer delay would fire at once), in legs; `keep`
 * receives each leg's timer, so the caller can always clear the current one.
 */
function setLongTimeout(fn: () => void, ms: number, keep: (timer: NodeJS.Timeout) => void): void {
  const most = 2 ** 31 - 1;
  keep(ms > most ? setTimeout(() => setLongTimeout(fn, ms - most, keep), most) : setTimeout(fn, ms));
}

function vanished(why: string): AttemptExit {
  return { exitCode: null, signal: null, reason: `vanished: ${why}`, schedulerState: null };
}

/** The status marker: `pid N` (from the launcher) and, once the shell ended, `exit N` or `signal N`. */
function readStatus(marker: string): { pid: number | null; exit: AttemptExit | undefined } {
  let text: string;
  try {
    text = readFileSync(marker, 'utf8');
  } catch {
    // Not written yet: the attempt has not started.
    return { pid: null, exit: undefined };
  }
  const pid = /^pid (\d+)$/m.exec(text);
  const code = /^exit (\d+)$/m.exec(text);
  const signal = /^signal (\d+)$/m.exec(text);
  const signalName = signal ? (Object.entries(osConstants.signals).find(([, number]) => number === Number(signal[1]))?.[0] as NodeJS.Signals | undefined) : undefined;
  // Output the C launcher could not save, written with the end when the core was not there to hear it.
  const lost = [...text.matchAll(/^lost (stdout|stderr) (\d+) (.*)$/gm)].map((line) => lostOutput(line[1]!, Number(line[2]), line[3]!));
  const reason = lost.length > 0 ? `output lost: ${lost.join('; ')}` : null;
  return {
    pid: pid ? Number(pid[1]) : null,
    exit: code
      ? { exitCode: Number(code[1]), signal: null, reason, schedulerState: null }
      : signal
        ? { exitCode: null, signal: signalName ?? `SIG${signal[1]}`, reason, schedulerState: null }
        : undefined,
  };
}
