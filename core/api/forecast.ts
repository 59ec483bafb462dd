/**
 * `runs.forecast`: a run's ETA from history. Reads what the forecast needs from the store —
 * the run's tasks (their paths, targets and edges, kept per run and read again only for what a
 * growing run added), their states, the open attempts, and how long successful attempts took in
 * this run and the workflow file's earlier runs (kept until another run of the file appears or
 * ends) — and leaves the arithmetic to core/model/forecast.ts.
 */
import { Durations, estimateOf, loopKey } from '../model/estimates.ts';
import type { Estimate } from '../model/estimates.ts';
import { forecastRun } from '../model/forecast.ts';
import type { ForecastTask, RunForecast } from '../model/forecast.ts';
import { enclosingIterations } from '../model/iteration.ts';
import type { Plan } from '../model/types.ts';
import { walltimeAdvice } from '../model/walltime.ts';
import type { WalltimeAdvice } from '../model/walltime.ts';
import { TERMINAL_STATES } from '../model/task-states.ts';
import type { ForecastRow, RanAttempt } from '../store/history.ts';
import type { RunRecord } from '../store/records.ts';
import type { Store } from '../store/store.ts';

export class Forecaster {
  private readonly store: Store;
  private readonly rows = new Map<string, ForecastRow[]>();
  private readonly earlier = new Map<string, { key: string; ran: RanAttempt[] }>();

  constructor(store: Store) {
    this.store = store;
  }

  forecast(run: RunRecord, now: number, withTasks: boolean): RunForecast {
    const rows = this.rowsOf(run.id);
    const states = this.store.taskStates(run.id);
    const open = new Map(this.store.openAttempts(run.id).map((attempt) => [attempt.taskIdx, attempt]));
    const index = new Map(rows.map((row, i) => [row.id, i]));
    const tasks: ForecastTask[] = rows.map((row) => {
      const attempt = open.get(row.idx);
      return {
        id: row.id,
        path: row.path,
        target: row.target,
        state: states[row.idx]?.state ?? 'waiting',
        after: row.after.map((id) => index.get(id)).filter((dep): dep is number => dep !== undefined),
        ...(row.loop ? { loop: { kind: row.loop, max: row.max } } : {}),
        ...(attempt?.state === 'running' ? { startedAt: attempt.startedAt } : {}),
        ...(attempt?.state === 'submitted' && attempt.expectedStart ? { expectedStart: attempt.expectedStart } : {}),
      };
    });
    // This run's own attempts first: the newest, and the most like what is left.
    const ran = [...this.store.history.ranIn([run.id]), ...this.earlierRan(run)];
    const durations = new Durations();
    for (const attempt of ran) durations.add(attempt.path, attempt.target, attempt.endedAt - attempt.startedAt);
    const unfinished = new Set(tasks.filter((task) => !TERMINAL_STATES.has(task.state)).flatMap((task) => enclosingIterations(task.id).map((at) => `${run.id}\n${at.of}\n${at.index}`)));
    const targets = run.plan.targets;
    return forecastRun({
      now,
      tasks,
      durations,
      iterations: iterationSpans(ran, unfinished),
      capacity: (target) => targets[target]?.maxParallel ?? Infinity,
      cap: run.options.maxParallel,
      withTasks,
    });
  }

  /** The run's tasks as the forecast reads them; a run that grew is read from where it was. */
  private rowsOf(runId: string): ForecastRow[] {
    const known = this.rows.get(runId) ?? [];
    const more = this.store.history.forecastRows(runId, known.length);
    return keepLatest(this.rows, runId, more.length > 0 ? [...known, ...more] : known);
  }

  /** Successful attempts of the file's earlier runs, read again when those runs change. */
  private earlierRan(run: RunRecord): RanAttempt[] {
    const runs = this.store.history.earlierRuns(run.file, run.id);
    const key = JSON.stringify(runs);
    const known = this.earlier.get(run.file);
    if (known?.key === key) return known.ran;
    return keepLatest(this.earlier, run.file, { key, ran: this.store.history.ranIn(runs.map((earlier) => earlier.id)) }).ran;
  }
}

/** Entries a forecaster keeps per map (the runs and files looked at lately). */
const KEPT = 8;

/** Puts a value in a map as its newest entry, dropping the oldest beyond KEPT; the value. */
function keepLatest<K, V>(map: Map<K, V>, key: K, value: V): V {
  map.delete(key);
  map.set(key, value);
  for (const old of map.keys()) if (map.size > KEPT) map.delete(old);
  return value;
}

/**
 * How long the tasks of a workflow file's latest runs needed (what the walltime advice goes by):
 * the successful attempts' times, and those of attempts stopped at their time limit (they needed
 * at least that), the latest first.
 */
export function pastDurations(store: Store, file: string): Durations {
  const durations = new Durations();
  const runs = store.history.earlierRuns(file, '').map((run) => run.id);
  const needed = [...store.history.ranIn(runs), ...store.history.timedOutIn(runs)].sort((a, b) => b.endedAt - a.endedAt);
  for (const ran of needed) durations.add(ran.path, ran.target, ran.endedAt - ran.startedAt);
  return durations;
}

/** The walltime advice for a plan (nothing is read when no cluster task of it has a time limit). */
export function adviseOn(store: Store, plan: Pick<Plan, 'file' | 'tasks' | 'targets'>): WalltimeAdvice[] {
  if (!plan.tasks.some((task) => task.resources.timeSeconds !== undefined && plan.targets[task.target]?.type !== 'local')) return [];
  return walltimeAdvice(plan, pastDurations(store, plan.file));
}

/**
 * What a loop's iteration takes, pooled by loop: from the end of the iteration before it to its
 * own end (the loop's pace, with the submitting and polling between iterations), or for a first
 * iteration from its first start; iterations not finished are left out.
 */
export function iterationSpans(ran: readonly RanAttempt[], unfinished: ReadonlySet<string>): Map<string, Estimate> {
  const spans = new Map<string, { run: string; of: string; index: number; from: number; to: number }>();
  for (const attempt of ran) {
    for (const at of enclosingIterations(attempt.task)) {
      const key = `${attempt.run}\n${at.of}\n${at.index}`;
      if (unfinished.has(key)) continue;
      const span = spans.get(key);
      if (!span) spans.set(key, { run: attempt.run, of: at.of, index: at.index, from: attempt.startedAt, to: attempt.endedAt });
      else {
        span.from = Math.min(span.from, attempt.startedAt);
        span.to = Math.max(span.to, attempt.endedAt);
      }
    }
  }
  const byLoop = new Map<string, number[]>();
  for (const span of spans.values()) {
    const before = spans.get(`${span.run}\n${span.of}\n${span.index - 1}`);
    const took = before && before.to < span.to ? span.to - before.to : span.to - span.from;
    const loop = loopKey(span.of);
    const list = byLoop.get(loop);
    if (list) list.push(took);
    else byLoop.set(loop, [took]);
  }
  return new Map([...byLoop].map(([loop, list]) => [loop, estimateOf(list)!]));
}
