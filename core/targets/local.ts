import { existsSync, readFileSync } from 'node:fs';
import { constants as osConstants, hostname } from 'node:os';
import type { TargetSpec } from '../model/types.ts';
import type { AttemptRecord } from '../store/store.ts';
import { isProcessAlive, processStartTime, signalGroup } from '../util/process.ts';
import { createLauncher } from './launcher.ts';
import type { Launcher } from './launcher.ts';
import type { Adoption, AttemptEvents, AttemptExit, AttemptRequest, Target } from './target.ts';


/** Quotes a string for a POSIX shell: nothing inside single quotes is special. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * The script a local attempt runs: a one-line prologue, then the task's own script (so its
 * line numbers in shell errors stay right). The prologue enters the working folder and
 * exports the environment. Unless the launcher captures output and records ends itself
 * (`Launcher.capturesOutput`), it also sends output to the log files and appends the exit
 * status to the status marker when the shell exits, so a restarted core can adopt an
 * attempt it did not see end.
 */
export function attemptScript(request: AttemptRequest, launcherCaptures: boolean): string {
  const env: Record<string, string> = {
    ...request.task.env,
    FLOTILLA_RUN_ID: request.runId,
    FLOTILLA_TASK_ID: request.task.id,
    FLOTILLA_ATTEMPT: String(request.n),
    FLOTILLA_STATUS_FILE: request.marker,
  };
  const exports = Object.entries(env).map(([name, value]) => `${name}=${shellQuote(value)}`).join(' ');
  const setup = `cd -- ${shellQuote(request.cwd)} || exit 127; export ${exports}; `;
  if (launcherCaptures) return setup + request.task.run;
  return (
    `exec </dev/null >${shellQuote(request.stdout)} 2>${shellQuote(request.stderr)}; ` +
    setup +
    `trap 'echo "exit $?" >> "$FLOTILLA_STATUS_FILE"' EXIT; ` +
    request.task.run
  );
}

interface Running {
  /** 0 until the launcher reports the process started. */
  pid: number;
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
}

/**
 * Runs attempts as child processes on this machine, each in its own process group
 * (so cancel and timeouts kill everything it started), logs to files, markers beside them.
 */
export class LocalTarget implements Target {
  readonly name: string;
  readonly maxParallel: number;
  readonly capacity: number;
  private readonly running = new Map<string, Running>();
  private readonly killGraceMs: number;
  private readonly adoptPollMs: number;
  private readonly host = hostname();
  private readonly launcher: Launcher;

  constructor(spec: TargetSpec, options: LocalTargetOptions = {}) {
    this.name = spec.name;
    this.maxParallel = spec.maxParallel;
    this.killGraceMs = options.killGraceMs ?? 10_000;
    this.adoptPollMs = options.adoptPollMs ?? 250;
    this.launcher = options.launcher ?? createLauncher(spec.maxParallel);
    // A queueing launcher starts the next attempt itself the moment one ends: keep it one
    // attempt ahead per slot, so no slot waits for a round trip to the core.
    this.capacity = this.launcher.queues ? 2 * spec.maxParallel : spec.maxParallel;
  }

  start(request: AttemptRequest, events: AttemptEvents): void {
    const key = attemptKey(request.runId, request.task.id, request.n);
    const entry: Running = { pid: 0, drop: () => {}, timer: undefined, killTimer: undefined, ending: undefined };
    this.running.set(key, entry);
    entry.drop = this.launcher.launch(
      {
        shell: shellPath(request.task.shell),
        script: attemptScript(request, this.launcher.capturesOutput),
        marker: request.marker,
        stdout: request.stdout,
        stderr: request.stderr,
        folders: [request.cwd],
      },
      {
        onStarted: (pid) => {
          entry.pid = pid;
          const limit = request.task.resources.timeSeconds;
          if (limit !== undefined) entry.timer = setTimeout(() => this.stop(entry, 'timeout'), limit * 1000);
          // No start time here (reading /proc per attempt is measurable); adoption checks the
          // process's environment for this attempt's folder instead.
          events.onStarted({ pid, pidStart: null, host: this.host });
          // A cancel that came before the pid did is carried out now.
          if (entry.ending) this.signal(entry);
        },
        onExit: (code, signal) => {
          this.finish(key, entry);
          events.onExit({ exitCode: code, signal, reason: entry.ending ?? null, schedulerState: entry.ending === 'timeout' ? 'TIMEOUT' : null });
        },
        onFailed: (message) => {
          this.finish(key, entry);
          events.onExit({ exitCode: null, signal: null, reason: `could not start: ${message}`, schedulerState: null });
        },
      },
    );
  }

  committed(): void {
    this.launcher.committed();
  }

  cancel(runId: string, taskId: string, n: number): void {
    const entry = this.running.get(attemptKey(runId, taskId, n));
    if (entry) this.stop(entry, 'cancelled');
  }

  async adopt(record: AttemptRecord, taskId: string, onExit: (exit: AttemptExit) => void): Promise<Adoption> {
    let status = readStatus(record.marker);
    if (status.exit) return { kind: 'exited', exit: status.exit };
    // Submitted but no pid yet: the shell may be starting this very moment. Give it a moment.
    for (let waited = 0; record.pid === null && status.pid === null && waited < 2000; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = readStatus(record.marker);
    }
    const pid = record.pid ?? status.pid;
    if (pid === null) return { kind: 'not-started' };
    if (!isProcessAlive(pid, record.pidStart) || !runsAttempt(pid, record.marker)) {
      return { kind: 'exited', exit: readStatus(record.marker).exit ?? vanished('the process ended while Flotilla was not running and left no exit status') };
    }
    const key = attemptKey(record.runId, taskId, record.n);
    const entry: Running = { pid, drop: () => {}, timer: undefined, killTimer: undefined, ending: undefined };
    this.running.set(key, entry);
    const pidStart = record.pidStart ?? processStartTime(pid);
    const poll = () => {
      if (isProcessAlive(pid, pidStart)) {
        entry.timer = setTimeout(poll, this.adoptPollMs);
        return;
      }
      this.finish(key, entry);
      const exit = readStatus(record.marker).exit ?? vanished('the adopted process left no exit status');
      onExit(entry.ending ? { ...exit, reason: entry.ending } : exit);
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
    if (entry.pid > 0) this.signal(entry);
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
 * Whether a live pid is still the attempt's shell and not a later process that reused the
 * pid: the attempt's marker is among its arguments. Where /proc is missing, trust it.
 */
function runsAttempt(pid: number, marker: string): boolean {
  let commandLine: string;
  try {
    commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT' || !existsSync('/proc/self');
  }
  return commandLine.split('\0').includes(marker);
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
  return {
    pid: pid ? Number(pid[1]) : null,
    exit: code
      ? { exitCode: Number(code[1]), signal: null, reason: null, schedulerState: null }
      : signal
        ? { exitCode: null, signal: signalName ?? `SIG${signal[1]}`, reason: null, schedulerState: null }
        : undefined,
  };
}
