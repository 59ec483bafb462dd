import { randomUUID } from 'node:crypto';
import { mkdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { readTextFile } from '../util/files.ts';
import path from 'node:path';
import { mergeIntoText, textVersion } from '../model/document.ts';
import { CodedError, WorkflowError } from '../model/errors.ts';
import { loadWorkflow } from '../model/load.ts';
import { selectTasks } from '../model/select.ts';
import { MAX_WORKFLOW_BYTES, parseText } from '../model/source.ts';
import { countStates, failedTasks, findAttempt, isDriven, reloadSpecs, rerunsOf, resolveRun, taskStatuses } from '../scheduler/control.ts';
import { Runner } from '../scheduler/runner.ts';
import { createRun, newRunId } from '../scheduler/runs.ts';
import { TERMINAL_STATES } from '../model/task-states.ts';
import { SshError } from '../ssh/connection.ts';
import type { RunRecord, RunState, Store, TaskRecord } from '../store/store.ts';
import type { TargetContext } from '../targets/create.ts';
import { openTaskTerminal } from '../terminals/task.ts';
import type { TerminalSession } from '../terminals/terminals.ts';
import { readFrom } from '../util/files.ts';
import { isMethod, parseArgs } from './contract.ts';
import type { MethodArgs, MethodName, MethodResult } from './contract.ts';
import { LogFollower } from './follow.ts';
import type { PromptBroker } from './prompts.ts';
import type { Result, ServiceEvent, ShownRunState, WorkflowIssue } from './types.ts';

export type { ServiceEvent } from './types.ts';

/** Who calls: hosts name each connection (a socket, a window) so what it follows ends with it. */
export interface CallContext {
  session: string;
}

/** Files shown under "recent". */
const RECENT_FILES = 12;
/** How long an opened terminal waits for its host to attach a channel. */
const TERMINAL_ATTACH_MS = 30_000;

export interface ServiceOptions {
  /** How runs reach remote targets (without it, a run with one fails to start). */
  remote?: TargetContext['remote'];
  /** How often driven runs look for requests from other processes. */
  requestPollMs?: number;
  /** Where SSH questions go (and from where `prompts.answer` answers them). */
  prompts?: PromptBroker;
}

/**
 * The contract implemented over a store. Every host (web mode, Electron, the CLI) calls
 * `call`; runs started or resumed here are driven in this process, and their events go to
 * every `onEvent` listener.
 */
export class FlotillaService {
  private readonly store: Store;
  private readonly options: ServiceOptions;
  private readonly listeners = new Set<(event: ServiceEvent) => void>();
  private readonly driving = new Map<string, Promise<RunState>>();
  private readonly terminals = new Map<string, { session: TerminalSession; timer: NodeJS.Timeout }>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly follower: LogFollower;

  constructor(store: Store, options: ServiceOptions = {}) {
    this.store = store;
    this.options = options;
    this.follower = new LogFollower(store, (event) => this.emit(event), 250, options.remote?.clusters);
    const emit = (event: ServiceEvent) => this.emit(event);
    if (options.remote) this.unsubscribe.push(options.remote.clusters.watchAll((status) => emit({ type: 'cluster', status })));
    if (options.prompts) this.unsubscribe.push(options.prompts.onEvent(emit));
  }

  /** Hears every event of the runs this process drives, clusters and prompts; returns the unsubscribe. */
  onEvent(listener: (event: ServiceEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: ServiceEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  /**
   * Hands an opened terminal (`terminals.open`) to the host that carries its bytes; each
   * terminal is handed over once. Undefined for an unknown or already taken id.
   */
  attachTerminal(id: string): TerminalSession | undefined {
    const entry = this.terminals.get(id);
    if (!entry) return undefined;
    clearTimeout(entry.timer);
    this.terminals.delete(id);
    return entry.session;
  }

  /** A connection went away: what it followed stops. */
  endSession(session: string): void {
    this.follower.endSession(session);
  }

  /** Stops listening and hangs up terminals nobody attached (runs keep their own course: see `idle`). */
  close(): void {
    this.follower.close();
    for (const off of this.unsubscribe.splice(0)) off();
    for (const id of [...this.terminals.keys()]) this.attachTerminal(id)?.kill();
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
      onEvent: (event) => this.emit(event),
    });
    const done = runner.drive().finally(() => this.driving.delete(runId));
    this.driving.set(runId, done);
    // A drive that stops on an error (the store's disk, a bug) leaves the run interrupted:
    // the error is recorded on it (`runs.status` shows it) and told to every interface.
    done.catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      try {
        this.store.event({ runId, at: Date.now(), kind: 'stopped', detail: message });
      } catch {
        // The store itself failed: the event below still says why.
      }
      this.emit({ type: 'run-stopped', runId, message });
    });
  }

  /** A run's state as shown: one left running that no live process drives is interrupted. */
  private shownState(run: RunRecord): ShownRunState {
    return run.state === 'running' && !isDriven(run) && !this.driving.has(run.id) ? 'interrupted' : run.state;
  }

  /** A task of a run, or the contract's `no-such-task`. */
  private task(runId: string, id: string): TaskRecord {
    const task = this.store.findTask(runId, id);
    if (!task) throw new CodedError('no-such-task', `run ${runId} has no task '${id}'`);
    return task;
  }

  /** Puts a file first in the recent list. */
  private remember(file: string): void {
    const recent = (this.store.setting<{ file: string; at: number }[]>('recent') ?? []).filter((entry) => entry.file !== file);
    this.store.setSetting('recent', [{ file, at: Date.now() }, ...recent].slice(0, RECENT_FILES));
  }

  /** `call` for a caller in this process, typed by the contract (the arguments are still checked). */
  invoke<M extends MethodName>(method: M, args: MethodArgs<M>, context?: CallContext): Promise<Result<MethodResult<M>>> {
    return this.call(method, args, context) as Promise<Result<MethodResult<M>>>;
  }

  /** One call by name with unchecked arguments (as they come off a socket or an IPC channel). */
  async call(method: unknown, args: unknown, context: CallContext = { session: 'default' }): Promise<Result<unknown>> {
    if (!isMethod(method)) return { ok: false, error: { code: 'unknown-method', message: `unknown method ${JSON.stringify(method)}` } };
    const parsed = parseArgs(method, args);
    if (!parsed.ok) return parsed;
    try {
      return { ok: true, value: await this.handlers[method](parsed.value as never, context) };
    } catch (error) {
      // Each coded error keeps its code (core/model/errors.ts lists them); an SSH failure is
      // a cluster that cannot be reached, whatever its own code.
      if (error instanceof WorkflowError) return { ok: false, error: { code: error.code, message: error.message, issues: toIssues(error) } };
      if (error instanceof CodedError) return { ok: false, error: { code: error.code, message: error.message } };
      if (error instanceof SshError) return { ok: false, error: { code: 'unreachable', message: error.message } };
      return { ok: false, error: { code: 'internal', message: (error as Error).message } };
    }
  }

  private readonly handlers: { [M in MethodName]: (args: MethodArgs<M>, context: CallContext) => MethodResult<M> | Promise<MethodResult<M>> } = {
    'workflows.open': (args) => {
      const file = path.resolve(args.file);
      const text = readText(file);
      if (text === undefined) throw new CodedError('no-such-file', `${file}: no such file`);
      let value: unknown = null;
      try {
        // As a run reads it: aliases that stand for too much (or for themselves) are refused,
        // not expanded into the answer.
        value = parseText(file, text);
      } catch {
        // Unparsable: the issues say where; the editor shows the text only.
      }
      this.remember(file);
      return { file, text, version: textVersion(text), value: isRecord(value) ? value : null, issues: issuesOf(file, text), layout: this.store.setting(`layout:${file}`) ?? {} };
    },
    'workflows.save': (args) => {
      const file = path.resolve(args.file);
      const current = readText(file);
      if (args.version === null ? current !== undefined : current === undefined || textVersion(current) !== args.version) {
        throw new CodedError('conflict', current === undefined ? `${file} no longer exists: save it again as a new file` : `${file} changed on disk since it was opened: reopen it (or save under another name)`);
      }
      // Only a file that was read can be edited: one that does not parse is never written over
      // (its text would be lost for a value the editor made up).
      if (current !== undefined && current.trim() !== '' && !parsesAsDocument(file, current)) {
        throw new CodedError('unparsable', `${file} cannot be read as a workflow (see its problems): fix it in a text editor; Flotilla does not write over a file it could not read`);
      }
      const text = mergeIntoText(file, current ?? '', args.value);
      const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
      if (current === undefined) {
        try {
          mkdirSync(path.dirname(file), { recursive: true });
        } catch (error) {
          throw new CodedError('cannot-save', `cannot create the folder ${path.dirname(file)} for ${path.basename(file)}: ${(error as Error).message}`);
        }
      }
      try {
        writeFileSync(temporary, text);
        renameSync(temporary, file);
      } catch (error) {
        try {
          unlinkSync(temporary);
        } catch {
          // Never written.
        }
        throw new CodedError('cannot-save', `cannot save ${file}: ${(error as Error).message}`);
      }
      if (args.layout) this.store.setSetting(`layout:${file}`, args.layout);
      this.remember(file);
      return { file, text, version: textVersion(text), issues: issuesOf(file, text) };
    },
    'workflows.check': (args) => {
      const file = path.resolve(args.file);
      return { issues: issuesOf(file, mergeIntoText(file, readText(file) ?? '', args.value)) };
    },
    'workflows.recent': () => this.store.setting<{ file: string; at: number }[]>('recent') ?? [],
    'workflows.validate': (args) => {
      const plan = loadWorkflow(args.file, { ...(args.params ? { params: args.params } : {}) });
      return { name: plan.name, tasks: plan.tasks.length, edges: plan.tasks.reduce((sum, task) => sum + task.after.length, 0), targets: Object.keys(plan.targets) };
    },
    'runs.list': (args) =>
      this.store.listRuns(args.limit ?? 50).map((run) => ({
        id: run.id,
        name: run.name,
        file: run.file,
        state: this.shownState(run),
        createdAt: run.createdAt,
        endedAt: run.endedAt,
        counts: { ...countStates([]), ...this.store.stateCounts(run.id) },
      })),
    'runs.graph': (args) => {
      const run = resolveRun(this.store, args.run);
      return {
        run: run.id,
        targets: run.plan.targets,
        tasks: this.store.loadTasks(run.id).map((task) => ({ id: task.id, path: task.spec.path, after: task.spec.after, target: task.spec.target, vars: task.spec.vars, ...(task.spec.description ? { description: task.spec.description } : {}) })),
      };
    },
    'runs.status': (args) => {
      const run = resolveRun(this.store, args.run);
      const tasks = taskStatuses(this.store, run.id);
      const state = this.shownState(run);
      const stopped = state === 'interrupted' ? this.store.stoppedOn(run.id) : null;
      return { run: { id: run.id, name: run.name, file: run.file, state, createdAt: run.createdAt, endedAt: run.endedAt, stopped }, counts: countStates(tasks), clusters: this.store.clusterStatuses(run.id), tasks };
    },
    'runs.attempts': (args) => {
      const run = resolveRun(this.store, args.run);
      const ids = this.store.taskStates(run.id).map((task) => task.id);
      return this.store.attempts(run.id).map((attempt) => ({ task: ids[attempt.taskIdx] ?? `#${attempt.taskIdx}`, n: attempt.n, state: attempt.state, target: attempt.target, host: attempt.host, jobId: attempt.jobId, submittedAt: attempt.submittedAt, startedAt: attempt.startedAt, endedAt: attempt.endedAt, exitCode: attempt.exitCode }));
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
      if (args.task !== undefined) this.task(run.id, args.task);
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
      for (const id of args.tasks ?? []) this.task(run.id, id);
      const tasks = args.failed ? failedTasks(this.store, run.id) : args.tasks!;
      const reruns = rerunsOf(this.store, run.id, tasks, args.downstream === true);
      if (args.preview) return { run: run.id, tasks, reruns, updated: [] };
      const updated = args.reload ? reloadSpecs(this.store, run, reruns) : [];
      if (tasks.length > 0) {
        this.store.addRequest(run.id, 'resubmit', { tasks, downstream: args.downstream === true }, Date.now());
        this.drive(run.id);
      }
      return { run: run.id, tasks, reruns, updated };
    },
    'tasks.attempts': (args) => {
      const run = resolveRun(this.store, args.run);
      const task = this.task(run.id, args.task);
      return this.store.attempts(run.id, task.idx);
    },
    'tasks.logs': (args) => {
      const run = resolveRun(this.store, args.run);
      const attempt = findAttempt(this.store, run.id, args.task, args.attempt);
      const offset = args.offset ?? 0;
      const chunk = readFrom(args.stream === 'stdout' ? attempt.stdout : attempt.stderr, offset, args.limit ?? 1024 * 1024);
      if (!chunk) return { text: '', offset, size: 0 };
      return { text: chunk.bytes.toString('utf8'), offset: offset + chunk.bytes.length, size: chunk.size };
    },
    'logs.follow': (args, context) => {
      const run = resolveRun(this.store, args.run);
      const task = this.task(run.id, args.task);
      const follow = randomUUID();
      this.follower.add({ id: follow, session: context.session, runId: run.id, taskId: task.id, taskIdx: task.idx, stream: args.stream, attempt: args.attempt });
      return { follow };
    },
    'logs.unfollow': (args, context) => ({ stopped: this.follower.remove(args.follow, context.session) }),
    'terminals.open': async (args) => {
      const run = resolveRun(this.store, args.run);
      const task = this.task(run.id, args.task);
      const notices: string[] = [];
      const session = await openTaskTerminal(run, task, {
        cols: args.cols,
        rows: args.rows,
        ...(this.options.remote ? { clusters: this.options.remote.clusters } : {}),
        interactive: this.options.prompts !== undefined,
        notice: (message) => notices.push(message),
      });
      const id = randomUUID();
      this.terminals.set(id, { session, timer: setTimeout(() => this.attachTerminal(id)?.kill(), TERMINAL_ATTACH_MS) });
      return { terminal: id, notices };
    },
    'clusters.list': () => {
      const clusters = this.options.remote?.clusters;
      if (!clusters) return [];
      // Hosts of recent runs are listed even before anything connects to them.
      for (const run of this.store.listRuns(20)) for (const target of Object.values(run.plan.targets)) if (target.type !== 'local') clusters.connection(target.host);
      return clusters.list();
    },
    'clusters.connect': async (args) => {
      const clusters = this.options.remote?.clusters;
      if (!clusters) throw new CodedError('unreachable', 'this process reaches no clusters');
      await clusters.connection(args.destination).connect(this.options.prompts !== undefined);
      return clusters.status(args.destination);
    },
    'clusters.queue': async (args) => {
      // Only a cluster already connected: asking about another one sets nothing up.
      const clusters = this.options.remote?.clusters;
      if (!clusters?.list().some((status) => status.destination === args.destination && status.state === 'online')) throw new CodedError('unreachable', `${args.destination} is not connected`);
      const connection = clusters.connection(args.destination);
      // The user's jobs now (squeue lists those not yet ended): by state, and the first ones
      // each with its id, state, reason and name; a host without SLURM says so rather than failing.
      const result = await connection.exec(`command -v squeue >/dev/null 2>&1 || { echo @no-slurm; exit 0; }; squeue -h -u "$(id -un)" -o '%i|%T|%r|%j'`);
      if (result.code !== 0) throw new CodedError('unreachable', `squeue on ${args.destination} failed: ${result.stderr.trim() || `exit ${result.code}`}`);
      const lines = result.stdout.split('\n').filter((line) => line.trim() !== '');
      if (lines[0]?.trim() === '@no-slurm') return { slurm: false, jobs: {}, list: [] };
      const jobs: Record<string, number> = {};
      const list: { id: string; state: string; reason: string; name: string }[] = [];
      for (const line of lines) {
        const [id = '', state = '', reason = '', ...name] = line.split('|');
        jobs[state.trim()] = (jobs[state.trim()] ?? 0) + 1;
        if (list.length < QUEUE_LIST) list.push({ id: id.trim(), state: state.trim(), reason: reason.trim(), name: name.join('|').trim() });
      }
      return { slurm: true, jobs, list };
    },
    'prompts.list': () => this.options.prompts?.pending() ?? [],
    'prompts.answer': (args) => ({ answered: this.options.prompts?.answer(args.id, args.answer) ?? false }),
  };
}

/** Jobs listed one by one in a cluster's queue (the counts cover all). */
const QUEUE_LIST = 200;

function readText(file: string): string | undefined {
  try {
    return readTextFile(file, MAX_WORKFLOW_BYTES);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CodedError('cannot-read', `cannot read ${file}: ${(error as Error).message}`);
  }
}

/** Whether a file's text parses to a mapping (what the editor can have read from it). */
function parsesAsDocument(file: string, text: string): boolean {
  try {
    return isRecord(parseText(file, text));
  } catch {
    return false; // its problems say why
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function toIssues(error: WorkflowError): WorkflowIssue[] {
  return error.issues.map((issue) => ({ file: issue.file, path: issue.path, ...(issue.line === undefined ? {} : { line: issue.line }), ...(issue.col === undefined ? {} : { column: issue.col }), message: issue.message }));
}

/** Every problem of a workflow's text (none: it would run). */
function issuesOf(file: string, text: string): WorkflowIssue[] {
  try {
    loadWorkflow(file, { text });
    return [];
  } catch (error) {
    if (error instanceof WorkflowError) return toIssues(error);
    throw error;
  }
}
