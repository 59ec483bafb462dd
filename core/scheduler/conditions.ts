/**
 * Deciding whether a task runs, once its dependencies have ended: its `when` conditions (its
 * groups' and its own) are evaluated on the values they read, or, without one, it is skipped
 * when a dependency was skipped. The decision is the task's next move (run, `skipped`, or
 * failed when a condition cannot be decided), committed with what released it: a resume finds
 * it made, or makes it again from the same recorded values.
 */
import { decide, evaluate, ExprSyntaxError, ExprValueError, parseExpr } from '../model/expr.ts';
import type { Expr, NameExpr, Value } from '../model/expr.ts';
import type { WhenSpec } from '../model/types.ts';
import type { PublishedValues } from '../model/values.ts';
import type { RunTables } from './run-tables.ts';

/** A decision, and (but for a task without a condition) what made it, as `--explain` and the task's history say it. */
export type Judgement = { kind: 'run'; detail?: string } | { kind: 'skip'; detail: string } | { kind: 'fail'; detail: string };

const RUN: Judgement = { kind: 'run' };

export class Conditions {
  private readonly t: RunTables;
  private readonly params: Record<string, unknown>;
  /** What each task published (its latest successful attempt's, or its cached result's), read once. */
  private readonly published = new Map<number, PublishedValues>();
  private readonly parsed = new Map<string, Expr>();

  constructor(t: RunTables, params: Record<string, unknown>) {
    this.t = t;
    this.params = params;
  }

  /** A task's attempt succeeded with these values (they are in the store in the same commit). */
  remember(i: number, values: PublishedValues | undefined): void {
    this.published.set(i, values ?? {});
  }

  /** A task runs again: what it published before no longer stands. */
  forget(i: number): void {
    this.published.delete(i);
  }

  /** Whether task `i` (its dependencies all ended) runs, is skipped, or cannot be decided. */
  judge(i: number): Judgement {
    const t = this.t;
    const conditions = t.specs[i]!.when;
    if (!conditions) {
      if (!t.anySkipped) return RUN;
      // An iteration runs after the last tasks of the one before, and a loop after what it
      // waits for (what skipped its control then): only a skip inside its own iteration
      // carries over to a task of a loop.
      const of = t.specs[i]!.iteration;
      const skipped = t.graph.deps[i]!.find((dep) => t.state[dep] === 'skipped' && (!of || (t.specs[dep]!.iteration?.of === of.of && t.specs[dep]!.iteration?.index === of.index)));
      return skipped === undefined ? RUN : { kind: 'skip', detail: `upstream ${t.ids[skipped]} skipped` };
    }
    const held: string[] = [];
    for (const condition of conditions) {
      const judged = this.check(condition, t.specs[i]!.vars, 'when');
      if (judged.kind !== 'run') return judged;
      held.push(judged.detail!);
    }
    return { kind: 'run', detail: held.join('; ') };
  }

  /**
   * Evaluates one condition (a task's `when`, a loop's `until`) with `vars` bound: `run` when it
   * holds, `skip` when it does not, `fail` when it cannot be decided; each with what it read.
   */
  check(condition: WhenSpec, vars: Record<string, unknown>, key: 'when' | 'until'): Judgement {
    const read: string[] = [];
    try {
      // (Checked when the workflow loaded; a run recorded by another version may hold one this version reads otherwise.)
      let expr = this.parsed.get(condition.expr);
      if (!expr) {
        expr = parseExpr(condition.expr);
        this.parsed.set(condition.expr, expr);
      }
      const value = evaluate(expr, (name) => {
        const found = this.read(vars, name, condition.tasks);
        read.push(`${name.text} = ${JSON.stringify(found)}`);
        return found;
      });
      const values = read.length > 0 ? ` (${shorten(read.join(', '))})` : '';
      if (decide(value, key)) return { kind: 'run', detail: `${key} ${condition.expr} is true${values}` };
      return { kind: 'skip', detail: `${key} ${condition.expr} is false${values}` };
    } catch (error) {
      if (!(error instanceof ExprValueError) && !(error instanceof ExprSyntaxError)) throw error;
      return { kind: 'fail', detail: `${key} ${condition.expr}: ${error.message}` };
    }
  }

  /** The value a name reads (the load checked that each name exists). */
  private read(vars: Record<string, unknown>, name: NameExpr, tasks: Record<string, string>): Value {
    const [head, ...rest] = name.path;
    if (head === 'params') return walk(this.params as Value, rest, name.text);
    if (head === 'tasks') {
      const ref = rest[0] as string;
      const dep = this.t.index.get(tasks[ref] ?? '');
      if (dep === undefined) throw new ExprValueError(`${name.text}: no task '${ref}' in this run`);
      const state = this.t.state[dep]!;
      if (rest[1] === 'skipped') return state === 'skipped';
      if (state === 'skipped') throw new ExprValueError(`${name.text}: ${this.t.ids[dep]} was skipped and published nothing (test tasks.${ref}.skipped first)`);
      const values = this.valuesOf(dep);
      const key = rest[2] as string;
      if (!Object.hasOwn(values, key)) {
        const names = Object.keys(values);
        throw new ExprValueError(`${name.text}: ${this.t.ids[dep]} published no value '${key}' (${names.length > 0 ? `it published ${names.slice(0, 10).join(', ')}` : 'it published none'})`);
      }
      return walk(values[key]!, rest.slice(3), name.text);
    }
    return walk((vars[head as string] ?? null) as Value, rest, name.text);
  }

  /** What task `i` published (its latest successful attempt's, or its cached result's). */
  valuesOf(i: number): PublishedValues {
    let values = this.published.get(i);
    if (!values) {
      values = this.t.store.publishedValues(this.t.runId, i, this.t.hash[i] ?? null) ?? {};
      this.published.set(i, values);
    }
    return values;
  }
}

/** Follows `path` (mapping keys, list indexes) into a value. */
function walk(value: Value, path: readonly (string | number)[], text: string): Value {
  let at = value;
  for (const part of path) {
    const next: Value | undefined = Array.isArray(at) && typeof part === 'number' ? at[part] : at !== null && typeof at === 'object' && !Array.isArray(at) && typeof part === 'string' && Object.hasOwn(at, part) ? at[part] : undefined;
    if (next === undefined) throw new ExprValueError(`${text}: there is no ${typeof part === 'number' ? `item ${part}` : `'${part}'`} in ${shorten(JSON.stringify(at))}`);
    at = next;
  }
  return at;
}

function shorten(text: string): string {
  return text.length > 200 ? `${text.slice(0, 197)}…` : text;
}
