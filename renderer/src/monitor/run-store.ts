/**
 * A run's live state as the monitor shows it: its graph, its header, each task's state and
 * the reason for it. Transitions arrive one event at a time, thousands a second in a big run;
 * they are taken into the maps at once and shown in batches (`version` moves at most every
 * `batchMs`), so the page renders a few times a second, whatever the rate. Tested without a
 * browser (test/renderer/run-store.test.ts).
 */
import { createStore } from 'zustand/vanilla';
import type { StoreApi } from 'zustand/vanilla';
import type { RunForecast, RunGraph, RunStatus, TaskState, TaskStatus } from '../../../core/api/types.ts';
import { TERMINAL_STATES } from '../../../core/model/task-states.ts';
import type { TaskTiming } from './model.ts';

export interface RunState {
  graph: RunGraph | null;
  info: RunStatus['run'] | null;
  error: string | undefined;
  /** Read with `version`: the maps change in place, `version` says when to look again. */
  states: Map<string, TaskState>;
  reasons: Map<string, string | null>;
  /** Loops' controls: iterations so far and at most (from statuses only). */
  loops: Map<string, { iterations: number; max: number }>;
  /** What each task's latest attempt published, for tasks that published something (from statuses only). */
  values: Map<string, Record<string, unknown>>;
  /** Each task's latest attempt's times, exit and tries: from statuses, and moved by each transition (read with `version`). */
  timings: Map<string, TaskTiming>;
  /** The clusters the run uses, as last recorded (from statuses). */
  clusters: RunStatus['clusters'];
  /** The run's latest forecast (`runs.forecast`), while it goes on. */
  forecast: RunForecast | null;
  version: number;
  /** Tasks per state, as of `version`. */
  total: Partial<Record<TaskState, number>>;
  /** Another run (or the same again): everything forgotten. */
  reset(): void;
  setGraph(graph: RunGraph): void;
  /** What a run that grew added (`more.from` is where it starts); false when it does not follow what is drawn (then ask for all). */
  extendGraph(more: RunGraph): boolean;
  setError(message: string): void;
  /** A full status: the header and every task's state, shown at once. */
  applyStatus(status: RunStatus): void;
  /** One task's transition, shown with the next batch. */
  applyTransition(task: string, to: TaskState, reason: string | null, at?: number, attempt?: number | null): void;
  setForecast(forecast: RunForecast | null): void;
  /** Shows what arrived since the last batch now. */
  flush(): void;
  /** Stops the batch timer. */
  dispose(): void;
}

export type RunStore = StoreApi<RunState>;

export function createRunStore(batchMs = 150): RunStore {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return createStore<RunState>()((set, get) => {
    const schedule = () => {
      timer ??= setTimeout(() => get().flush(), batchMs);
    };
    return {
      graph: null,
      info: null,
      error: undefined,
      states: new Map(),
      reasons: new Map(),
      loops: new Map(),
      values: new Map(),
      timings: new Map(),
      clusters: [],
      forecast: null,
      version: 0,
      total: {},
      reset: () => {
        clearTimeout(timer);
        timer = undefined;
        set({ graph: null, info: null, error: undefined, states: new Map(), reasons: new Map(), loops: new Map(), values: new Map(), timings: new Map(), clusters: [], forecast: null, version: get().version + 1, total: {} });
      },
      setGraph: (graph) => set({ graph }),
      extendGraph: (more) => {
        const graph = get().graph;
        if (!graph || graph.run !== more.run || more.from !== graph.tasks.length) return false;
        if (more.tasks.length > 0) set({ graph: { ...graph, tasks: [...graph.tasks, ...more.tasks] } });
        return true;
      },
      setError: (error) => set({ error }),
      applyStatus: (status) => {
        const { states, reasons, info } = get();
        let changed = info === null || JSON.stringify(info) !== JSON.stringify(status.run);
        if (JSON.stringify(get().clusters) !== JSON.stringify(status.clusters)) set({ clusters: status.clusters });
        for (const task of status.tasks) {
          if (noteLoopAndValues(get(), task)) changed = true;
          if (noteTiming(get().timings, task)) changed = true;
          if (states.get(task.id) === task.state && reasons.get(task.id) === task.reason) continue;
          states.set(task.id, task.state);
          reasons.set(task.id, task.reason);
          changed = true;
        }
        // A whole status is a batch of its own: shown at once (the first one draws the run); one
        // that changes nothing (a finished run, looked at every 2 s) renders nothing.
        if (!changed) return;
        set({ info: status.run });
        get().flush();
      },
      applyTransition: (task, to, reason, at, attempt) => {
        get().states.set(task, to);
        get().reasons.set(task, reason);
        if (at !== undefined) moveTiming(get().timings, task, to, at, attempt ?? null);
        schedule();
      },
      setForecast: (forecast) => set({ forecast }),
      flush: () => {
        clearTimeout(timer);
        timer = undefined;
        const total: Partial<Record<TaskState, number>> = {};
        for (const state of get().states.values()) total[state] = (total[state] ?? 0) + 1;
        set({ version: get().version + 1, total });
      },
      dispose: () => {
        clearTimeout(timer);
        timer = undefined;
      },
    };
  });
}

/** Takes a task's loop and published values from a status; whether either changed. */
function noteLoopAndValues(state: Pick<RunState, 'loops' | 'values'>, task: TaskStatus): boolean {
  let changed = false;
  if (task.loop) {
    const known = state.loops.get(task.id);
    if (known?.iterations !== task.loop.iterations || known.max !== task.loop.max) {
      state.loops.set(task.id, { iterations: task.loop.iterations, max: task.loop.max });
      changed = true;
    }
  }
  const values = task.last?.values;
  if (values && Object.keys(values).length > 0) {
    // Most tasks publish nothing; those that do publish a few names.
    const known = state.values.get(task.id);
    if (!known || JSON.stringify(known) !== JSON.stringify(values)) {
      state.values.set(task.id, values);
      changed = true;
    }
  } else if (state.values.delete(task.id)) changed = true;
  return changed;
}

/** Takes a task's latest attempt's times from a status; whether they changed. */
function noteTiming(timings: Map<string, TaskTiming>, task: TaskStatus): boolean {
  const last = task.last;
  const known = timings.get(task.id);
  if (!last) return known !== undefined && timings.delete(task.id);
  const timing: TaskTiming = { attempts: task.attempts, startedAt: last.startedAt, endedAt: last.endedAt, exitCode: last.exitCode, signal: last.signal };
  if (known && known.attempts === timing.attempts && known.startedAt === timing.startedAt && known.endedAt === timing.endedAt && known.exitCode === timing.exitCode && known.signal === timing.signal) return false;
  timings.set(task.id, timing);
  return true;
}

/** A transition's move of a task's times: a start begins an attempt, an end ends it (its exit comes with the next status). */
function moveTiming(timings: Map<string, TaskTiming>, task: string, to: TaskState, at: number, attempt: number | null): void {
  const known = timings.get(task);
  if (to === 'running') timings.set(task, { attempts: Math.max(attempt ?? 1, known?.attempts ?? 0), startedAt: at, endedAt: null, exitCode: null, signal: null });
  else if (TERMINAL_STATES.has(to) && known && known.endedAt === null && known.startedAt !== null) timings.set(task, { ...known, endedAt: at });
}
