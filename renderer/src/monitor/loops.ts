/**
 * Loops in the run monitor. A loop's iterations add tasks while the run goes (`md#0/run`,
 * `md#1/run`, … and, in a loop in a loop, `outer#1/inner#2/step`), thousands in a long one: each
 * of them is drawn in its outermost loop's node, its control's, unless the user opened its
 * iteration (one iteration of a loop at a time). What that node shows of them (a cell per
 * iteration, the values the latest one published) is worked out here. No React here.
 */
import type { GraphTask, TaskState } from '../../../core/api/types.ts';

/** Where a task is drawn when it is not its own node: in this control's node, as part of this iteration of it. */
export interface Fold {
  control: string;
  index: number;
}

/** What the status says of a run's loops and published values (run-store.ts keeps them). */
export interface LoopFacts {
  /** A control's iterations so far and its most. */
  loops: ReadonlyMap<string, { iterations: number; max: number }>;
  /** What each task's latest attempt published. */
  values: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
}

export const NO_FACTS: LoopFacts = { loops: new Map(), values: new Map() };

/** What a loop's node shows: the same fields give the same node. */
export interface LoopView {
  /** Iterations made so far (the one running included). */
  made: number;
  max: number;
  /** The latest iterations' states, oldest first, at most STRIP of them. */
  cells: { index: number; state: TaskState }[];
  /** Iterations before the first cell. */
  earlier: number;
  /** The iteration drawn open, if any. */
  open: number | null;
  /** `name=value` pairs the latest iteration that published anything published, and which that was. */
  values: string[];
  valuesOf: number | null;
}

/** Cells in a loop's strip: a long loop shows its latest iterations. */
export const STRIP = 40;
/** Pairs of values a loop's node shows, and how long a value's text may be there. */
const SHOWN_VALUES = 3;
const VALUE_CHARS = 18;

/**
 * Each task drawn in a loop's node, with the iteration it belongs to. A task of an iteration
 * is folded unless its control is drawn as a node of its own and that iteration is the one
 * opened (`opened`: control id → iteration); a task of a folded control folds where the control
 * does. O(tasks): each task's place is found once.
 */
export function foldLoops(tasks: readonly GraphTask[], byId: ReadonlyMap<string, GraphTask>, opened: ReadonlyMap<string, number>): Map<string, Fold> {
  const places = new Map<string, Fold | null>();
  const place = (id: string): Fold | null => {
    const known = places.get(id);
    if (known !== undefined) return known;
    const iteration = byId.get(id)?.iteration;
    let result: Fold | null = null;
    if (iteration) result = place(iteration.of) ?? (opened.get(iteration.of) === iteration.index ? null : { control: iteration.of, index: iteration.index });
    places.set(id, result);
    return result;
  };
  const folds = new Map<string, Fold>();
  for (const task of tasks) {
    if (!task.iteration) continue;
    const fold = place(task.id);
    if (fold) folds.set(task.id, fold);
  }
  return folds;
}

/** Whether `task` belongs to an iteration (at any depth) of the loop whose control is `control`. */
export function isInside(task: GraphTask, control: string, byId: ReadonlyMap<string, GraphTask>): boolean {
  for (let at = task.iteration; at; at = byId.get(at.of)?.iteration) if (at.of === control) return true;
  return false;
}

/** How an iteration stands, from its tasks: failed if any failed, running if any runs, else done, skipped or waiting. */
export function iterationState(ids: readonly string[], states: ReadonlyMap<string, TaskState>): TaskState {
  let running = false;
  let waiting = false;
  let blocked = false;
  let cancelled = false;
  let done = false;
  for (const id of ids) {
    const state = states.get(id) ?? 'waiting';
    if (state === 'failed') return 'failed';
    if (state === 'running' || state === 'submitted') running = true;
    else if (state === 'waiting' || state === 'ready') waiting = true;
    else if (state === 'blocked') blocked = true;
    else if (state === 'cancelled') cancelled = true;
    else if (state !== 'skipped') done = true;
  }
  if (cancelled) return 'cancelled';
  if (blocked) return 'blocked';
  if (running) return 'running';
  if (waiting || ids.length === 0) return 'waiting';
  return done ? 'succeeded' : 'skipped';
}

/** A control's state as shown: waiting for its iterations once the first is made is running. */
export function shownLoopState(state: TaskState, made: number): TaskState {
  return state === 'waiting' && made > 0 ? 'running' : state;
}

/** What a loop's node shows now. `iterations`: its tasks by iteration (shape's). */
export function loopView(control: string, iterations: readonly (readonly string[])[], open: number | null, max: number, states: ReadonlyMap<string, TaskState>, facts: LoopFacts): LoopView {
  const made = Math.max(iterations.length, facts.loops.get(control)?.iterations ?? 0);
  const first = Math.max(0, iterations.length - STRIP);
  const cells: LoopView['cells'] = [];
  for (let index = first; index < iterations.length; index++) cells.push({ index, state: iterationState(iterations[index] ?? [], states) });
  const published = latestValues(iterations, facts.values);
  return { made, max: facts.loops.get(control)?.max ?? max, cells, earlier: first, open, values: published.values, valuesOf: published.index };
}

/**
 * The `name=value` pairs of the latest iteration that published anything (a few, each cut
 * short). Within it, a name's latest value: its tasks are read from the last one back (an
 * inner loop's later iterations come after its earlier ones).
 */
function latestValues(iterations: readonly (readonly string[])[], values: LoopFacts['values']): { values: string[]; index: number | null } {
  const depth = (id: string) => id.split('#').length;
  for (let index = iterations.length - 1; index >= 0; index--) {
    // The iteration's own tasks before those of loops inside it (what `until` reads is among them).
    const ids = [...(iterations[index] ?? [])].sort((a, b) => depth(b) - depth(a));
    const pairs = new Map<string, string>();
    for (let i = ids.length - 1; i >= 0 && pairs.size < SHOWN_VALUES; i--) {
      for (const [name, value] of Object.entries(values.get(ids[i]!) ?? {})) {
        if (pairs.has(name) || pairs.size >= SHOWN_VALUES) continue;
        const text = JSON.stringify(value) ?? String(value);
        pairs.set(name, `${name}=${text.length > VALUE_CHARS ? `${text.slice(0, VALUE_CHARS - 1)}…` : text}`);
      }
    }
    if (pairs.size > 0) return { values: [...pairs.values()], index };
  }
  return { values: [], index: null };
}

/** Whether two views of a loop show the same. */
export function sameLoopView(a: LoopView | undefined, b: LoopView | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.made !== b.made || a.max !== b.max || a.open !== b.open || a.earlier !== b.earlier || a.valuesOf !== b.valuesOf) return false;
  if (a.cells.length !== b.cells.length || a.values.length !== b.values.length) return false;
  return a.cells.every((cell, i) => cell.state === b.cells[i]!.state) && a.values.every((pair, i) => pair === b.values[i]);
}
