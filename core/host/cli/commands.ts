/**
 * The CLI's commands: each parses its arguments, calls the service (core/api/service.ts) as web
 * mode and the desktop app do, and prints. Runs started, resumed or resubmitted here are driven
 * by the service in this process, and shown as they go (progress.ts).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { FlotillaService, ServiceOptions } from '../../api/service.ts';
import type { RunnerEvent, RunOutcome, RunState, ServiceEvent } from '../../api/types.ts';
import { advanceText, remoteAdvance } from '../../model/advance.ts';
import { loadWorkflow } from '../../model/load.ts';
import { loadPlan } from '../../model/plan-cache.ts';
import { newRunId } from '../../model/run-id.ts';
import { selectTasks } from '../../model/select.ts';
import { loadYaml } from '../../model/source.ts';
import { etaText, stuckText } from '../../model/eta-text.ts';
import { adviceText } from '../../model/walltime.ts';
import { DONE_STATES, TASK_STATES } from '../../model/task-states.ts';
import type { ClusterStatus } from '../../ssh/status.ts';
import { bundleIdentity } from '../../util/bundle.ts';
import { flotillaHome } from '../../util/home.ts';
import { dryRun } from './dry-run.ts';
import { notifyEnd } from './notify.ts';
import { EXIT_FAILED, EXIT_OK, UsageError } from './options.ts';
import type { CliOptions } from './options.ts';
import { formatDuration, Progress } from './progress.ts';
import { cliClusters, remoteHomes } from './remote.ts';

/**
 * Runs a command with the service over the user's store (loaded for commands that need it:
 * `validate` starts without it, and opens it only for the walltime advice). `drive`: the command may drive runs here, or read logs on a
 * cluster, with the terminal's SSH prompts (and the bundle's plan cache). The store is left open when the command ends: the
 * process ends right after it (see flotilla.cjs), and a close would first copy the store's
 * write-ahead log into the database file and sync both to disk, a wait at the end of every
 * command. What is committed is in the log; the next process to open the store reads it back
 * (as after a kill), and a run copies it into the database as it goes.
 */
export async function withService<T>(fn: (service: FlotillaService) => Promise<T>, drive?: Omit<ServiceOptions, 'remote' | 'planCache'> & { progress?: Progress }): Promise<T> {
  const { openCommandCore } = await import('../app-core.ts');
  let options: ServiceOptions = {};
  if (drive) {
    const { progress, ...rest } = drive;
    const { clusters, interactive } = cliClusters();
    // The bundle keeps plans between runs (see plan-cache.ts); the sources may change under it.
    const bundle = bundleIdentity();
    options = {
      ...rest,
      remote: {
        clusters,
        interactive,
        ...(progress ? { onTransfer: (taskId, _n, transfer) => describeTransfer(taskId, transfer, (line) => progress.note(line)) } : {}),
      },
      ...(bundle ? { planCache: { dir: path.join(flotillaHome(), 'plans'), code: bundle } } : {}),
    };
  }
  const core = openCommandCore(options);
  try {
    return await fn(core.service);
  } finally {
    core.finish();
  }
}

export function needs(positionals: string[], count: number, what: string): void {
  if (positionals.length < count) throw new UsageError(`missing ${what}`);
}

export function integer(value: string | undefined, flag: string): number | undefined {
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

export async function validateCommand(positionals: string[], values: CliOptions): Promise<number> {
  needs(positionals, 1, 'workflow FILE');
  const plan = loadWorkflow(positionals[0]!, { params: params(values), workdir: values.workdir });
  const edges = plan.tasks.reduce((sum, task) => sum + task.after.length, 0);
  const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  process.stdout.write(`${positionals[0]}: ok — ${plan.name}: ${count(plan.tasks.length, 'task', 'tasks')}, ${count(edges, 'dependency', 'dependencies')}, targets ${Object.keys(plan.targets).join(', ')}\n`);
  for (const task of plan.tasks) if (task.loop?.kind === 'repeat') process.stdout.write(`  loop ${task.id} (at most ${task.loop.max} iterations): ${advanceText(remoteAdvance(plan, task))}\n`);
  // What past runs say of the time limits (the store, if there is one, is opened only when a cluster task has one).
  if (existsSync(path.join(flotillaHome(), 'store.db')) && plan.tasks.some((task) => task.resources.timeSeconds !== undefined && plan.targets[task.target]?.type !== 'local')) {
    const advice = await withService((service) => service.perform('workflows.advice', { file: positionals[0]!, params: params(values) }));
    for (const each of advice) process.stdout.write(`warning: ${adviceText(each)}\n`);
  }
  return EXIT_OK;
}

export async function runCommand(positionals: string[], values: CliOptions): Promise<number> {
  needs(positionals, 1, 'workflow FILE');
  const maxParallel = integer(values['max-parallel'], '--max-parallel');
  const selection = { only: values.only ?? [], upstream: values.upstream === true, downstream: values.downstream === true };
  if (values['dry-run']) {
    // What a run would send, asked of nothing but the hosts' home folders: no run is made.
    const runId = newRunId();
    const loaded = loadPlan(positionals[0]!, { runId, params: params(values), workdir: values.workdir }, undefined);
    const plan = selectTasks(loaded.plan, selection);
    process.stdout.write(dryRun(plan, runId, await remoteHomes(plan)));
    return EXIT_OK;
  }
  const progress = newProgress(values);
  return withService(async (service) => {
    const watched = await watch(service, progress, async () => {
      const started = await service.perform('runs.start', {
        file: positionals[0]!,
        params: params(values),
        ...selection,
        fresh: values.fresh === true,
        explain: values.explain === true,
        ...(maxParallel === undefined ? {} : { maxParallel }),
        ...(values.workdir === undefined ? {} : { workdir: values.workdir }),
      });
      for (const advice of started.advice) process.stderr.write(`warning: ${adviceText(advice)}\n`);
      // A new run: every task waits.
      return { run: started.run, name: started.name, counts: { waiting: started.tasks } };
    }, { notify: values.notify });
    return exitCode(watched);
  }, { quiet: values.quiet === true, progress });
}

export async function resumeCommand(positionals: string[], values: CliOptions): Promise<number> {
  needs(positionals, 1, 'RUN');
  const progress = newProgress(values);
  return withService(async (service) => {
    const before = await service.perform('runs.outcome', { run: positionals[0]!, failures: 0 });
    const watched = await watch(service, progress, async () => {
      const { open } = await service.perform('runs.resume', { run: before.run.id });
      return open === 0 ? null : { run: before.run.id, name: before.run.name, counts: before.counts };
    }, { notify: values.notify });
    if (watched !== 'nothing') return exitCode(watched);
    process.stdout.write(`run ${before.run.id} has nothing left to do (${before.run.state}); use 'flotilla resubmit' to run tasks again\n`);
    return before.run.state === 'succeeded' ? EXIT_OK : EXIT_FAILED;
  }, { quiet: values.quiet === true, progress });
}

export async function resubmitCommand(positionals: string[], values: CliOptions): Promise<number> {
  needs(positionals, 1, 'RUN');
  const named = positionals.slice(1);
  if (values.failed === (named.length > 0)) throw new UsageError('resubmit needs either --failed or task ids, not both');
  const progress = newProgress(values);
  return withService(async (service) => {
    const before = await service.perform('runs.outcome', { run: positionals[0]!, failures: 0 });
    const runId = before.run.id;
    const asked = { run: runId, ...(values.failed ? { failed: true } : { tasks: named }), downstream: values.downstream === true, reload: values.reload === true };
    const watched = await watch(service, progress, async () => {
      const result = await service.perform('runs.resubmit', asked);
      // (With no task to run, nothing was asked of the run, and nothing drives it.)
      if (result.tasks.length === 0) return null;
      if (result.updated.length > 0) process.stdout.write(`taking the changed spec of ${result.updated.join(', ')} from ${before.run.file}\n`);
      process.stdout.write(`resubmitting ${result.tasks.length} task${result.tasks.length === 1 ? '' : 's'} of run ${runId}${values.downstream ? ' with downstream' : ''}\n`);
      for (const discarded of result.discards) process.stdout.write(`discarding ${discarded} (made again if the loop gets there)\n`);
      return { run: runId, name: before.run.name, counts: before.counts };
    }, { notify: values.notify });
    if (watched === 'nothing') {
      process.stdout.write(`run ${runId} has no failed tasks\n`);
      return EXIT_OK;
    }
    return exitCode(watched);
  }, { quiet: values.quiet === true, progress });
}

export async function cancelCommand(positionals: string[], values: CliOptions): Promise<number> {
  needs(positionals, 1, 'RUN');
  const task = positionals[1];
  // The cancel is what is shown, not the rest of the run.
  const progress = newProgress({ ...values, quiet: true });
  return withService(async (service) => {
    const before = await service.perform('runs.outcome', { run: positionals[0]!, failures: 0 });
    const watched = await watch(service, progress, async () => {
      const { ended } = await service.perform('runs.cancel', { run: before.run.id, ...(task === undefined ? {} : { task }) });
      return ended ? null : { run: before.run.id, name: before.run.name, counts: before.counts };
    }, { summary: false });
    if (watched === 'nothing') {
      process.stdout.write(`run ${before.run.id} already ended (${before.run.state})\n`);
      return EXIT_OK;
    }
    if (watched === 'untaken') return EXIT_FAILED;
    process.stdout.write(`cancelled ${task === undefined ? `run ${before.run.id}` : `task ${task} of run ${before.run.id}`}\n`);
    return EXIT_OK;
  }, { quiet: true });
}

/** The exit code of a command that drove a run (or asked the process that drives it). */
function exitCode(watched: Watched): number {
  return watched === 'succeeded' || watched === 'taken' ? EXIT_OK : EXIT_FAILED;
}

function newProgress(values: Pick<CliOptions, 'quiet'>): Progress {
  return new Progress({ write: (text) => process.stderr.write(text), isTTY: process.stderr.isTTY === true, columns: process.stderr.columns }, values.quiet === true);
}

/** How long a request waits for the process that drives its run to take it. */
const REQUEST_WAIT_MS = 30_000;

/**
 * How a watch ended: the run's state when it was driven here; `taken` when another process
 * drives it and took the request, `untaken` when it did not in time; `nothing` when there was
 * nothing to drive.
 */
type Watched = RunState | 'taken' | 'untaken' | 'nothing';

/**
 * Starts (`begin`) what drives a run and shows it until it ends: its events as they come (the
 * counts it began from are moved by each), then its outcome. Ctrl-C cancels the run, twice
 * leaves it running. A run another process drives is not shown: the request made of it is
 * waited for until that process took it. `begin` answers null when it drove nothing.
 */
async function watch(
  service: FlotillaService,
  progress: Progress,
  begin: () => Promise<{ run: string; name: string; counts: Partial<RunOutcome['counts']> } | null>,
  options: { summary?: boolean; notify?: string | undefined } = {},
): Promise<Watched> {
  // Heard from before the drive starts (a first event may come before `begin` returns), and
  // shown once the view has begun from the counts the run had before any of them.
  const early: ServiceEvent[] = [];
  let shown = false;
  const show = (event: ServiceEvent) => {
    if (event.type === 'cluster') progress.note(describeCluster(event.status));
    else if (isRunnerEvent(event)) progress.onEvent(event);
  };
  const off = service.onEvent((event) => (shown ? show(event) : early.push(event)));
  const started = Date.now();
  let interrupts = 0;
  let runId: string | undefined;
  const onInterrupt = () => {
    if (++interrupts > 1) process.exit(130);
    if (runId === undefined) return;
    progress.note('cancelling: stopping running tasks (Ctrl-C again to leave them running and exit)');
    void service.perform('runs.cancel', { run: runId }).catch((error: unknown) => progress.note(`cannot cancel: ${(error as Error).message}`));
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  try {
    const head = await begin();
    if (head === null) return 'nothing';
    runId = head.run;
    const drive = service.driven(head.run);
    if (!drive) {
      off();
      if (await service.requestsTaken(head.run, REQUEST_WAIT_MS)) {
        process.stdout.write(`the process driving run ${head.run} took the request\n`);
        return 'taken';
      }
      process.stderr.write(`flotilla: the process driving run ${head.run} has not answered in ${REQUEST_WAIT_MS / 1000} s; the request stays queued\n`);
      return 'untaken';
    }
    progress.begin(head.run, head.name, head.counts);
    progress.forecastWith(() => service.perform('runs.forecast', { run: head.run }));
    shown = true;
    for (const event of early.splice(0)) show(event);
    let state: RunState;
    try {
      state = await drive;
    } finally {
      progress.end();
    }
    if (options.summary !== false) {
      const outcome = await service.perform('runs.outcome', { run: head.run });
      printOutcome(outcome, Date.now() - started);
      notifyEnd(outcome, options.notify, { isTTY: process.stderr.isTTY === true, write: (text) => process.stderr.write(text) });
    }
    return state;
  } finally {
    off();
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
  }
}

function isRunnerEvent(event: ServiceEvent): event is RunnerEvent {
  return event.type === 'task' || event.type === 'attempt' || event.type === 'job' || event.type === 'explain' || event.type === 'run' || event.type === 'grew';
}

function describeCluster(status: ClusterStatus): string {
  const seen = status.lastSeen ? `; last seen ${new Date(status.lastSeen).toLocaleTimeString()}` : '';
  return `cluster ${status.destination} ${status.state}${status.detail ? `: ${status.detail}` : ''}${status.state === 'online' ? '' : seen}`;
}

/** A line for a staging step once it is done (nothing while it goes). */
function describeTransfer(taskId: string, transfer: { direction: 'up' | 'down'; files: number; totalFiles: number; bytes: number; skipped: number }, note: (line: string) => void): void {
  if (transfer.files !== transfer.totalFiles || transfer.totalFiles === 0) return;
  note(`${taskId}: ${transfer.direction === 'up' ? 'staged up' : 'fetched'} ${transfer.files} file(s), ${formatBytes(transfer.bytes)}${transfer.skipped ? ` (${transfer.skipped} unchanged)` : ''}`);
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

function printOutcome(outcome: RunOutcome, elapsed: number): void {
  const { run, counts, failures } = outcome;
  const parts = TASK_STATES.filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}`);
  process.stdout.write(`run ${run.id} ${run.state} in ${formatDuration(elapsed)}: ${parts.join(', ')}\n`);
  if (counts.failed === 0) return;
  for (const failure of failures) {
    const logs = failure.ran ? ` — flotilla logs ${run.id} '${failure.task}'` : '';
    process.stdout.write(`  failed ${failure.task}: ${failure.reason ?? ''}${failure.stderr ? ` — stderr: ${failure.stderr}` : ''}${logs}\n`);
  }
  if (counts.failed > failures.length) process.stdout.write(`  … and ${counts.failed - failures.length} more failed tasks (flotilla status ${run.id} lists them all)\n`);
  process.stdout.write(`  fix and rerun with: flotilla resubmit ${run.id} --failed\n`);
}

export async function statusCommand(positionals: string[], values: CliOptions): Promise<number> {
  return withService(async (service) => {
    const status = await service.perform('runs.status', { run: positionals[0] ?? 'last' });
    const { run, counts, tasks, clusters } = status;
    if (values.json) {
      const forecast = run.state === 'running' ? await service.perform('runs.forecast', { run: run.id }) : null;
      process.stdout.write(`${JSON.stringify({ ...status, forecast }, null, 2)}\n`);
      return EXIT_OK;
    }
    const shown = run.state === 'interrupted' ? 'interrupted (resume it)' : run.state;
    const duration = (run.endedAt ?? Date.now()) - run.createdAt;
    process.stdout.write(`run ${run.id}  ${run.name}  ${shown}  ${formatDuration(duration)}\n`);
    process.stdout.write(`file ${run.file}\n`);
    if (run.stopped) process.stdout.write(`stopped: ${run.stopped}\n`);
    process.stdout.write(`${Object.entries(counts).filter(([, n]) => n > 0).map(([s, n]) => `${s} ${n}`).join(' · ')}\n`);
    if (run.state === 'running') {
      const forecast = await service.perform('runs.forecast', { run: run.id });
      for (const line of [etaText(forecast), stuckText(forecast)]) if (line) process.stdout.write(`${line}\n`);
    }
    for (const cluster of clusters) {
      const state = run.state === 'running' ? cluster.state : 'not connected';
      const seen = cluster.lastSeen ? `, last seen ${new Date(cluster.lastSeen).toLocaleString()}` : '';
      process.stdout.write(`cluster ${cluster.destination}: ${state}${cluster.detail && state !== 'online' ? ` (${cluster.detail})` : ''}${seen}\n`);
    }
    process.stdout.write('\n');
    // A loop is one line; of its iterations, only the tasks not done yet (or that failed) are listed.
    const isFolded = (task: (typeof tasks)[number]) => task.id.includes('#') && DONE_STATES.has(task.state);
    const shownTasks = tasks.filter((task) => !isFolded(task));
    const folded = tasks.length - shownTasks.length;
    const width = Math.min(48, shownTasks.reduce((widest, task) => Math.max(widest, task.id.length), 4));
    process.stdout.write(`${'TASK'.padEnd(width)}  ${'STATE'.padEnd(9)}  TRIES  EXIT  TIME     NOTE\n`);
    for (const task of shownTasks) {
      const last = task.last;
      const exit = last?.exitCode ?? (last?.signal ? last.signal.replace('SIG', '') : '');
      const time = last?.startedAt ? formatDuration((last.endedAt ?? Date.now()) - last.startedAt) : '';
      if (task.loop) {
        // A loop's control waits for its iterations: it is running once the first one is made (while the run is).
        const state = task.state === 'waiting' && task.loop.iterations > 0 && run.state === 'running' ? 'running' : task.state;
        const note = `iteration ${task.loop.iterations}/≤${task.loop.max}${task.reason ? `  ${task.reason}` : ''}`;
        process.stdout.write(`${task.id.padEnd(width)}  ${state.padEnd(9)}  ${''.padStart(5)}  ${''.padStart(4)}  ${''.padEnd(7)}  ${note}\n`);
        continue;
      }
      process.stdout.write(`${task.id.padEnd(width)}  ${task.state.padEnd(9)}  ${String(task.attempts).padStart(5)}  ${String(exit).padStart(4)}  ${time.padEnd(7)}  ${task.reason ?? ''}\n`);
    }
    if (folded > 0) process.stdout.write(`(${folded} done tasks of loop iterations not listed: flotilla status ${run.id} --json lists every task)\n`);
    return EXIT_OK;
  });
}

/** Most runs `history` lists at once (as many as the contract's `runs.list` gives). */
const MAX_LISTED_RUNS = 10_000;

export async function historyCommand(_positionals: string[], values: CliOptions): Promise<number> {
  const limit = integer(values.limit, '--limit') ?? 20;
  if (limit > MAX_LISTED_RUNS) throw new UsageError(`--limit is at most ${MAX_LISTED_RUNS.toLocaleString('en')}`);
  return withService(async (service) => {
    const runs = await service.perform('runs.list', { limit, ...(values.file === undefined ? {} : { file: values.file }) });
    const rows = runs.map((run) => ({ ...run, durationMs: run.endedAt === null ? null : run.endedAt - run.createdAt }));
    if (values.json) {
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return EXIT_OK;
    }
    if (rows.length === 0) process.stdout.write(`no runs yet in ${flotillaHome()}\n`);
    for (const row of rows) {
      const when = new Date(row.createdAt).toISOString().replace('T', ' ').slice(0, 19);
      const tally = Object.entries(row.counts).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`).join(', ');
      const git = row.provenance?.git;
      const commit = git?.commit ? `${git.commit.slice(0, 8)}${git.fileChanged || git.dirty ? '*' : ''}` : '';
      process.stdout.write(`${row.id}  ${when}  ${row.state.padEnd(11)}  ${(row.durationMs === null ? '' : formatDuration(row.durationMs)).padEnd(7)}  ${commit.padEnd(9)}  ${row.name}  (${tally})\n`);
    }
    return EXIT_OK;
  });
}
