/**
 * A foreach over a value a task publishes: `foreach: { m: "{{ tasks.plan.values.models }}" }`.
 * Its width is known only once `plan` has succeeded, so the node becomes a control task (a
 * loop of kind `foreach`, core/model/iteration.ts) that makes its instances then. Here: which
 * values a node's sweep reads, and what stands for them while the workflow is only checked.
 */
import type { PathSegment } from './errors.ts';
import type { Mapping } from './node-check.ts';
import type { NodeInstance, PendingReference } from './references.ts';

/** A value a sweep reads: `tasks.<task>.values.<path>`. */
export interface ValueRead {
  task: string;
  /** The value's name and any keys into it. */
  path: string[];
  /** The template as written, to point at. */
  needle: string;
}

const READ = /\{\{\s*tasks\.([\p{L}_][\p{L}\p{N}_-]*)\.values\.([\p{L}\p{N}_]+(?:\.[\p{L}\p{N}_-]+)*)\s*\}\}/gu;

/** The task values a node's `foreach` and `zip` read (none: an ordinary sweep, expanded when the file loads). */
export function valueReads(raw: Mapping): ValueRead[] {
  const reads: ValueRead[] = [];
  for (const key of ['foreach', 'zip'] as const) {
    const sweep = raw[key];
    if (sweep === null || typeof sweep !== 'object' || Array.isArray(sweep)) continue;
    for (const spec of Object.values(sweep)) {
      if (typeof spec !== 'string') continue;
      for (const found of spec.matchAll(READ)) reads.push({ task: found[1]!, path: found[2]!.split('.'), needle: found[0] });
    }
  }
  return reads;
}

/**
 * Stands for an element of a list not published yet, while a workflow is checked: every key
 * of it is another such value, so `{{ m }}` and `{{ m.name }}` both render (as `…`).
 */
const UNKNOWN: object = new Proxy(
  {},
  {
    get: (_target, key) => (key === 'toJSON' ? () => '…' : UNKNOWN),
    getOwnPropertyDescriptor: () => ({ value: UNKNOWN, writable: false, enumerable: false, configurable: true }),
    ownKeys: () => [],
  },
);

/** What the templates of a foreach over values see for `tasks` while the workflow is checked: each value read, a list of one unknown element. */
export function placeholderValues(reads: readonly ValueRead[]): Record<string, unknown> {
  const tasks: Record<string, Record<string, unknown>> = {};
  for (const read of reads) {
    let at = ((tasks[read.task] ??= { values: {} }).values as Record<string, unknown>);
    read.path.slice(0, -1).forEach((key) => (at = (at[key] ??= {}) as Record<string, unknown>));
    at[read.path.at(-1)!] = [UNKNOWN];
  }
  return tasks;
}

/** The task a sweep reads values of, to resolve as a `when` reads one: `from` (the control) depends on it, and `found` gets its id. */
export function readPending(read: ValueRead, from: NodeInstance, file: string, at: PathSegment[], found: (id: string) => void): PendingReference {
  return {
    from,
    names: [read.task],
    scalar: true,
    file,
    path: at,
    read: {
      needle: read.needle,
      resolved: (to) => {
        const [only] = to;
        if (to.length !== 1 || only?.task === undefined || only.control) return `foreach reads the values of '${read.task}', which is ${to.length !== 1 ? `a sweep of ${to.length} instances` : only?.control ? 'a loop (it publishes none)' : 'a group'}: name one task`;
        found(only.id);
        return undefined;
      },
    },
  };
}
