import path from 'node:path';
import { readFrom } from '../../util/files.ts';
import { loadWorkflow } from '../../model/load.ts';
import { loadPlan } from '../../model/plan-cache.ts';
import { selectTasks } from '../../model/select.ts';
import { loadYaml } from '../../model/source.ts';
import { failedTasks, findAttempt, isDriven, PlanChangedError, reloadSpecs, rerunsOf, resolveRun } from '../../scheduler/control.ts';
import { Runner } from '../../scheduler/runner.ts';
import type { RunnerEvent } from '../../scheduler/runner.ts';
import { createRun, newRunId } from '../../scheduler/runs.ts';
import { TASK_STATES, TERMINAL_STATES } from '../../model/task-states.ts';
import { flotillaHome } from '../../store/database.ts';
import { Store } from '../../store/store.ts';
import { bundleIdentity } from '../../util/bundle.ts';
import type { ClusterStatus } from '../../targets/remote/clusters.ts';
import type { RunState } from '../../store/store.ts';
import type { TaskSpec } from '../../model/types.ts';
import { EXIT_FAILED, EXIT_OK, UsageError } from './options.ts';
import type { CliOptions } from './options.ts';
import { formatDuration, Progress } from './progress.ts';
import { dryRun } from './dry-run.ts';
import { cliClusters, remoteHomes } from './remote.ts';
import { readRemoteLog, remoteLogPlace } from '../../api/follow.ts';
import { SshError } from '../../ssh/connection.ts';
import type { FlotillaService } from '../../api/service.ts';
import type { ask as Ask } from '../app-core.ts';

/**
 * Runs a command with the store open. The store is left open when the command ends: the
 * process ends right after it (see flotilla.cjs), and a close would first copy the store's
 * write-ahead log into the database file and sync both to disk, a wait at the end of every
 * command. What is committed is in the log; the next process to open the store reads it back
 * (as after a kill), and a run copies it into the database as it goes (`Store.checkpoint`).
 */
function withStore<T>(fn: (store: Store) => T): T {
  const store = Store.open();
  const result = fn(store);
  // (A log deleted under us is copied in before the process ends and takes it along.)
  if (result instanceof Promise) return result.finally(() => store.rescueLog()) as T;
  store.rescueLog();
  return result;
}

/**
 * Runs a command that asks the service and prints. (The service is loaded for such commands
 * only: `flotilla run` starts without paying for what it brings along.)
 */
async function withService<T>(fn: (service: FlotillaService, ask: typeof Ask) => Promise<T>): Promise<T> {
  const { ask, openCommandCore } = await import('../app-core.ts');
  const core = openCommandCore();
  try {
    return await fn(core.service, ask);
  } finally {
    core.finish();
  }
}

function needs(positionals: string[], count: number, what: string): void {
  if (positionals.length < count) throw new UsageError(`missing ${what}`);
}

function integer(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9]\d*$/.test(value)) throw new UsageError(`${flag} needs a whole number ≥ 1, not '${value}'`);
  return Number(value);
}

function params(values: CliOptions): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const entry of values.param ?? []) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new UsageError(`-p needs KEY=VALUE, not '${entry}'`);
    const text = entry.slice(eq + 1);
    let value: unknown = text;
    try {
      value = text === '' ? '' : loadYaml(text);
    } catch (error) {
      // `[1,2` is a list with a typo, not the string it spells: say so rather than guess.
      const reason = ((error as { reason?: string }).reason ?? (error as Error).message).split('\n')[0];
      throw new UsageError(`-p ${entry.slice(0, eq)}: the value ${JSON.stringify(text)} is not valid YAML (${reason}); quote it to pass it as text: -p ${entry.slice(0, eq)}="'${text.replaceAll("'", "''")}'"`);
    }
    result[entry.slice(0, eq)] = value;
  }
  return result;
}

export function validateCommand(positionals: string[], values: CliOptions): number {
  needs(positionals, 1, 'workflow FILE');
  const plan = loadWorkflow(positionals[0]!, { params: params(values), workdir: values.workdir });
  const edges = plan.tasks.reduce((sum, task) => sum + task.after.length, 0);
  const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  process.stdout.write(`${positionals[0]}: ok — ${plan.name}: ${count(plan.tasks.length, 'task', 'tasks')}, ${count(edges, 'dependency', 'dependencies')}, targets ${Object.keys(plan.targets).join(', ')}\n`);
  return EXIT_OK;
}

export async function runCommand(positionals: string[], values: CliOptions): Promise<number> {
  needs(positionals, 1, 'workflow FILE');
  const maxParallel = integer(values['max-parallel'], '--max-parallel');
  const runId = newRunId();
  // The bundle keeps plans between runs (see plan-cache.ts); the sources may change under it.
  const bundle = bundleIdentity();
  const cache = bundle ? { dir: path.join(flotillaHome(), 'plans'), code: bundle } : undefined;
  const loaded = loadPlan(positionals[0]!, { runId, params: params(values), workdir: values.workdir }, cache);
  const plan = selectTasks(loaded.plan, { only: values.only ?? [], upstream: values.upstream, downstream: values.downstream });
  if (values['dry-run']) {
    process.stdout.write(dryRun(plan, runId, await remoteHomes(plan)));
    return EXIT_OK;
  }
  return withStore(async (store) => {
    createRun(store, plan, { maxParallel, fresh: values.fresh === true }, runId);
    const code = await drive(store, runId, values, plan.tasks);
    // Kept for the next run of the file, now that it no longer holds this one up.
    loaded.save();
    return code;
  });
}

export async function resumeCommand(positionals: string[], values: CliOptions): Promise<number> {
  needs(positionals, 1, 'RUN');
  return withStore(async (store) => {
    const run = resolveRun(store, positionals[0]);
    const open = store.taskStates(run.id).filter((task) => !TERMINAL_STATES.has(task.state)).length;
    if (open === 0) {
      process.stdout.write(`run ${run.id} has nothing left to do (${run.state}); use 'flotilla resubmit' to run tasks again\n`);
      return run.state === 'succeeded' ? EXIT_OK : EXIT_FAILED;
    }
    return await drive(store, run.id, values);
  });
}

export async function resubmitCommand(positionals: string[], values: CliOptions): Promise<number> {
  needs(positionals, 1, 'RUN');
  return withStore(async (store) => {
    const run = resolveRun(store, positionals[0]);
    const statuses = store.taskStates(run.id);
    const named = positionals.slice(1);
    if (values.failed === (named.length > 0)) throw new UsageError('resubmit needs either --failed or task ids, not both');
    const known = new Set(statuses.map((task) => task.id));
    for (const id of named) if (!known.has(id)) throw new UsageError(`run ${run.id} has no task '${id}'`);
    const tasks = values.failed ? failedTasks(store, run.id) : named;
    if (tasks.length === 0) {
      process.stdout.write(`run ${run.id} has no failed tasks\n`);
      return EXIT_OK;
    }
    if (values.reload) {
      // The commands (and the rest of each task but its dependencies) of the file as it is now.
      let updated: string[];
      try {
        updated = reloadSpecs(store, run, rerunsOf(store, run.id, tasks, values.downstream === true));
      } catch (error) {
        if (error instanceof PlanChangedError) throw new UsageError(error.message);
        throw error;
      }
      if (updated.length > 0) process.stdout.write(`taking the changed spec of ${updated.join(', ')} from ${run.file}\n`);
    }
    store.addRequest(run.id, 'resubmit', { tasks, downstream: values.downstream === true }, Date.now());
    process.stdout.write(`resubmitting ${tasks.length} task${tasks.length === 1 ? '' : 's'} of run ${run.id}${values.downstream ? ' with downstream' : ''}\n`);
    if (isDriven(run)) return await waitForRequests(store, run.id);
    return await drive(store, run.id, values);
  });
}

export async function cancelCommand(positionals: string[], values: CliOptions): Promise<number> {
  needs(positionals, 1, 'RUN');
  return withStore(async (store) => {
    const run = resolveRun(store, positionals[0]);
    const task = positionals[1];
    if (task !== undefined && !store.findTask(run.id, task)) throw new UsageError(`run ${run.id} has no task '${task}'`);
    if (store.taskStates(run.id).every((t) => TERMINAL_STATES.has(t.state))) {
      process.stdout.write(`run ${run.id} already ended (${run.state})\n`);
      return EXIT_OK;
    }
    store.addRequest(run.id, 'cancel', task === undefined ? {} : { task }, Date.now());
    if (isDriven(run)) {
      await waitForRequests(store, run.id);
    } else {
      await drive(store, run.id, { ...values, quiet: true });
    }
    process.stdout.write(`cancelled ${task === undefined ? `run ${run.id}` : `task ${task} of run ${run.id}`}\n`);
    return EXIT_OK;
  });
}

/** Waits until the process driving the run has taken our requests. */
async function waitForRequests(store: Store, runId: string): Promise<number> {
  for (let waited = 0; store.openRequests(runId).length > 0; waited += 100) {
    if (waited > 30_000) {
      process.stderr.write(`flotilla: the process driving run ${runId} has not answered in 30 s; the request stays queued\n`);
      return EXIT_FAILED;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  process.stdout.write(`the process driving run ${runId} took the request\n`);
  return EXIT_OK;
}

/** Drives a run in this process with a progress view; Ctrl-C cancels, twice exits. */
async function drive(store: Store, runId: string, values: Pick<CliOptions, 'quiet' | 'explain'>, specs?: readonly TaskSpec[]): Promise<number> {
  const run = store.getRun(runId)!;
  const progress = new Progress({ write: (text) => process.stderr.write(text), isTTY: process.stderr.isTTY === true, columns: process.stderr.columns }, values.quiet === true);
  const remote = Object.values(run.plan.targets).some((target) => target.type !== 'local') ? cliClusters() : undefined;
  const runner = new Runner(store, runId, {
    maxParallel: run.options.maxParallel,
    explain: values.explain === true,
    ...(specs ? { specs } : {}),
    // Quiet, nothing of the run's events is shown: the runner need not make them.
    ...(values.quiet ? {} : { onEvent: (event: RunnerEvent) => progress.onEvent(event) }),
    ...(remote
      ? {
          remote: {
            clusters: remote.clusters,
            interactive: remote.interactive,
            onCluster: (status) => progress.note(describeCluster(status)),
            onTransfer: (taskId, _n, transfer) => {
              if (transfer.files === transfer.totalFiles && transfer.totalFiles > 0) progress.note(`${taskId}: ${transfer.direction === 'up' ? 'staged up' : 'fetched'} ${transfer.files} file(s), ${formatBytes(transfer.bytes)}${transfer.skipped ? ` (${transfer.skipped} unchanged)` : ''}`);
            },
          },
        }
      : {}),
  });
  let interrupts = 0;
  const onInterrupt = () => {
    if (++interrupts > 1) process.exit(130);
    progress.note('cancelling: stopping running tasks (Ctrl-C again to leave them running and exit)');
    runner.cancelRun();
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  const started = Date.now();
  progress.begin(runId, run.name, values.quiet ? [] : store.taskStates(runId));
  let state: RunState;
  try {
    state = await runner.drive();
  } finally {
    remote?.clusters.close();
    progress.end();
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
  }
  printOutcome(store, runId, state, Date.now() - started);
  return state === 'succeeded' ? EXIT_OK : EXIT_FAILED;
}

function describeCluster(status: ClusterStatus): string {
  const seen = status.lastSeen ? `; last seen ${new Date(status.lastSeen).toLocaleTimeString()}` : '';
  return `cluster ${status.destination} ${status.state}${status.detail ? `: ${status.detail}` : ''}${status.state === 'online' ? '' : seen}`;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

/** Failed tasks a run's summary names one by one; `status` lists every one. */
const LISTED_FAILURES = 20;

function printOutcome(store: Store, runId: string, state: RunState, elapsed: number): void {
  // Counted in the store, and only the failed tasks named are read: reading every task is for `status`.
  const counts = store.stateCounts(runId);
  const parts = TASK_STATES.filter((s) => (counts[s] ?? 0) > 0).map((s) => `${counts[s]} ${s}`);
  process.stdout.write(`run ${runId} ${state} in ${formatDuration(elapsed)}: ${parts.join(', ')}\n`);
  const failed = counts.failed ?? 0;
  if (failed === 0) return;
  for (const task of store.tasksIn(runId, 'failed', LISTED_FAILURES)) {
    const said = lastErrorLine(store, runId, task.id);
    process.stdout.write(`  failed ${task.id}: ${task.reason ?? ''}${said ? ` — stderr: ${said}` : ''} — flotilla logs ${runId} '${task.id}'\n`);
  }
  if (failed > LISTED_FAILURES) process.stdout.write(`  … and ${failed - LISTED_FAILURES} more failed tasks (flotilla status ${runId} lists them all)\n`);
  process.stdout.write(`  fix and rerun with: flotilla resubmit ${runId} --failed\n`);
}

/**
 * The last line a failed task wrote to stderr (its latest attempt), for the summary: at most
 * 200 characters, control characters shown as `?` (a task's output may hold terminal escapes).
 */
function lastErrorLine(store: Store, runId: string, taskId: string): string | undefined {
  let file: string;
  try {
    file = findAttempt(store, runId, taskId).stderr;
  } catch {
    return undefined;
  }
  const size = readFrom(file, 0, 0)?.size ?? 0;
  const tail = readFrom(file, Math.max(0, size - 4096));
  const line = tail?.bytes.toString('utf8').split('\n').map((text) => text.trim()).filter(Boolean).at(-1);
  return line === undefined ? undefined : line.replace(/[\x00-\x1f\x7f]/g, '?').slice(0, 200);
}

export async function statusCommand(positionals: string[], values: CliOptions): Promise<number> {
  return withService(async (service, ask) => {
    const status = await ask(service, 'runs.status', { run: positionals[0] ?? 'last' });
    const { run, counts, tasks, clusters } = status;
    if (values.json) {
      process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
      return EXIT_OK;
    }
    const shown = run.state === 'interrupted' ? 'interrupted (resume it)' : run.state;
    const duration = (run.endedAt ?? Date.now()) - run.createdAt;
    process.stdout.write(`run ${run.id}  ${run.name}  ${shown}  ${formatDuration(duration)}\n`);
    process.stdout.write(`file ${run.file}\n`);
    if (run.stopped) process.stdout.write(`stopped: ${run.stopped}\n`);
    process.stdout.write(`${Object.entries(counts).filter(([, n]) => n > 0).map(([s, n]) => `${s} ${n}`).join(' · ')}\n`);
    for (const cluster of clusters) {
      const state = run.state === 'running' ? cluster.state : 'not connected';
      const seen = cluster.lastSeen ? `, last seen ${new Date(cluster.lastSeen).toLocaleString()}` : '';
      process.stdout.write(`cluster ${cluster.destination}: ${state}${cluster.detail && state !== 'online' ? ` (${cluster.detail})` : ''}${seen}\n`);
    }
    process.stdout.write('\n');
    const width = Math.min(48, Math.max(4, ...tasks.map((t) => t.id.length)));
    process.stdout.write(`${'TASK'.padEnd(width)}  ${'STATE'.padEnd(9)}  TRIES  EXIT  TIME     NOTE\n`);
    for (const task of tasks) {
      const last = task.last;
      const exit = last?.exitCode ?? (last?.signal ? last.signal.replace('SIG', '') : '');
      const time = last?.startedAt ? formatDuration((last.endedAt ?? Date.now()) - last.startedAt) : '';
      process.stdout.write(`${task.id.padEnd(width)}  ${task.state.padEnd(9)}  ${String(task.attempts).padStart(5)}  ${String(exit).padStart(4)}  ${time.padEnd(7)}  ${task.reason ?? ''}\n`);
    }
    return EXIT_OK;
  });
}

/** Most runs `history` lists at once (as many as the contract's `runs.list` gives). */
const MAX_LISTED_RUNS = 10_000;

export async function historyCommand(_positionals: string[], values: CliOptions): Promise<number> {
  return withService(async (service, ask) => {
    const limit = integer(values.limit, '--limit') ?? 20;
    if (limit > MAX_LISTED_RUNS) throw new UsageError(`--limit is at most ${MAX_LISTED_RUNS.toLocaleString('en')}`);
    const runs = await ask(service, 'runs.list', { limit });
    const rows = runs.map((run) => ({ ...run, durationMs: run.endedAt === null ? null : run.endedAt - run.createdAt }));
    if (values.json) {
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return EXIT_OK;
    }
    if (rows.length === 0) process.stdout.write(`no runs yet in ${flotillaHome()}\n`);
    for (const row of rows) {
      const when = new Date(row.createdAt).toISOString().replace('T', ' ').slice(0, 19);
      const tally = Object.entries(row.counts).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`).join(', ');
      process.stdout.write(`${row.id}  ${when}  ${row.state.padEnd(11)}  ${(row.durationMs === null ? '' : formatDuration(row.durationMs)).padEnd(7)}  ${row.name}  (${tally})\n`);
    }
    return EXIT_OK;
  });
}

export async function logsCommand(positionals: string[], values: CliOptions): Promise<number> {
  needs(positionals, 2, 'RUN and TASK');
  return withStore(async (store) => {
    const run = resolveRun(store, positionals[0]);
    const n = values.attempt === undefined ? undefined : integer(values.attempt, '--attempt');
    let attempt = findAttempt(store, run.id, positionals[1]!, n);
    const streams: ('stdout' | 'stderr')[] = values.stderr ? ['stderr'] : values.stdout ? ['stdout'] : ['stdout', 'stderr'];
    const offsets = { stdout: 0, stderr: 0 };
    const out = (stream: 'stdout' | 'stderr') => (stream === 'stdout' ? process.stdout : process.stderr);
    // A cluster attempt that is still running writes its logs on its host: they are read
    // there (once it ended they were copied here, and reading goes on from the copy).
    let clusters: ReturnType<typeof cliClusters> | undefined;
    const unreadable = new Set<string>();
    const pump = async (): Promise<boolean> => {
      let more = false;
      for (const stream of streams) {
        const place = attempt.state === 'running' ? remoteLogPlace(store, run.id, attempt.taskIdx, attempt, stream) : null;
        if (!place) {
          const before = offsets[stream];
          offsets[stream] = copyFrom(attempt[stream], before, out(stream));
          continue;
        }
        clusters ??= cliClusters();
        const connection = clusters.clusters.connection(place.host);
        try {
          if (connection.state !== 'online') await connection.connect(clusters.interactive);
          const bytes = await readRemoteLog(connection, place.file, offsets[stream]);
          out(stream).write(bytes);
          offsets[stream] += bytes.length;
          more ||= bytes.length > 0;
        } catch (error) {
          if (!(error instanceof SshError)) throw error;
          if (!unreadable.has(place.host)) process.stderr.write(`flotilla: the ${stream} of this running attempt is on ${place.host}, which cannot be read now (${error.message.split('\n')[0]}); it is copied here when the attempt ends\n`);
          unreadable.add(place.host);
        }
      }
      return more;
    };
    try {
      while ((await pump()) && !values.follow);
      while (values.follow && (attempt.state === 'submitted' || attempt.state === 'running')) {
        await new Promise((resolve) => setTimeout(resolve, clusters ? 1000 : 200));
        attempt = findAttempt(store, run.id, positionals[1]!, attempt.n);
        while (await pump());
      }
    } finally {
      clusters?.clusters.close();
    }
    return EXIT_OK;
  });
}

/** Copies a file from `offset` to a stream; returns the new offset. A missing file (an attempt just starting) is empty. */
function copyFrom(file: string, offset: number, out: NodeJS.WriteStream): number {
  const chunk = readFrom(file, offset);
  if (!chunk || chunk.bytes.length === 0) return offset;
  out.write(chunk.bytes);
  return offset + chunk.bytes.length;
}
