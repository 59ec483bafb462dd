/**
 * The task graph as integer adjacency lists: the form the validator, the planner and the
 * scheduler share. Every function here is O(tasks + edges).
 */

/** Dependencies and dependents by task index. */
export interface TaskGraph {
  /** `deps[i]`: indices task i runs after. */
  deps: number[][];
  /** `dependents[i]`: indices that run after task i. */
  dependents: number[][];
}

/** Builds index adjacency from ids; dependencies on ids outside `ids` are dropped. */
export function buildGraph(ids: readonly string[], after: readonly (readonly string[])[]): TaskGraph {
  const index = new Map<string, number>();
  ids.forEach((id, i) => index.set(id, i));
  const deps: number[][] = ids.map(() => []);
  const dependents: number[][] = ids.map(() => []);
  for (let i = 0; i < ids.length; i++) {
    for (const dep of after[i]!) {
      const j = index.get(dep);
      if (j === undefined) continue;
      deps[i]!.push(j);
      dependents[j]!.push(i);
    }
  }
  return { deps, dependents };
}

/**
 * A topological order (declaration order kept where the graph allows), or one cycle as
 * a list of indices `a, b, …` where a runs after b, b after …, and the last after a.
 */
export function topologicalOrder(graph: TaskGraph): { order: number[] } | { cycle: number[] } {
  const count = graph.deps.length;
  const waiting = graph.deps.map((deps) => deps.length);
  const order: number[] = [];
  for (let i = 0; i < count; i++) if (waiting[i] === 0) order.push(i);
  for (let head = 0; head < order.length; head++) {
    for (const dependent of graph.dependents[order[head]!]!) {
      if (--waiting[dependent]! === 0) order.push(dependent);
    }
  }
  if (order.length === count) return { order };
  return { cycle: findCycle(graph, waiting) };
}

/** Walks unfinished dependencies from an unfinished task until one repeats. */
function findCycle(graph: TaskGraph, waiting: number[]): number[] {
  const start = waiting.findIndex((left) => left > 0);
  const seenAt = new Map<number, number>();
  const path: number[] = [];
  let current = start;
  while (!seenAt.has(current)) {
    seenAt.set(current, path.length);
    path.push(current);
    current = graph.deps[current]!.find((dep) => waiting[dep]! > 0)!;
  }
  return path.slice(seenAt.get(current));
}

/**
 * Priority of each task: the number of tasks on the longest path from it to the end of
 * the graph (itself included). Running long chains first shortens the whole run.
 */
export function remainingPathLengths(graph: TaskGraph, order: readonly number[]): number[] {
  const lengths = new Array<number>(order.length).fill(1);
  for (let k = order.length - 1; k >= 0; k--) {
    const task = order[k]!;
    let longest = 0;
    for (const dependent of graph.dependents[task]!) longest = Math.max(longest, lengths[dependent]!);
    lengths[task] = longest + 1;
  }
  return lengths;
}
