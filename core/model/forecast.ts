/**
 * When a run will end, from how long its tasks took before (estimates.ts): what remains is
 * scheduled on paper the way the scheduler would run it — each target's `max_parallel` slots
 * (and the run's own cap), the longest remaining path first — with running tasks by how much
 * longer tasks that ran that long went on, queued jobs from the time their scheduler expects
 * to start them, and the rest by their median. Done three times (the estimates' low, median
 * and high figures) for a range. Pure: the caller reads the store (core/api/forecast.ts).
 */
import { PriorityQueue } from '../util/heap.ts';
import type { Bound, Durations, Estimate } from './estimates.ts';
import { loopKey } from './estimates.ts';
import type { TaskState } from './task-states.ts';
import { DONE_STATES, NEVER_DONE_STATES, TERMINAL_STATES } from './task-states.ts';

/** A running task is "likely stuck" past this many times its median … */
export const STUCK_FACTOR = 3;
/** … and at least this much past it (ms): a 2 s task that took 7 s is not stuck. */
export const STUCK_MIN_MS = 60_000;

export interface ForecastTask {
  id: string;
  path: string;
  target: string;
  state: TaskState;
  /** Indices (in this list) of the tasks it runs after. */
  after: readonly number[];
  /** A loop's control: its kind and `max`. */
  loop?: { kind: 'repeat' | 'foreach'; max: number | null } | undefined;
  /** When its latest attempt started running (running tasks). */
  startedAt?: number | null | undefined;
  /** When its scheduler expects to start its queued job (`squeue --start`), if it said. */
  expectedStart?: number | null | undefined;
}

export interface ForecastInput {
  now: number;
  tasks: readonly ForecastTask[];
  durations: Durations;
  /** Iterations' spans by loop (`loopKey`). */
  iterations: ReadonlyMap<string, Estimate>;
  /** How many tasks a target runs at once (`max_parallel`). */
  capacity: (target: string) => number;
  /** The run's own cap on tasks at once (`--max-parallel`), if any. */
  cap?: number | undefined;
  /** Each open task's forecast start and end too (for the timeline). */
  withTasks?: boolean;
}

/** What a forecast says of a run; times in ms since the epoch. */
export interface RunForecast {
  at: number;
  /** When the run is expected to end (null: nothing is left, or nothing can be said). */
  eta: number | null;
  /** The likely range around it. */
  low: number | null;
  high: number | null;
  /** The run ends no sooner: some tasks have no history, a loop may make more iterations, or a foreach has yet to make its tasks. */
  atLeast: boolean;
  /** Tasks not ended yet, and how many of them have no history to go by. */
  remaining: number;
  unknown: number;
  /** The share of the run's estimated work done (0–1), null when nothing is known. */
  progress: number | null;
  /** Loops (`repeat … until`) still going: what an iteration takes; how many more is unknown. */
  loops: { task: string; perIteration: number | null; made: number; max: number | null }[];
  /** Running tasks far past their estimate. */
  stuck: { task: string; elapsed: number; estimate: number }[];
  /** With `withTasks`: each open task's forecast start and end, and its estimate (null: none). */
  tasks?: { task: string; start: number; end: number; estimate: number | null }[];
}

/** The open part of a run as a graph: indices of open tasks, each one's open predecessors and successors. */
interface OpenGraph {
  open: number[];
  succ: Map<number, number[]>;
  indegree: Map<number, number>;
  /** Each open loop control's open tasks (at any depth). */
  children: Map<number, number[]>;
}

export function forecastRun(input: ForecastInput): RunForecast {
  const { now, tasks } = input;
  const graph = openGraph(tasks);
  const unknown = new Set<number>();
  const runs = (['median', 'low', 'high'] as const).map((bound) => schedule(input, graph, bound, unknown));
  const [median, low, high] = runs as [Scheduled, Scheduled, Scheduled];
  const loops: RunForecast['loops'] = [];
  for (const i of graph.open) {
    const task = tasks[i]!;
    if (task.loop?.kind !== 'repeat') continue;
    const made = new Set(graph.children.get(i)?.map((child) => tasks[child]!.id.slice(task.id.length + 1).split('/')[0]));
    loops.push({ task: task.id, perIteration: input.iterations.get(loopKey(task.id))?.median ?? null, made: madeIterations(tasks, task.id, made.size), max: task.loop.max });
  }
  const stuck: RunForecast['stuck'] = [];
  for (const i of graph.open) {
    const task = tasks[i]!;
    if (task.state !== 'running' || !task.startedAt) continue;
    const estimate = input.durations.of(task.path, task.target);
    const elapsed = now - task.startedAt;
    if (estimate && elapsed > STUCK_FACTOR * estimate.median && elapsed - estimate.median > STUCK_MIN_MS) stuck.push({ task: task.id, elapsed, estimate: estimate.median });
  }
  const left = graph.open.filter((i) => !tasks[i]!.loop).length;
  // A foreach over a value not published yet: how many tasks it makes is not known.
  const unexpanded = graph.open.some((i) => tasks[i]!.loop?.kind === 'foreach' && (graph.children.get(i)?.length ?? 0) === 0);
  const forecast: RunForecast = {
    at: now,
    eta: left === 0 && loops.length === 0 ? null : median.end,
    low: left === 0 && loops.length === 0 ? null : Math.min(low.end, median.end),
    high: left === 0 && loops.length === 0 ? null : Math.max(high.end, median.end),
    atLeast: unknown.size > 0 || loops.length > 0 || unexpanded,
    remaining: left,
    unknown: unknown.size,
    // (With tasks left that nothing times, the share done cannot be told.)
    progress: unknown.size > 0 ? null : progressOf(input, graph, median),
    loops,
    stuck,
  };
  if (input.withTasks) {
    forecast.tasks = graph.open
      .filter((i) => !tasks[i]!.loop)
      .map((i) => ({ task: tasks[i]!.id, start: median.start.get(i)!, end: median.finish.get(i)!, estimate: input.durations.of(tasks[i]!.path, tasks[i]!.target)?.median ?? null }));
  }
  return forecast;
}

/** How many iterations a loop made: one past the highest index among its tasks (ended ones too). */
function madeIterations(tasks: readonly ForecastTask[], control: string, open: number): number {
  let made = 0;
  const prefix = `${control}#`;
  for (const task of tasks) {
    if (!task.id.startsWith(prefix)) continue;
    const index = Number(task.id.slice(prefix.length).split('/')[0]);
    if (Number.isInteger(index)) made = Math.max(made, index + 1);
  }
  return Math.max(made, open);
}

function openGraph(tasks: readonly ForecastTask[]): OpenGraph {
  // A task after one that failed (or was blocked, or cancelled) will never run: not counted.
  const dead = new Set<number>();
  const open: number[] = [];
  for (let i = 0; i < tasks.length; i++) {
    const task = tasks[i]!;
    if (TERMINAL_STATES.has(task.state)) continue;
    if (task.after.some((dep) => dead.has(dep) || NEVER_DONE_STATES.has(tasks[dep]!.state))) {
      dead.add(i);
      continue;
    }
    open.push(i);
  }
  const isOpen = new Set(open);
  const succ = new Map<number, number[]>();
  const indegree = new Map<number, number>(open.map((i) => [i, 0]));
  const edge = (from: number, to: number) => {
    const list = succ.get(from);
    if (list) list.push(to);
    else succ.set(from, [to]);
    indegree.set(to, indegree.get(to)! + 1);
  };
  for (const i of open) for (const dep of tasks[i]!.after) if (isOpen.has(dep)) edge(dep, i);
  // A loop's control ends after its iterations' tasks (those made so far, at any depth).
  const controls = new Map<string, number>();
  for (const i of open) if (tasks[i]!.loop) controls.set(tasks[i]!.id, i);
  const children = new Map<number, number[]>();
  if (controls.size > 0) {
    for (const i of open) {
      const id = tasks[i]!.id;
      for (let at = id.indexOf('#'); at > 0; at = id.indexOf('#', at + 1)) {
        const control = controls.get(id.slice(0, at));
        if (control === undefined) continue;
        edge(i, control);
        const list = children.get(control);
        if (list) list.push(i);
        else children.set(control, [i]);
      }
    }
  }
  return { open, succ, indegree, children };
}

interface Scheduled {
  end: number;
  start: Map<number, number>;
  finish: Map<number, number>;
  /** Each open task's remaining time as this schedule took it (null: unknown). */
  duration: Map<number, number | null>;
}

/** How long an open task will still take by `bound` (null: no history). */
function durationOf(input: ForecastInput, graph: OpenGraph, i: number, bound: Bound): number | null {
  const task = input.tasks[i]!;
  if (task.loop) {
    if ((graph.children.get(i)?.length ?? 0) > 0) return 0;
    // A loop that has not made its first iteration: one iteration at least.
    const span = input.iterations.get(loopKey(task.id));
    return span ? span[bound] : null;
  }
  if (task.state === 'running' && task.startedAt) return input.durations.remaining(task.path, task.target, Math.max(0, input.now - task.startedAt), bound) ?? null;
  const estimate = input.durations.of(task.path, task.target);
  const queued = task.state === 'submitted' && task.expectedStart ? Math.max(0, task.expectedStart - input.now) : 0;
  // Without history a queued job still starts no sooner than its scheduler says.
  return estimate ? queued + estimate[bound] : queued > 0 ? queued : null;
}

/** Whether nothing says how long an open task takes (its loop's control aside). */
function unknownTime(input: ForecastInput, task: ForecastTask): boolean {
  if (task.loop) return false;
  return input.durations.of(task.path, task.target) === undefined;
}

/** List scheduling of the open tasks from `now`: what starts when, and when the last ends. */
function schedule(input: ForecastInput, graph: OpenGraph, bound: Bound, unknown: Set<number>): Scheduled {
  const { tasks, now } = input;
  const duration = new Map<number, number | null>();
  for (const i of graph.open) {
    const ms = durationOf(input, graph, i, bound);
    duration.set(i, ms);
    if (unknownTime(input, tasks[i]!)) unknown.add(i);
  }
  // Longest remaining path from each task (its priority, as the scheduler's): in reverse topological order.
  const order = topological(graph);
  const tail: number[] = new Array<number>(tasks.length).fill(0);
  for (let k = order.length - 1; k >= 0; k--) {
    const i = order[k]!;
    let longest = 0;
    for (const next of graph.succ.get(i) ?? []) longest = Math.max(longest, tail[next]!);
    tail[i] = (duration.get(i) ?? 0) + longest;
  }
  const indegree = new Map(graph.indegree);
  const slots = new Slots(input);
  // Ends, soonest first: a task ends once, so its end time (negated) is its priority.
  const endsAt: number[] = new Array<number>(tasks.length).fill(0);
  const ends = new PriorityQueue(endsAt);
  const ready = new Map<string, PriorityQueue>();
  const start = new Map<number, number>();
  const finish = new Map<number, number>();
  const begin = (i: number, at: number) => {
    start.set(i, at);
    slots.take(tasks[i]!);
    endsAt[i] = -(at + (duration.get(i) ?? 0));
    ends.push(i);
  };
  const enqueue = (i: number) => {
    const key = tasks[i]!.loop ? '' : tasks[i]!.target;
    let queue = ready.get(key);
    if (!queue) ready.set(key, (queue = new PriorityQueue(tail)));
    queue.push(i);
  };
  // What runs goes on from now; the rest waits for its turn — a submitted task too: a target
  // that follows edges (SLURM's afterok, the local launcher) holds it until its dependencies
  // end, and a queued job does not run before a slot frees. (A loop's control "runs" while its
  // iterations do: it ends after them.)
  for (const i of graph.open) if (!tasks[i]!.loop && tasks[i]!.state === 'running') begin(i, now);
  for (const i of graph.open) if (!start.has(i) && indegree.get(i) === 0) enqueue(i);
  let t = now;
  for (;;) {
    for (let i = slots.next(ready, tail); i !== undefined; i = slots.next(ready, tail)) begin(i, t);
    const i = ends.pop();
    if (i === undefined) break;
    t = -endsAt[i]!;
    finish.set(i, t);
    slots.give(tasks[i]!);
    for (const after of graph.succ.get(i) ?? []) {
      indegree.set(after, indegree.get(after)! - 1);
      if (indegree.get(after) === 0 && !start.has(after)) enqueue(after);
    }
  }
  return { end: t, start, finish, duration };
}

/** Each target's free slots and the run's: a loop's control takes none. */
class Slots {
  private readonly free = new Map<string, number>();
  private global: number;
  private readonly capacity: (target: string) => number;

  constructor(input: ForecastInput) {
    this.global = input.cap ?? Infinity;
    this.capacity = input.capacity;
  }

  take(task: ForecastTask): void {
    if (task.loop) return;
    this.free.set(task.target, this.freeOn(task.target) - 1);
    this.global -= 1;
  }

  give(task: ForecastTask): void {
    if (task.loop) return;
    this.free.set(task.target, this.freeOn(task.target) + 1);
    this.global += 1;
  }

  /** The ready task to start now, if a slot is free: a loop's control first, then the longest remaining path of those whose target has a slot. */
  next(ready: ReadonlyMap<string, PriorityQueue>, tail: readonly number[]): number | undefined {
    const controls = ready.get('');
    if (controls && controls.size > 0) return controls.pop();
    if (this.global <= 0) return undefined;
    let best: PriorityQueue | undefined;
    for (const [target, queue] of ready) {
      if (target === '' || queue.size === 0 || this.freeOn(target) <= 0) continue;
      if (!best || tail[queue.peek()!]! > tail[best.peek()!]!) best = queue;
    }
    return best?.pop();
  }

  private freeOn(target: string): number {
    return this.free.get(target) ?? this.capacity(target);
  }
}

function topological(graph: OpenGraph): number[] {
  const indegree = new Map(graph.indegree);
  const order = graph.open.filter((i) => indegree.get(i) === 0);
  for (let k = 0; k < order.length; k++) {
    for (const next of graph.succ.get(order[k]!) ?? []) {
      indegree.set(next, indegree.get(next)! - 1);
      if (indegree.get(next) === 0) order.push(next);
    }
  }
  return order;
}

/** The share of the estimated work done: each ended task's estimate (and a running one's elapsed time) against what remains. */
function progressOf(input: ForecastInput, graph: OpenGraph, scheduled: Scheduled): number | null {
  let done = 0;
  let left = 0;
  const isOpen = new Set(graph.open);
  for (let i = 0; i < input.tasks.length; i++) {
    const task = input.tasks[i]!;
    if (task.loop) continue;
    if (isOpen.has(i)) {
      left += scheduled.duration.get(i) ?? 0;
      // A task running past its usual time has done no more than its usual work.
      if (task.state === 'running' && task.startedAt) done += Math.min(Math.max(0, input.now - task.startedAt), input.durations.of(task.path, task.target)?.median ?? Infinity);
    } else if (DONE_STATES.has(task.state) || task.state === 'failed') {
      done += input.durations.of(task.path, task.target)?.median ?? 0;
    }
  }
  return done + left > 0 ? done / (done + left) : null;
}
