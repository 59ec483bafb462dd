import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadWorkflow } from '../core/model/load.ts';
import { createRun } from '../core/scheduler/runs.ts';
import type { Store } from '../core/store/store.ts';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CLI = path.join(REPO, 'core/host/cli/flotilla.cjs');

/** A fresh folder, removed when the test ends. */
export function tempDir(t: { after: (fn: () => void) => void }, prefix = 'flotilla-test-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A folder with its own Flotilla home and, given a text, a workflow file in it. */
export function workspace(t: Parameters<typeof tempDir>[0], text?: string): { dir: string; home: string; file: string } {
  const dir = tempDir(t);
  return { dir, home: path.join(dir, 'home'), file: text === undefined ? '' : writeWorkflow(dir, text) };
}

/** Writes a workflow file (text as given, so tests control lines and columns). */
export function writeWorkflow(dir: string, text: string, name = 'workflow.yaml'): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `flotilla` command in a child process with its own store. */
export function cli(args: string[], options: { home: string; cwd?: string; env?: Record<string, string> }): CliResult {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? REPO,
    env: { ...process.env, FLOTILLA_HOME: options.home, ...options.env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

/** Runs `flotilla` as `cli` does, without blocking this process (a runner here goes on meanwhile). */
export function cliAsync(args: string[], options: { home: string; cwd?: string; env?: Record<string, string> }): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? REPO,
    env: { ...process.env, FLOTILLA_HOME: options.home, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 120_000,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

/** Starts `flotilla` without waiting for it. */
export function startCli(args: string[], options: { home: string; cwd?: string; env?: Record<string, string> }): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? REPO,
    env: { ...process.env, FLOTILLA_HOME: options.home, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `ms`. */
export async function waitFor<T>(check: () => T | undefined | false, what: string, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Whether a process exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Kills a process as a crash would (SIGKILL), once it has exited. */
export function killHard(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/**
 * A run of a workflow file recorded in a store as if it had run an hour ago, each task's attempt
 * taking `seconds[path]` (1 s unless given) and succeeding, or stopped at its time limit for the
 * paths in `timedOut`: history for the forecast and the walltime advice without waiting that
 * long (nor a cluster that runs it).
 */
export function pastRun(store: Store, file: string, seconds: Record<string, number>, timedOut: readonly string[] = []): string {
  const plan = loadWorkflow(file);
  const run = createRun(store, plan, {});
  const start = Date.now() - 3_600_000;
  plan.tasks.forEach((task, idx) => {
    const ms = (seconds[task.path] ?? 1) * 1000;
    const stopped = timedOut.includes(task.path);
    store.insertAttempt({ runId: run, taskIdx: idx, n: 1, state: stopped ? 'failed' : 'succeeded', target: task.target, host: 'h', command: task.run, cwd: '/', dir: '/', marker: '/m', stdout: '/o', stderr: '/e', hash: null, pid: null, pidStart: null, jobId: null, schedulerState: stopped ? 'TIMEOUT' : null, expectedStart: null, submittedAt: start, startedAt: start, endedAt: start + ms, exitCode: stopped ? null : 0, signal: null, reason: stopped ? 'reached its time limit' : null, values: null });
    store.transition({ runId: run, task: idx, from: 'waiting', to: stopped ? 'failed' : 'succeeded', at: start + ms });
  });
  store.setRunState(run, timedOut.length > 0 ? 'failed' : 'succeeded', Date.now());
  store.releaseRun(run, store.getRun(run)!.owner!);
  return run;
}
