import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { WorkflowError } from '../model/errors.ts';
import { loadWorkflow } from '../model/load.ts';
import { findAttempt, resolveRun, RunNotFoundError, taskStatuses, countStates, isDriven } from '../scheduler/control.ts';
import type { Store } from '../store/store.ts';
import { isMethod, parseArgs } from './contract.ts';
import type { MethodArgs, MethodName, Result } from './contract.ts';

/** The contract implemented over a store. Every host (web mode, Electron, the CLI) calls `call`. */
export class FlotillaService {
  private readonly store: Store;

  constructor(store: Store) {
    this.store = store;
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
