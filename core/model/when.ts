/**
 * `when` on a task or group: a condition (core/model/expr.ts) read when the workflow loads.
 * Every name it reads must exist: a param, a sweep variable in scope, or a task's published
 * values (`tasks.<name>.values.<value>`) or whether it was skipped (`tasks.<name>.skipped`).
 * A task it reads is found as an `after` entry is (a sibling first, then up the groups) and
 * becomes a dependency: a condition is decided once what it reads is there.
 */
import { didYouMean } from './errors.ts';
import type { Issue, PathSegment } from './errors.ts';
import { ExprSyntaxError, namesOf, parseExpr } from './expr.ts';
import type { NameExpr } from './expr.ts';
import type { NodeInstance, PendingReference } from './references.ts';
import type { WhenSpec } from './types.ts';
import { VALUE_NAME } from './values.ts';

export interface WhenPlace {
  file: string;
  /** Where the `when` key is. */
  at: PathSegment[];
  /** The task or group instance it belongs to (names are found from there). */
  from: NodeInstance;
  /** Sweep variables in scope (and `repeat` inside a group that repeats). */
  vars: Record<string, unknown>;
  params: Record<string, unknown>;
  /** Which key it is: `when`, or a loop's `until`. */
  key?: 'when' | 'until';
}

type Report = (at: PathSegment[], message: string, extra?: Partial<Issue>) => void;

/**
 * Reads a `when`; undefined (with its problems reported) when it cannot be one. The tasks it
 * reads are queued in `pending`, to be resolved with the `after` entries.
 */
export function readWhen(raw: unknown, place: WhenPlace, pending: PendingReference[], issue: Report): WhenSpec | undefined {
  const key = place.key ?? 'when';
  const text = typeof raw === 'boolean' ? String(raw) : raw;
  if (typeof text !== 'string') {
    issue(place.at, `'${key}' must be a condition, like "not params.misfit_only" or "tasks.check.values.done == false"`);
    return undefined;
  }
  let expr;
  try {
    expr = parseExpr(text);
  } catch (error) {
    if (!(error instanceof ExprSyntaxError)) throw error;
    issue(place.at, `${key}: ${error.message}`, { needle: error.needle || undefined });
    return undefined;
  }
  const spec: WhenSpec = { expr: text, tasks: {} };
  let ok = true;
  for (const name of namesOf(expr)) {
    const problem = checkName(name, place, spec, pending);
    if (problem) {
      ok = false;
      issue(place.at, `${key}: ${problem}`, { needle: name.text });
    }
  }
  return ok ? spec : undefined;
}

/** What is wrong with a name a condition reads (undefined: nothing); a task it reads is queued for resolution. */
function checkName(name: NameExpr, place: WhenPlace, spec: WhenSpec, pending: PendingReference[]): string | undefined {
  const [head, ...rest] = name.path;
  if (head === 'params') {
    const param = rest[0];
    if (param === undefined) return undefined;
    if (typeof param !== 'string' || !Object.hasOwn(place.params, param)) return `unknown param '${String(param)}'${didYouMean(String(param), Object.keys(place.params))}`;
    return undefined;
  }
  if (head === 'tasks') {
    const [task, what, value] = rest;
    const shape = "write tasks.<task>.values.<name> (a value it published) or tasks.<task>.skipped; a task whose name has '/' or '[' as tasks['group/task']";
    if (typeof task !== 'string') return `'${name.text}': ${shape}`;
    if (!(what === 'skipped' && rest.length === 2) && !(what === 'values' && typeof value === 'string')) return `'${name.text}': ${shape}`;
    if (what === 'values' && !VALUE_NAME.test(value as string)) return `'${name.text}': a published value's name is letters, digits and _`;
    if (!Object.hasOwn(spec.tasks, task)) {
      spec.tasks[task] = '';
      pending.push({
        from: place.from,
        names: [task],
        scalar: true,
        file: place.file,
        path: place.at,
        read: {
          needle: name.text,
          resolved: (to) => {
            const [only] = to;
            if (to.length !== 1 || only === undefined) return `${place.key ?? 'when'} reads '${task}', a sweep of ${to.length} instances: the values of one are read by a task in the same sweep instance`;
            if (only.task === undefined) return `${place.key ?? 'when'} reads '${task}', a group: name one of its tasks, like tasks['${task}/${[...(only.children?.keys() ?? [])][0] ?? 'task'}']`;
            if (only.control) return `${place.key ?? 'when'} reads '${task}', a loop, which publishes no values: read them from a task after it that does`;
            spec.tasks[task] = only.id;
            return undefined;
          },
        },
      });
    }
    return undefined;
  }
  if (head === 'repeat') {
    if (!Object.hasOwn(place.vars, 'repeat')) return `'${name.text}': repeat.index and repeat.previous are known only inside a group that repeats`;
    return checkRepeatName(name, place.vars.repeat);
  }
  if (typeof head === 'string' && Object.hasOwn(place.vars, head)) return undefined;
  const known = [...Object.keys(place.vars), 'params', 'tasks'];
  return `unknown name '${String(head)}'${didYouMean(String(head), known)}: a condition reads params.<name>, tasks.<task>.values.<name>, tasks.<task>.skipped and sweep variables`;
}

/** `repeat.index`, `repeat.previous`, and the same of each enclosing loop as `repeat.outer.…`. */
function checkRepeatName(name: NameExpr, repeat: unknown): string | undefined {
  let at = repeat as Record<string, unknown> | undefined;
  const parts = name.path.slice(1);
  for (const [k, part] of parts.entries()) {
    if (part === 'outer' && k < parts.length - 1) {
      at = at?.outer as Record<string, unknown> | undefined;
      if (at === undefined) return `'${name.text}': there is no loop around this one`;
      continue;
    }
    if ((part === 'index' || part === 'previous') && k === parts.length - 1) return undefined;
    break;
  }
  return `'${name.text}': a loop gives repeat.index, repeat.previous, and an enclosing loop's as repeat.outer.index`;
}
