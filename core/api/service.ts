import { randomUUID } from 'node:crypto';
import { CodedError, WorkflowError } from '../model/errors.ts';
import { loadPlan } from '../model/plan-cache.ts';
import type { PlanCache } from '../model/plan-cache.ts';
import { selectTasks } from '../model/select.ts';
import { countStates, failedTasks, findAttempt, isDriven, rerunsOf, resolveRun, taskStatuses } from '../scheduler/control.ts';
import { reloadSpecs } from '../scheduler/reload.ts';
import { Runner, RunBusyError } from '../scheduler/runner.ts';
import { newRunId } from '../model/run-id.ts';
import { createRun, refuseIfLeftRunning, refuseIfRunning } from '../scheduler/runs.ts';
import { TERMINAL_STATES } from '../model/task-states.ts';
import type { TaskSpec } from '../model/types.ts';
import { SshError } from '../ssh/errors.ts';
import type { RunRecord, RunState, Store, TaskRecord } from '../store/store.ts';
import type { TargetContext } from '../targets/create.ts';
import { openTaskTerminal } from '../terminals/task.ts';
import type { TerminalSession } from '../terminals/terminals.ts';
import { readFrom } from '../util/files.ts';
import type { MethodArgs, MethodName, MethodResult } from './contract.ts';
import { adviseOn, Forecaster } from './forecast.ts';
import { fileHandlers } from './files.ts';
import { historyHandlers } from './history.ts';
import { Notifier } from './notifier.ts';
import { reattachHandlers } from './reattach.ts';
import { LogFollower, readRemoteLog, remoteLogPlace, wholeCharacters } from './follow.ts';
import type { PromptBroker } from './prompts.ts';
import type { Result, RunHeader, ServiceEvent, ShownRunState } from './types.ts';
import { toIssues, workflowHandlers } from './workflows.ts';
import { clusterHandlers } from './clusters.ts';

export type { ServiceEvent } from './types.ts';

type Handlers = { [M in MethodName]: (args: MethodArgs<M>, context: CallContext) => MethodResult<M> | Promise<MethodResult<M>> };

/** Who calls: hosts name each connection (a socket, a window) so what it follows ends with it. */
export interface CallContext {
  session: string;
}

/** How long an opened terminal waits for its host to attach a channel. */
const TERMINAL_ATTACH_MS = 30_000;

export interface ServiceOptions {
  /** How runs reach remote targets (without it, a run with one fails to start). */
  remote?: TargetContext['remote'];
  /** How often driven runs look for requests from other processes. */
  requestPollMs?: number;
  /** Where SSH questions go (and from where `prompts.answer` answers them). */
  prompts?: PromptBroker;
  /** Where plans are kept between runs of the same file (the CLI's bundle: see plan-cache.ts). */
  planCache?: PlanCache;
  /** Runs driven here make no events (nobody shows them: `flotilla run --quiet`). */
  quiet?: boolean;
  /** How long a return's summary waits for tasks to stop ending (notifier.ts; tests make it short). */
  awayQuietMs?: number;
}

/** What a drive here is given beyond the run: what its caller already holds or asked for. */
interface DriveOptions {
  /** The run's task specs in order (it was just created from them: they are not read back). */
  specs?: readonly TaskSpec[];
  explain?: boolean;
  /** Called once the drive has ended, however it ended. */
  ended?: () => void;
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
  private readonly driving = new Map<string, { runner: Runner; done: Promise<RunState> }>();
  /** The last drive of each run this process drove, kept once it ended (`driven`). */
  private readonly drove = new Map<string, Promise<RunState>>();
  private readonly terminals = new Map<string, { session: TerminalSession; timer: NodeJS.Timeout }>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly follower: LogFollower;
  private readonly handlers: Handlers;
  private readonly forecaster: Forecaster;
  private readonly notifier: Notifier;

  constructor(store: Store, options: ServiceOptions = {}) {
    this.store = store;
    this.options = options;
    this.forecaster = new Forecaster(store);
    this.notifier = new Notifier(store, (notice) => this.emit(notice), options.awayQuietMs);
    this.handlers = this.handlersOf();
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
    if (event.type !== 'notice') this.notifier.hear(event);
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
    this.notifier.dispose();
    for (const off of this.unsubscribe.splice(0)) off();
    for (const id of [...this.terminals.keys()]) this.attachTerminal(id)?.kill();
  }

  /** Resolves when every run this process drives has stopped (for shutdown and tests). */
  async idle(): Promise<void> {
    while (this.driving.size > 0) await Promise.allSettled([...this.driving.values()].map((drive) => drive.done));
  }

  /**
   * The drive of a run this process drives (or drove last): it settles with the run's state when
   * the drive ends, or rejects with what stopped it; undefined when this process never drove it.
   */
  driven(runId: string): Promise<RunState> | undefined {
    return this.driving.get(runId)?.done ?? this.drove.get(runId);
  }

  /**
   * Waits until the process that drives a run has taken every request made of it (`runs.cancel`,
   * `runs.resubmit`); false when it has not within `timeoutMs` (the requests stay queued).
   */
  async requestsTaken(runId: string, timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (this.store.openRequests(runId).length > 0) {
      if (Date.now() > until) return false;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return true;
  }

  /** Drives a run here unless another live process does; requests reach whichever drives it. */
  private drive(runId: string, options: DriveOptions = {}): void {
    const current = this.driving.get(runId);
    // Driven here already: what was just asked of it is taken now, not at its next look.
    if (current) return current.runner.takeRequests();
    const run = this.store.getRun(runId)!;
    if (isDriven(run)) return;
    const runner = new Runner(this.store, runId, {
      ...(this.options.remote ? { remote: this.options.remote } : {}),
      // As the run was started (`--max-parallel`), however it is driven now.
      ...(run.options.maxParallel === undefined ? {} : { maxParallel: run.options.maxParallel }),
      requestPollMs: this.options.requestPollMs ?? 200,
      ...(options.specs ? { specs: options.specs } : {}),
      ...(options.explain ? { explain: true } : {}),
      ...(this.options.quiet ? {} : { onEvent: (event) => this.emit(event) }),
    });
    const done = runner.drive().finally(() => {
      this.driving.delete(runId);
      options.ended?.();
    });
    this.driving.set(runId, { runner, done });
    this.drove.set(runId, done);
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

  /**
   * Refuses a request that would have to be driven here but cannot be, before it is made (it
   * would wait for whoever drives the run next): another run of the workflow in its folder is live.
   */
  private refuseUndrivable(run: RunRecord): void {
    if (this.driving.has(run.id) || isDriven(run)) return;
    refuseIfRunning(this.store, run.file, run.root, run.id);
    refuseIfLeftRunning(this.store, run.file, run.root, run.id);
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

  /** A run as status views head it. */
  private header(run: RunRecord): RunHeader {
    const state = this.shownState(run);
    return { id: run.id, name: run.name, file: run.file, state, createdAt: run.createdAt, endedAt: run.endedAt, stopped: state === 'interrupted' ? this.store.history.stoppedOn(run.id) : null, params: run.plan.params, provenance: run.provenance };
  }

  /**
   * A call from this process, typed by the contract: the compiler has checked its arguments,
   * so the schemas (and zod, ~40 ms to load) stay out of a command that needs nothing else.
   */
  invoke<M extends MethodName>(method: M, args: MethodArgs<M>, context: CallContext = { session: 'default' }): Promise<Result<MethodResult<M>>> {
    return this.answer(method, args, context) as Promise<Result<MethodResult<M>>>;
  }

  /**
   * `invoke` for a host in this process that handles errors itself (the CLI): the answer, or
   * the error as thrown (a workflow's problems, a full disk, a damaged store keep their kind).
   */
  async perform<M extends MethodName>(method: M, args: MethodArgs<M>, context: CallContext = { session: 'default' }): Promise<MethodResult<M>> {
    return await (this.handlers[method] as (args: MethodArgs<M>, context: CallContext) => MethodResult<M> | Promise<MethodResult<M>>)(args, context);
  }

  /** One call by name with unchecked arguments (as they come off a socket or an IPC channel): checked against the contract first. */
  async call(method: unknown, args: unknown, context: CallContext = { session: 'default' }): Promise<Result<unknown>> {
    const { isMethod, parseArgs } = await import('./contract.ts');
    if (!isMethod(method)) return { ok: false, error: { code: 'unknown-method', message: `unknown method ${JSON.stringify(method)}` } };
    const parsed = parseArgs(method, args);
    if (!parsed.ok) return parsed;
    return this.answer(method, parsed.value, context);
  }

  private async answer(method: MethodName, args: unknown, context: CallContext): Promise<Result<unknown>> {
    try {
      return { ok: true, value: await this.handlers[method](args as never, context) };
    } catch (error) {
      // Each coded error keeps its code (core/model/errors.ts lists them); an SSH failure is
      // a cluster that cannot be reached, whatever its own code.
      if (error instanceof WorkflowError) return { ok: false, error: { code: error.code, message: error.message, issues: toIssues(error) } };
      if (error instanceof CodedError) return { ok: false, error: { code: error.code, message: error.message } };
      if (error instanceof SshError) return { ok: false, error: { code: 'unreachable', message: error.message } };
      return { ok: false, error: { code: 'internal', message: (error as Error).message } };
    }
  }

  /** Each method's implementation (built once the store is set). */
  private handlersOf(): Handlers {
    return {
      ...workflowHandlers(this.store),
      ...fileHandlers(this.store, (run) => this.shownState(run)),
      ...historyHandlers(this.store, (run) => this.header(run), this.forecaster),
      ...reattachHandlers(this.store, (runId) => this.drive(runId), this.notifier),
      'runs.status': (args) => {
        const run = resolveRun(this.store, args.run);
        const tasks = taskStatuses(this.store, run.id);
        return { run: this.header(run), counts: countStates(tasks), clusters: this.store.history.clusterStatuses(run.id), tasks };
      },
      'runs.start': (args) => {
        const runId = newRunId();
        const loaded = loadPlan(args.file, { runId, ...(args.params ? { params: args.params } : {}), ...(args.workdir ? { workdir: args.workdir } : {}) }, this.options.planCache);
        const plan = selectTasks(loaded.plan, { only: args.only ?? [], upstream: args.upstream, downstream: args.downstream });
        const advice = adviseOn(this.store, plan);
        createRun(this.store, plan, { maxParallel: args.maxParallel, fresh: args.fresh === true }, runId);
        // The plan is kept for the next run of the file once this run no longer waits for it.
        this.drive(runId, { specs: plan.tasks, explain: args.explain === true, ended: () => loaded.save() });
        return { run: runId, name: plan.name, tasks: plan.tasks.length, advice };
      },
      'runs.cancel': (args) => {
        const run = resolveRun(this.store, args.run);
        if (args.task !== undefined) this.task(run.id, args.task);
        if (this.store.taskStates(run.id).every((task) => TERMINAL_STATES.has(task.state))) return { run: run.id, ended: true };
        this.refuseUndrivable(run);
        this.store.addRequest(run.id, 'cancel', args.task === undefined ? {} : { task: args.task }, Date.now());
        this.drive(run.id);
        return { run: run.id, ended: false };
      },
      'runs.resume': (args) => {
        const run = resolveRun(this.store, args.run);
        const open = this.store.taskStates(run.id).filter((task) => !TERMINAL_STATES.has(task.state)).length;
        // Another live process drives it (or another run of it, in its folder): nothing is resumed.
        if (open > 0 && !this.driving.has(run.id) && isDriven(run)) throw new RunBusyError(run.id, run.owner!);
        if (open > 0) {
          this.refuseUndrivable(run);
          this.drive(run.id);
        }
        return { run: run.id, open };
      },
      'runs.resubmit': (args) => {
        if ((args.tasks !== undefined) === (args.failed === true)) throw new CodedError('bad-arguments', 'runs.resubmit: give either tasks or failed: true');
        const run = resolveRun(this.store, args.run);
        for (const id of args.tasks ?? []) this.task(run.id, id);
        const tasks = args.failed ? failedTasks(this.store, run.id) : args.tasks!;
        const { reruns, discards } = rerunsOf(this.store, run.id, tasks, args.downstream === true);
        if (args.preview) return { run: run.id, tasks, reruns, discards, updated: [] };
        // Refused before anything changes (the specs a reload takes included).
        if (tasks.length > 0) this.refuseUndrivable(run);
        const updated = args.reload ? reloadSpecs(this.store, run, reruns) : [];
        if (tasks.length > 0) {
          this.store.addRequest(run.id, 'resubmit', { tasks, downstream: args.downstream === true }, Date.now());
          this.drive(run.id);
        }
        return { run: run.id, tasks, reruns, discards, updated };
      },
      'tasks.attempts': (args) => {
        const run = resolveRun(this.store, args.run);
        const task = this.task(run.id, args.task);
        return this.store.attempts(run.id, task.idx);
      },
      'tasks.values': (args) => {
        const run = resolveRun(this.store, args.run);
        const task = this.task(run.id, args.task);
        return this.store.publishedBy(run.id, task.idx, task.hash) ?? null;
      },
      'tasks.logs': async (args) => {
        const run = resolveRun(this.store, args.run);
        const task = this.task(run.id, args.task);
        const attempt = findAttempt(this.store, run.id, args.task, args.attempt);
        const offset = args.offset ?? 0;
        const limit = args.limit ?? 1024 * 1024;
        const ended = attempt.state !== 'submitted' && attempt.state !== 'running';
        // A cluster attempt that runs writes its logs on its host; once it ended they were copied here.
        const place = attempt.state === 'running' ? remoteLogPlace(this.store, run.id, task.idx, attempt, args.stream) : null;
        const base64 = args.encoding === 'base64';
        if (place) {
          const clusters = this.options.remote?.clusters;
          if (!clusters) throw new CodedError('unreachable', `the ${args.stream} of this running attempt is on ${place.host}, which this process does not reach`);
          const connection = clusters.connection(place.host);
          if (connection.state !== 'online') await connection.connect(this.options.remote?.interactive === true);
          const bytes = await readRemoteLog(connection, place.file, offset, limit, !base64);
          return { attempt: attempt.n, ended, host: place.host, text: bytes.toString(base64 ? 'base64' : 'utf8'), offset: offset + bytes.length, size: null };
        }
        const chunk = readFrom(args.stream === 'stdout' ? attempt.stdout : attempt.stderr, offset, limit);
        if (!chunk) return { attempt: attempt.n, ended, host: null, text: '', offset, size: 0 };
        // As text, a character cut by the limit (or still being written) waits for the next read.
        const end = !base64 && (offset + chunk.bytes.length < chunk.size || !ended) ? wholeCharacters(chunk.bytes) : chunk.bytes.length;
        return { attempt: attempt.n, ended, host: null, text: chunk.bytes.subarray(0, end).toString(base64 ? 'base64' : 'utf8'), offset: offset + end, size: chunk.size };
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
          interactive: this.options.remote?.interactive === true,
          notice: (message) => notices.push(message),
        });
        const id = randomUUID();
        this.terminals.set(id, { session, timer: setTimeout(() => this.attachTerminal(id)?.kill(), TERMINAL_ATTACH_MS) });
        return { terminal: id, notices };
      },
      ...clusterHandlers(this.store, this.options.remote),
      'prompts.list': () => this.options.prompts?.pending() ?? [],
      'prompts.answer': (args) => ({ answered: this.options.prompts?.answer(args.id, args.answer) ?? false }),
    };
  }
}
