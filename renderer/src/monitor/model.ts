/**
 * The run monitor's graph: one node per task, except that the instances of a sweep fold
 * into one node (with counts per state) until the user expands it, so a 10,000-task run
 * draws as a handful of nodes. No React here.
 */
import type { GraphTask, TaskState } from '../../../core/api/types.ts';
import { TERMINAL_STATES } from '../../../core/model/task-states.ts';

export interface MonitorNode {
  key: string;
  /** Declared path (`windows/production`). */
  path: string;
  /** Task ids in this node: one, or a sweep's instances. */
  tasks: string[];
  folded: boolean;
}

export interface MonitorShape {
  nodes: MonitorNode[];
  edges: { source: string; target: string }[];
  /** Node key of each task. */
  keyOf: Map<string, string>;
}

export function shape(tasks: readonly GraphTask[], expanded: ReadonlySet<string>): MonitorShape {
  const byPath = new Map<string, string[]>();
  for (const task of tasks) {
    const list = byPath.get(task.path);
    if (list) list.push(task.id);
    else byPath.set(task.path, [task.id]);
  }
  const nodes: MonitorNode[] = [];
  const keyOf = new Map<string, string>();
  for (const [path, ids] of byPath) {
    const fold = (ids.length > 1 || ids[0] !== path) && !expanded.has(path);
    if (fold) {
      nodes.push({ key: `sweep:${path}`, path, tasks: ids, folded: true });
      for (const id of ids) keyOf.set(id, `sweep:${path}`);
    } else {
      for (const id of ids) {
        nodes.push({ key: id, path, tasks: [id], folded: false });
        keyOf.set(id, id);
      }
    }
  }
  const seen = new Set<string>();
  const edges: MonitorShape['edges'] = [];
  for (const task of tasks) {
    const target = keyOf.get(task.id)!;
    for (const dep of task.after) {
      const source = keyOf.get(dep);
      if (source === undefined || source === target) continue;
      const id = `${source}\n${target}`;
      if (seen.has(id)) continue;
      seen.add(id);
      edges.push({ source, target });
    }
  }
  return { nodes, edges, keyOf };
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

export const ACTIVE: ReadonlySet<TaskState> = new Set(['submitted', 'running']);
/** States a task has ended in (the core's own set). */
export const ENDED: ReadonlySet<TaskState> = TERMINAL_STATES;
