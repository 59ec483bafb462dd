import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import type { TargetSpec } from '../model/types.ts';
import type { AttemptRecord } from '../store/store.ts';
import { isProcessAlive, processStartTime, signalGroup } from '../util/process.ts';
import type { Adoption, AttemptExit, AttemptRequest, StartedAttempt, Target } from './target.ts';

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
  child: ChildProcess | undefined;
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

  constructor(spec: TargetSpec, options: LocalTargetOptions = {}) {
    this.name = spec.name;
    this.maxParallel = spec.maxParallel;
    this.killGraceMs = options.killGraceMs ?? 10_000;
    this.adoptPollMs = options.adoptPollMs ?? 250;
  }

  start(request: AttemptRequest, onExit: (exit: AttemptExit) => void): StartedAttempt {
    mkdirSync(request.dir, { recursive: true });
    mkdirSync(request.cwd, { recursive: true });
    const out = openSync(request.stdout, 'w');
    const err = openSync(request.stderr, 'w');
    let child: ChildProcess;
    try {
      child = spawn(shellPath(request.task.shell), ['-c', MARKERS + request.task.run], {
        cwd: request.cwd,
        env: { ...request.env, FLOTILLA_ATTEMPT_DIR: request.dir },
        detached: true,
        stdio: ['ignore', out, err],
      });
    } finally {
      closeSync(out);
      closeSync(err);
    }
    const key = attemptKey(request.runId, request.task.id, request.n);
    if (child.pid === undefined) {
      // Spawn failed (missing shell); 'error' follows on the next tick.
      child.once('error', (error) => onExit({ exitCode: null, signal: null, reason: `could not start ${request.task.shell}: ${error.message}`, schedulerState: null }));
      return { pid: 0, pidStart: null, host: this.host };
    }
    const entry: Running = { child, pid: child.pid, timer: undefined, killTimer: undefined, ending: undefined };
    this.running.set(key, entry);
    const limit = request.task.resources.timeSeconds;
    if (limit !== undefined) entry.timer = setTimeout(() => this.stop(entry, 'timeout'), limit * 1000);
    child.once('exit', (code, signal) => {
      this.finish(key, entry);
      onExit({ exitCode: code, signal, reason: entry.ending ?? null, schedulerState: entry.ending === 'timeout' ? 'TIMEOUT' : null });
    });
    return { pid: child.pid, pidStart: processStartTime(child.pid), host: this.host };
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
    const entry: Running = { child: undefined, pid, timer: undefined, killTimer: undefined, ending: undefined };
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
  }

  /** Attempts this target is watching now. */
  get active(): number {
    return this.running.size;
  }

  private stop(entry: Running, why: 'timeout' | 'cancelled'): void {
    if (entry.ending) return;
    entry.ending = why;
    if (entry.child) clearTimeout(entry.timer);
    signalGroup(entry.pid, 'SIGTERM');
    entry.killTimer = setTimeout(() => signalGroup(entry.pid, 'SIGKILL'), this.killGraceMs);
    entry.killTimer.unref();
  }

  private finish(key: string, entry: Running): void {
    clearTimeout(entry.timer);
    clearTimeout(entry.killTimer);
    // Children the script left behind in its group go with it.
    if (entry.ending) signalGroup(entry.pid, 'SIGKILL');
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
