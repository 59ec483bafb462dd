import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import type { TargetSpec } from '../model/types.ts';
import type { AttemptRecord } from '../store/store.ts';
import { isProcessAlive, processStartTime, signalGroup } from '../util/process.ts';
import { createLauncher } from './launcher.ts';
import type { Launcher } from './launcher.ts';
import type { Adoption, AttemptEvents, AttemptExit, AttemptRequest, Target } from './target.ts';

/** Marker files each local attempt writes into its folder. */
export const PID_MARKER = 'pid';
export const EXIT_MARKER = 'exit';

/**
 * Prefix of every local script: record the shell's pid, and its exit status when it exits.
 * With these markers a restarted core can adopt an attempt it did not see end. Kept on the
 * script's first line so the user's line numbers in shell errors stay right.
 */
const MARKERS = `echo $$ > "$FLOTILLA_ATTEMPT_DIR/${PID_MARKER}"; trap 'echo $? > "$FLOTILLA_ATTEMPT_DIR/${EXIT_MARKER}"' EXIT; `;

interface Running {
  /** 0 until the launcher reports the process started. */
  pid: number;
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
  /** How processes are started; by default the Perl fork server where Perl exists. */
  launcher?: Launcher;
}

/**
 * Runs attempts as child processes on this machine, each in its own process group
 * (so cancel and timeouts kill everything it started), logs to files, markers beside them.
 */
export class LocalTarget implements Target {
  readonly name: string;
  readonly maxParallel: number;
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
    this.launcher = options.launcher ?? createLauncher();
  }

  start(request: AttemptRequest, events: AttemptEvents): void {
    const key = attemptKey(request.runId, request.task.id, request.n);
    const entry: Running = { pid: 0, timer: undefined, killTimer: undefined, ending: undefined };
    this.running.set(key, entry);
    const delta: Record<string, string> = { ...request.task.env, FLOTILLA_RUN_ID: request.runId, FLOTILLA_TASK_ID: request.task.id, FLOTILLA_ATTEMPT: String(request.n), FLOTILLA_ATTEMPT_DIR: request.dir };
    this.launcher.launch(
      { shell: shellPath(request.task.shell), script: MARKERS + request.task.run, cwd: request.cwd, dir: request.dir, stdout: request.stdout, stderr: request.stderr, env: delta },
      {
        onStarted: (pid) => {
          entry.pid = pid;
          const limit = request.task.resources.timeSeconds;
          if (limit !== undefined) entry.timer = setTimeout(() => this.stop(entry, 'timeout'), limit * 1000);
          events.onStarted({ pid, pidStart: processStartTime(pid), host: this.host });
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

  cancel(runId: string, taskId: string, n: number): void {
    const entry = this.running.get(attemptKey(runId, taskId, n));
    if (entry) this.stop(entry, 'cancelled');
  }

  async adopt(record: AttemptRecord, taskId: string, onExit: (exit: AttemptExit) => void): Promise<Adoption> {
    const exited = readExit(record.dir);
    if (exited) return { kind: 'exited', exit: exited };
    let pid = record.pid ?? readPid(record.dir);
    // Submitted but no pid yet: the shell may be starting this very moment. Give it a moment.
    for (let waited = 0; pid === null && waited < 2000; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      pid = readPid(record.dir);
    }
    if (pid === null) return { kind: 'not-started' };
    if (!isProcessAlive(pid, record.pidStart)) {
      return { kind: 'exited', exit: readExit(record.dir) ?? { exitCode: null, signal: null, reason: 'vanished: the process ended while Flotilla was not running and left no exit status', schedulerState: null } };
    }
    const key = attemptKey(record.runId, taskId, record.n);
    const entry: Running = { pid, timer: undefined, killTimer: undefined, ending: undefined };
    this.running.set(key, entry);
    const poll = () => {
      if (isProcessAlive(pid, record.pidStart)) {
        entry.timer = setTimeout(poll, this.adoptPollMs);
        return;
      }
      this.finish(key, entry);
      const exit = readExit(record.dir) ?? { exitCode: null, signal: null, reason: 'vanished: the adopted process left no exit status', schedulerState: null };
      onExit(entry.ending ? { ...exit, reason: entry.ending } : exit);
    };
    entry.timer = setTimeout(poll, this.adoptPollMs);
    return { kind: 'running', started: { pid, pidStart: record.pidStart ?? processStartTime(pid), host: this.host } };
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

function readPid(dir: string): number | null {
  try {
    const pid = Number(readFileSync(path.join(dir, PID_MARKER), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    // Not written yet: the shell has not started.
    return null;
  }
}

function readExit(dir: string): AttemptExit | undefined {
  const file = path.join(dir, EXIT_MARKER);
  if (!existsSync(file)) return undefined;
  const code = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(code) ? { exitCode: code, signal: null, reason: null, schedulerState: null } : undefined;
}
