import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { WorkflowError } from '../model/errors.ts';
import { loadWorkflow } from '../model/load.ts';
import { SelectionError } from '../model/select.ts';
import { RunBusyError } from '../scheduler/runner.ts';
import { findAttempt, resolveRun, RunNotFoundError, taskStatuses, countStates, isDriven } from '../scheduler/control.ts';
import { selectTasks } from '../model/select.ts';
import { Runner } from '../scheduler/runner.ts';
import type { RunnerEvent } from '../scheduler/runner.ts';
import { createRun, newRunId } from '../scheduler/runs.ts';
import { TERMINAL_STATES } from '../scheduler/states.ts';
import type { RunState, Store } from '../store/store.ts';
import type { TargetContext } from '../targets/create.ts';
import { isMethod, parseArgs } from './contract.ts';
import type { MethodArgs, MethodName, Result } from './contract.ts';

export interface ServiceOptions {
  /** How runs reach remote targets (without it, a run with one fails to start). */
  remote?: TargetContext['remote'];
  /** How often driven runs look for requests from other processes. */
  requestPollMs?: number;
}

/**
 * The contract implemented over a store. Every host (web mode, Electron, the CLI) calls
 * `call`; runs started or resumed here are driven in this process, and their events go to
 * every `onEvent` listener.
 */
export class FlotillaService {
  private readonly store: Store;
  private readonly options: ServiceOptions;
  private readonly listeners = new Set<(event: RunnerEvent) => void>();
  private readonly driving = new Map<string, Promise<RunState>>();

  constructor(store: Store, options: ServiceOptions = {}) {
    this.store = store;
    this.options = options;
  }

  /** Hears every event of the runs this process drives; returns the unsubscribe. */
  onEvent(listener: (event: RunnerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves when every run this process drives has stopped (for shutdown and tests). */
  async idle(): Promise<void> {
    while (this.driving.size > 0) await Promise.allSettled([...this.driving.values()]);
  }

  /** Drives a run here unless another live process does; requests reach whichever drives it. */
  private drive(runId: string): void {
    if (this.driving.has(runId) || isDriven(this.store.getRun(runId)!)) return;
    const runner = new Runner(this.store, runId, {
      ...(this.options.remote ? { remote: this.options.remote } : {}),
      requestPollMs: this.options.requestPollMs ?? 200,
      onEvent: (event) => {
        for (const listener of this.listeners) listener(event);
      },
    });
    const done = runner.drive().finally(() => this.driving.delete(runId));
    this.driving.set(runId, done);
    done.catch(() => {});
  }

  /** One call by name with unchecked arguments (as they come off a socket or an IPC channel). */
  async call(method: unknown, args: unknown): Promise<Result<unknown>> {
    if (!isMethod(method)) return { ok: false, error: { code: 'unknown-method', message: `unknown method ${JSON.stringify(method)}` } };
    const parsed = parseArgs(method, args);
    if (!parsed.ok) return parsed;
    try {
      return { ok: true, value: await this.handlers[method](parsed.value as never) };
    } catch (error) {
      if (error instanceof WorkflowError) return { ok: false, error: { code: 'invalid-workflow', message: error.message, issues: error.issues.map((issue) => ({ file: issue.file, line: issue.line, column: issue.col, message: issue.message })) } };
      if (error instanceof RunNotFoundError) return { ok: false, error: { code: 'no-such-run', message: error.message } };
      if (error instanceof SelectionError) return { ok: false, error: { code: 'bad-selection', message: error.message } };
      if (error instanceof RunBusyError) return { ok: false, error: { code: 'run-busy', message: error.message } };
      if ((error as { code?: string }).code === 'no-such-task') return { ok: false, error: { code: 'no-such-task', message: (error as Error).message } };
      return { ok: false, error: { code: 'internal', message: (error as Error).message } };
    }
  }

  private readonly handlers: { [M in MethodName]: (args: MethodArgs<M>) => unknown } = {
    'workflows.validate': (args) => {
      const plan = loadWorkflow(args.file, { ...(args.params ? { params: args.params } : {}) });
      return { name: plan.name, tasks: plan.tasks.length, edges: plan.tasks.reduce((sum, task) => sum + task.after.length, 0), targets: Object.keys(plan.targets) };
    },
    'runs.list': (args) => this.store.listRuns(args.limit ?? 50).map((run) => ({ id: run.id, name: run.name, file: run.file, state: run.state === 'running' && !isDriven(run) ? 'interrupted' : run.state, createdAt: run.createdAt, endedAt: run.endedAt })),
    'runs.status': (args) => {
      const run = resolveRun(this.store, args.run);
      const tasks = taskStatuses(this.store, run.id);
      return { run: { id: run.id, name: run.name, file: run.file, state: run.state, createdAt: run.createdAt, endedAt: run.endedAt }, counts: countStates(tasks), clusters: this.store.clusterStatuses(run.id), tasks };
    },
    'runs.start': (args) => {
      const runId = newRunId();
      const loaded = loadWorkflow(args.file, { runId, ...(args.params ? { params: args.params } : {}) });
      const plan = selectTasks(loaded, { only: args.only ?? [], upstream: args.upstream, downstream: args.downstream });
      createRun(this.store, plan, { maxParallel: args.maxParallel, fresh: args.fresh === true }, runId);
      this.drive(runId);
      return { run: runId, tasks: plan.tasks.length };
    },
    'runs.cancel': (args) => {
      const run = resolveRun(this.store, args.run);
      if (args.task !== undefined && !this.store.findTask(run.id, args.task)) throw Object.assign(new Error(`run ${run.id} has no task '${args.task}'`), { code: 'no-such-task' });
      if (this.store.taskStates(run.id).every((task) => TERMINAL_STATES.has(task.state))) return { run: run.id, ended: true };
      this.store.addRequest(run.id, 'cancel', args.task === undefined ? {} : { task: args.task }, Date.now());
      this.drive(run.id);
      return { run: run.id, ended: false };
    },
    'runs.resume': (args) => {
      const run = resolveRun(this.store, args.run);
      this.drive(run.id);
      return { run: run.id };
    },
    'runs.resubmit': (args) => {
      const run = resolveRun(this.store, args.run);
      const statuses = this.store.taskStates(run.id);
      const known = new Set(statuses.map((task) => task.id));
      for (const id of args.tasks ?? []) if (!known.has(id)) throw Object.assign(new Error(`run ${run.id} has no task '${id}'`), { code: 'no-such-task' });
      const tasks = args.failed ? statuses.filter((task) => task.state === 'failed' || task.state === 'cancelled').map((task) => task.id) : args.tasks!;
      if (tasks.length > 0) {
        this.store.addRequest(run.id, 'resubmit', { tasks, downstream: args.downstream === true }, Date.now());
        this.drive(run.id);
      }
      return { run: run.id, tasks };
    },
    'tasks.attempts': (args) => {
      const run = resolveRun(this.store, args.run);
      const task = this.store.findTask(run.id, args.task);
      if (!task) throw Object.assign(new Error(`run ${run.id} has no task '${args.task}'`), { code: 'no-such-task' });
      return this.store.attempts(run.id, task.idx);
    },
    'tasks.logs': (args) => {
      const run = resolveRun(this.store, args.run);
      const attempt = findAttempt(this.store, run.id, args.task, args.attempt);
      const file = args.stream === 'stdout' ? attempt.stdout : attempt.stderr;
      const offset = args.offset ?? 0;
      let size = 0;
      try {
        size = statSync(file).size;
      } catch {
        return { text: '', offset, size: 0 };
      }
      const length = Math.max(0, Math.min(size - offset, args.limit ?? 1024 * 1024));
      const buffer = Buffer.alloc(length);
      const fd = openSync(file, 'r');
      try {
        readSync(fd, buffer, 0, length, offset);
      } finally {
        closeSync(fd);
      }
      return { text: buffer.toString('utf8'), offset: offset + length, size };
    },
  };
}
