import { RESERVED_VARIABLES } from './keys.ts';
import { renderTemplate } from './template.ts';
import type { TemplateVars } from './template.ts';
import type { PathSegment } from './errors.ts';

/** A problem with a sweep, relative to the node's path. */
export interface SweepProblem {
  path: PathSegment[];
  message: string;
  needle?: string;
}

/** One instance's bindings of sweep variables. */
export type SweepRow = Record<string, unknown>;

const VARIABLE = /^[\p{L}_][\p{L}\p{N}_]*$/u;

/**
 * Most tasks a workflow expands to (all sweeps and groups together), and so most instances of
 * one sweep. A plan of this many takes about a gigabyte; past it a typo like an extra zero in a
 * range would exhaust memory before anything could be said.
 */
export const MAX_TASKS = 250_000;

function count(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * The instances of a node: the cartesian product of `foreach` (first variable outermost)
 * times the element-wise pairing of `zip`. `undefined` when the node is not swept.
 */
export function sweepRows(
  foreach: unknown,
  zip: unknown,
  vars: TemplateVars,
  outer: ReadonlySet<string>,
  /** An empty list gives no instances rather than a problem (a foreach over a value a task published). */
  emptyAllowed = false,
): { rows?: SweepRow[]; problems: SweepProblem[] } {
  const problems: SweepProblem[] = [];
  if (foreach === undefined && zip === undefined) return { problems };
  let rows: SweepRow[] = [{}];
  if (foreach !== undefined) {
    const columns = readColumns('foreach', foreach, vars, outer, problems, emptyAllowed);
    const product = columns.reduce((total, [, values]) => total * values.length, 1);
    if (product > MAX_TASKS) {
      const factors = columns.map(([name, values]) => `${name}: ${count(values.length)}`).join(' × ');
      problems.push({ path: ['foreach'], message: `foreach gives ${count(product)} instances (${factors}); a workflow has at most ${count(MAX_TASKS)} tasks` });
      return { rows: [], problems };
    }
    for (const [name, values] of columns) {
      const next: SweepRow[] = [];
      for (const row of rows) for (const value of values) next.push({ ...row, [name]: value });
      rows = next;
    }
  }
  if (zip !== undefined) {
    const columns = readColumns('zip', zip, vars, outer, problems, emptyAllowed);
    const length = zipLength(columns, problems);
    if (length !== undefined) {
      if (length * rows.length > MAX_TASKS) {
        problems.push({ path: ['zip'], message: `this sweep gives ${count(length * rows.length)} instances; a workflow has at most ${count(MAX_TASKS)} tasks` });
        return { rows: [], problems };
      }
      const zipped: SweepRow[] = [];
      for (let i = 0; i < length; i++) {
        const pairing: SweepRow = {};
        for (const [name, values] of columns) pairing[name] = values[i];
        zipped.push(pairing);
      }
      const next: SweepRow[] = [];
      for (const row of rows) for (const pairing of zipped) next.push({ ...row, ...pairing });
      rows = next;
    }
  }
  return { rows: problems.length > 0 ? [] : rows, problems };
}

/**
 * How many instances a node's sweep makes, by `sweepRows`'s rules without making them (the
 * editor shows the count on a sweep's node as it is edited). `count` is undefined when the
 * node is not swept, or when the sweep has problems (then `problems` says which).
 */
export function sweepCount(foreach: unknown, zip: unknown, vars: TemplateVars, outer: ReadonlySet<string>): { count?: number; problems: SweepProblem[] } {
  const problems: SweepProblem[] = [];
  if (foreach === undefined && zip === undefined) return { problems };
  let total = 1;
  if (foreach !== undefined) total *= readColumns('foreach', foreach, vars, outer, problems).reduce((product, [, values]) => product * values.length, 1);
  if (zip !== undefined) total *= zipLength(readColumns('zip', zip, vars, outer, problems), problems) ?? 1;
  if (total > MAX_TASKS) problems.push({ path: [foreach !== undefined ? 'foreach' : 'zip'], message: `this sweep gives ${count(total)} instances; a workflow has at most ${count(MAX_TASKS)} tasks` });
  return problems.length > 0 ? { problems } : { count: total, problems };
}

/** The length of the lists `zip` pairs (they must all have it); undefined with none or a problem. */
function zipLength(columns: [string, unknown[]][], problems: SweepProblem[]): number | undefined {
  const lengths = new Set(columns.map(([, values]) => values.length));
  if (lengths.size > 1) {
    const shown = columns.map(([name, values]) => `${name}: ${values.length}`).join(', ');
    problems.push({ path: ['zip'], message: `zip lists must have the same length (${shown})` });
    return undefined;
  }
  return columns.length > 0 ? columns[0]![1].length : undefined;
}

function readColumns(
  key: 'foreach' | 'zip',
  raw: unknown,
  vars: TemplateVars,
  outer: ReadonlySet<string>,
  problems: SweepProblem[],
  emptyAllowed = false,
): [string, unknown[]][] {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || Object.keys(raw).length === 0) {
    problems.push({ path: [key], message: `${key} must map variable names to lists of values, like { w: [0, 1, 2] }` });
    return [];
  }
  const columns: [string, unknown[]][] = [];
  for (const [name, spec] of Object.entries(raw as Record<string, unknown>)) {
    const at = [key, name];
    if (!VARIABLE.test(name)) {
      problems.push({ path: at, message: `sweep variable '${name}' must be a name of letters, digits and _`, needle: undefined });
      continue;
    }
    if ((RESERVED_VARIABLES as readonly string[]).includes(name)) {
      problems.push({ path: at, message: `sweep variable '${name}' is reserved (${RESERVED_VARIABLES.join(', ')} are built in)` });
      continue;
    }
    if (outer.has(name)) {
      problems.push({ path: at, message: `sweep variable '${name}' is already bound by an enclosing group; choose another name` });
      continue;
    }
    const values = readValues(spec, vars, at, problems, emptyAllowed);
    if (values) columns.push([name, values]);
  }
  return columns;
}

function readValues(spec: unknown, vars: TemplateVars, at: PathSegment[], problems: SweepProblem[], emptyAllowed = false): unknown[] | undefined {
  if (Array.isArray(spec)) {
    if (spec.length === 0 && !emptyAllowed) problems.push({ path: at, message: `sweep variable '${String(at[1])}' has no values` });
    return spec;
  }
  if (typeof spec === 'string') {
    const rendered = renderTemplate(spec, vars);
    if ('problem' in rendered) {
      problems.push({ path: at, message: rendered.problem.message, needle: rendered.problem.needle });
      return undefined;
    }
    if (Array.isArray(rendered.value)) return readValues(rendered.value, vars, at, problems, emptyAllowed);
    if (rendered.value !== null && typeof rendered.value === 'object') return readValues(rendered.value, vars, at, problems);
    problems.push({ path: at, message: `sweep values must be a list; '${spec}' gives ${JSON.stringify(rendered.value)}` });
    return undefined;
  }
  if (spec !== null && typeof spec === 'object' && 'range' in spec) {
    const range = (spec as { range: unknown }).range;
    const numbers = Array.isArray(range) && range.length >= 1 && range.length <= 3 && range.every((n) => Number.isInteger(n));
    const [start, stop, step] = !numbers ? [0, 0, 0] : range.length === 1 ? [0, range[0], 1] : [range[0], range[1], range[2] ?? 1];
    if (!numbers || step === 0) {
      problems.push({ path: [...at, 'range'], message: 'range must be [stop], [start, stop] or [start, stop, step] of integers, step not 0 (stop is excluded)' });
      return undefined;
    }
    const length = Math.max(0, Math.ceil(((stop as number) - (start as number)) / (step as number)));
    if (length > MAX_TASKS) {
      problems.push({ path: [...at, 'range'], message: `range ${JSON.stringify(range)} gives ${count(length)} values; a workflow has at most ${count(MAX_TASKS)} tasks` });
      return undefined;
    }
    const values: number[] = [];
    for (let n = start as number; step > 0 ? n < (stop as number) : n > (stop as number); n += step as number) values.push(n);
    if (values.length === 0) problems.push({ path: [...at, 'range'], message: `range ${JSON.stringify(range)} is empty` });
    return values;
  }
  problems.push({ path: at, message: 'sweep values must be a list, a template like "{{ params.name }}", or { range: [start, stop, step] }' });
  return undefined;
}
