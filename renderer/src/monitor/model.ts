/**
 * The run monitor's graph: one node per task, except that the instances of a sweep fold
 * into one node (with counts per state) until the user expands it, and the tasks of a loop's
 * iterations fold into its control's node (loops.ts) until the user opens one iteration, so a
 * 10,000-task run draws as a handful of nodes. No React here.
 */
import type { GraphTask, TaskState } from '../../../core/api/types.ts';
import { TERMINAL_STATES } from '../../../core/model/task-states.ts';
import { duration } from '../common/format.ts';
import { foldLoops, isInside } from './loops.ts';
import type { Fold } from './loops.ts';

export interface MonitorNode {
  key: string;
  /** Declared path (`windows/production`). */
  path: string;
  /** Task ids in this node: one, or a sweep's instances. */
  tasks: string[];
  folded: boolean;
  /** A loop's control drawn as a node of its own: its bounds and the tasks of each of its iterations (nested loops' too). */
  loop?: { until: string; max: number; onMax: 'fail' | 'succeed'; iterations: string[][]; open: number | null };
}

export interface MonitorEdge {
  source: string;
  target: string;
  /** From a loop's node to the first tasks of its iteration drawn open. */
  iteration?: true;
}

export interface MonitorShape {
  nodes: MonitorNode[];
  edges: MonitorEdge[];
  /** Node key of each task. */
  keyOf: Map<string, string>;
}

const NONE_OPEN: ReadonlyMap<string, number> = new Map();

/** A task's id without its iterations' marks (`md#3/run` → `md/run`): what a task that is no sweep's instance has as its path. */
const unmarked = (id: string): string => (id.includes('#') ? id.replace(/#\d+(?=\/|$)/g, '') : id);

/** The graph to draw: `expanded` sweeps (by path) drawn one node per instance, `opened` loops (control → iteration) with that iteration's tasks drawn. */
export function shape(tasks: readonly GraphTask[], expanded: ReadonlySet<string>, opened: ReadonlyMap<string, number> = NONE_OPEN): MonitorShape {
  const looped = tasks.some((task) => task.iteration !== undefined);
  const byId = looped ? new Map(tasks.map((task) => [task.id, task])) : new Map<string, GraphTask>();
  const folds = looped ? foldLoops(tasks, byId, opened) : new Map<string, Fold>();
  const byPath = new Map<string, GraphTask[]>();
  for (const task of tasks) {
    if (folds.has(task.id)) continue;
    const list = byPath.get(task.path);
    if (list) list.push(task);
    else byPath.set(task.path, [task]);
  }
  const nodes: MonitorNode[] = [];
  const keyOf = new Map<string, string>();
  const loops = new Map<string, MonitorNode>();
  for (const [path, members] of byPath) {
    const fold = (members.length > 1 || unmarked(members[0]!.id) !== path) && !expanded.has(path);
    if (fold) {
      nodes.push({ key: `sweep:${path}`, path, tasks: members.map((task) => task.id), folded: true });
      for (const task of members) keyOf.set(task.id, `sweep:${path}`);
      continue;
    }
    for (const task of members) {
      const node: MonitorNode = { key: task.id, path, tasks: [task.id], folded: false };
      if (task.loop) {
        node.loop = { ...task.loop, iterations: [], open: opened.get(task.id) ?? null };
        loops.set(task.id, node);
      }
      nodes.push(node);
      keyOf.set(task.id, task.id);
    }
  }
  for (const [id, fold] of folds) {
    const key = keyOf.get(fold.control);
    if (key !== undefined) keyOf.set(id, key);
  }
  // Each loop drawn lists the tasks of each of its iterations, at any depth, drawn in it or not.
  if (looped) {
    for (const task of tasks) {
      // (An iteration a resubmit discarded is not the loop's until it is made again.)
      if (task.discarded) continue;
      for (let at = task.iteration; at; at = byId.get(at.of)?.iteration) {
        const iterations = loops.get(at.of)?.loop?.iterations;
        if (iterations) (iterations[at.index] ??= []).push(task.id);
      }
    }
  }
  // An iteration without a task in the graph (the core makes none) is an empty list, not a hole.
  for (const node of loops.values()) for (let i = 0; i < node.loop!.iterations.length; i++) node.loop!.iterations[i] ??= [];
  return { nodes, edges: edgesOf(tasks, keyOf, folds, byId), keyOf };
}

/**
 * One edge per pair of nodes. A folded task's edges are its loop's (the control's own `after`
 * and dependents); a task of an open iteration keeps those to the rest of the run, and stands
 * after its loop's node instead of after the loop's other iterations.
 */
function edgesOf(tasks: readonly GraphTask[], keyOf: ReadonlyMap<string, string>, folds: ReadonlyMap<string, Fold>, byId: ReadonlyMap<string, GraphTask>): MonitorEdge[] {
  const seen = new Set<string>();
  const edges: MonitorEdge[] = [];
  const add = (source: string, target: string, iteration: boolean) => {
    const id = `${source}\n${target}`;
    if (seen.has(id)) return;
    seen.add(id);
    edges.push(iteration ? { source, target, iteration } : { source, target });
  };
  for (const task of tasks) {
    if (folds.has(task.id)) continue;
    const target = keyOf.get(task.id);
    if (target === undefined) continue;
    const iteration = task.iteration;
    let first = iteration !== undefined;
    for (const dep of task.after) {
      const into = folds.get(dep);
      if (iteration && !into) {
        const upstream = byId.get(dep)?.iteration;
        if (upstream?.of === iteration.of && upstream.index === iteration.index) first = false;
      }
      const source = keyOf.get(dep);
      if (source === undefined || source === target) continue;
      // Another iteration of its own loop (or of a loop around it), drawn in that loop's node.
      if (iteration && into && isInside(task, into.control, byId)) continue;
      add(source, target, false);
    }
    const control = iteration ? keyOf.get(iteration.of) : undefined;
    if (first && control !== undefined && control !== target) add(control, target, true);
  }
  return edges;
}

/** Which state colours a node that holds tasks in several: what needs attention first. */
const URGENCY: TaskState[] = ['failed', 'running', 'submitted', 'ready', 'waiting', 'blocked', 'cancelled', 'succeeded', 'cached', 'skipped'];

export function counts(ids: readonly string[], states: ReadonlyMap<string, TaskState>): Partial<Record<TaskState, number>> {
  const result: Partial<Record<TaskState, number>> = {};
  for (const id of ids) {
    const state = states.get(id) ?? 'waiting';
    result[state] = (result[state] ?? 0) + 1;
  }
  return result;
}

export function dominant(count: Partial<Record<TaskState, number>>): TaskState {
  return URGENCY.find((state) => (count[state] ?? 0) > 0) ?? 'waiting';
}

/** A task's latest attempt as the monitor shows it: how long, how it ended, how many tries. */
export interface TaskTiming {
  attempts: number;
  startedAt: number | null;
  endedAt: number | null;
  exitCode: number | null;
  signal: string | null;
}

/** How a task's latest attempt ran, in a few words: `3.2 s · exit 1 · try 2` (elapsed while it runs, as of `now`; no exit code when it is 0). */
export function timingText(timing: TaskTiming | undefined, now: number): string {
  if (!timing) return '';
  const parts: string[] = [];
  if (timing.startedAt !== null) parts.push(duration((timing.endedAt ?? now) - timing.startedAt));
  // (Exit 0 goes without saying.)
  if (timing.exitCode !== null && timing.exitCode !== 0 && timing.endedAt !== null) parts.push(`exit ${timing.exitCode}`);
  else if (timing.signal) parts.push(timing.signal);
  if (timing.attempts > 1) parts.push(`try ${timing.attempts}`);
  return parts.join(' · ');
}

/** When the first of these tasks started and the last ended (null while one runs; undefined: none started). */
export function spanOf(ids: readonly string[], timings: ReadonlyMap<string, TaskTiming>): { from: number; to: number | null } | undefined {
  let from = Infinity;
  let to: number | null = -Infinity;
  for (const id of ids) {
    const timing = timings.get(id);
    if (!timing || timing.startedAt === null) continue;
    from = Math.min(from, timing.startedAt);
    to = to === null || timing.endedAt === null ? null : Math.max(to, timing.endedAt);
  }
  return from === Infinity ? undefined : { from, to };
}

/** How many of these tasks took more than one try. */
export function retriedOf(ids: readonly string[], timings: ReadonlyMap<string, TaskTiming>): number {
  let retried = 0;
  for (const id of ids) if ((timings.get(id)?.attempts ?? 0) > 1) retried++;
  return retried;
}

/** The median time of the ended attempts of these tasks (a sweep's), null when none ended. */
export function medianTime(ids: readonly string[], timings: ReadonlyMap<string, TaskTiming>): number | null {
  const times: number[] = [];
  for (const id of ids) {
    const timing = timings.get(id);
    if (timing && timing.startedAt !== null && timing.endedAt !== null) times.push(timing.endedAt - timing.startedAt);
  }
  if (times.length === 0) return null;
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

export const ACTIVE: ReadonlySet<TaskState> = new Set(['submitted', 'running']);
/** States a task has ended in (the core's own set). */
export const ENDED: ReadonlySet<TaskState> = TERMINAL_STATES;
