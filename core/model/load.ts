import path from 'node:path';
import { WorkflowError } from './errors.ts';
import type { Issue } from './errors.ts';
import { Expander } from './expand.ts';
import { linkTasks } from './references.ts';
import type { NodeInstance, Reference } from './references.ts';
import { topologicalOrder } from './graph.ts';
import { locateIssues, parseText, readSource } from './source.ts';
import type { Plan, TaskSpec } from './types.ts';

/** Options of `loadWorkflow`. */
export interface LoadOptions {
  /** Value of `{{ run.id }}`; a placeholder when only validating. */
  runId?: string;
  /** Overrides of `params`, e.g. from `flotilla run -p key=value`. */
  params?: Record<string, unknown>;
  /** Run root for relative `cwd` and `inputs`; default: the workflow file's folder. */
  workdir?: string;
  /** The file's text as edited but not yet saved; `file` still names it (and anchors includes). */
  text?: string;
}

/** Most issues reported at once; a broken sweep can otherwise repeat one problem thousands of times. */
const MAX_ISSUES = 50;

/**
 * Reads, validates and expands a workflow file into a plan. Throws `WorkflowError` with
 * every problem found, each positioned `FILE:LINE:COL`, and runs nothing.
 */
export function loadWorkflow(file: string, options: LoadOptions = {}): Plan {
  return loadWithSources(file, options).plan;
}

/**
 * `loadWorkflow`, also telling which files it read (with their texts) and whether the plan
 * depends on the run id (a template used `{{ run.id }}`): what a cache of plans needs.
 */
export function loadWithSources(file: string, options: LoadOptions = {}): { plan: Plan; texts: ReadonlyMap<string, string>; usesRunId: boolean } {
  const source = options.text === undefined ? readSource(file) : { file, text: options.text, data: parseText(file, options.text) };
  const root = path.resolve(options.workdir ?? path.dirname(file));
  const expander = new Expander(root, options.runId ?? 'RUN_ID', options.params ?? {});
  const expansion = expander.expand(file, source.text, source.data);
  fail(expander.issues, expander.texts);
  const tasks = expansion.tasks;
  const sorted = topologicalOrder(linkTasks(tasks, expansion.references));
  if ('cycle' in sorted) {
    fail([cycleIssue(sorted.cycle.map((i) => tasks[i]!), expansion.references)], expander.texts);
    throw new Error('unreachable');
  }
  const plan = {
    name: expansion.name,
    file: path.resolve(file),
    root,
    params: expansion.params,
    targets: expansion.targets,
    tasks: sorted.order.map((i) => tasks[i]!),
  };
  return { plan, texts: expander.texts, usesRunId: expander.usesRunId };
}

function fail(issues: Issue[], texts: Map<string, string>): void {
  if (issues.length === 0) return;
  const seen = new Set<string>();
  const unique = issues.filter((issue) => {
    const key = `${issue.file}\0${issue.path.join('\0')}\0${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const located = locateIssues(unique.slice(0, MAX_ISSUES), texts);
  located.sort((a, b) => (a.file === b.file ? (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0) : a.file < b.file ? -1 : 1));
  throw new WorkflowError(located);
}

function cycleIssue(cycle: TaskSpec[], references: Reference[]): Issue {
  // `cycle` lists tasks each running after the next; print it in the order work flows.
  const names = [...cycle, cycle[0]!].reverse().map((task) => task.id);
  // Point at an `after` entry that closes the cycle: from a node holding cycle[0], naming a node holding cycle[1].
  const holds = (node: NodeInstance, task: TaskSpec) => task.id === node.id || task.id.startsWith(`${node.id}/`);
  const second = cycle[1 % cycle.length]!;
  const culprit = references.find((reference) => holds(reference.from, cycle[0]!) && reference.to.some((target) => holds(target, second)));
  const where = culprit ?? references[0]!;
  return { file: where.file, path: where.entry === undefined ? where.path : [...where.path, where.entry], message: `dependency cycle: ${names.join(' → ')}` };
}
