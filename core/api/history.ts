/**
 * The contract's read-only views of runs past and present: the list (by workflow file), a run's
 * graph (what the monitor draws, from an index on for a run that grew), how one
 * stands or ended (outcome.ts), every attempt (the timeline), the forecast (forecast.ts) and the
 * comparison of two runs (diff.ts).
 */
import path from 'node:path';
import { advanceText, remoteAdvance } from '../model/advance.ts';
import { iterationOfId } from '../model/iteration.ts';
import { countStates, resolveRun } from '../scheduler/control.ts';
import type { RunRecord } from '../store/records.ts';
import type { Store } from '../store/store.ts';
import type { MethodArgs, MethodResult } from './contract.ts';
import { runDiff } from './diff.ts';
import type { Forecaster } from './forecast.ts';
import { runOutcome } from './outcome.ts';
import type { RunHeader } from './types.ts';

type HistoryMethod = 'runs.list' | 'runs.graph' | 'runs.outcome' | 'runs.attempts' | 'runs.forecast' | 'runs.diff';

export function historyHandlers(store: Store, header: (run: RunRecord) => RunHeader, forecaster: Forecaster): { [M in HistoryMethod]: (args: MethodArgs<M>) => MethodResult<M> } {
  return {
    'runs.list': (args) =>
      store.listRuns(args.limit ?? 50, args.file === undefined ? undefined : path.resolve(args.file)).map((run) => {
        const shown: Partial<RunHeader> = header(run);
        // (Why an interrupted run stopped is for its status, not the list.)
        delete shown.stopped;
        return { ...(shown as Omit<RunHeader, 'stopped'>), params: briefParams(shown.params ?? {}), counts: { ...countStates([]), ...store.stateCounts(run.id) } };
      }),
      'runs.graph': (args) => {
        const run = resolveRun(store, args.run);
        return {
          run: run.id,
          targets: run.plan.targets,
          from: args.from ?? 0,
          tasks: store.loadTasks(run.id, args.from).map(({ id, spec }) => ({
            id,
            // The loop iteration the task is in, as its id says (a foreach over values outside any loop draws as a sweep).
            ...(iterationOfId(id) ? { iteration: iterationOfId(id)! } : {}),
            path: spec.path,
            after: spec.after,
            target: spec.target,
            vars: spec.vars,
            ...(spec.description ? { description: spec.description } : {}),
            ...(spec.loop?.kind === 'repeat' ? { loop: { until: spec.loop.until, max: spec.loop.max, onMax: spec.loop.onMax, advance: spec.iteration ? advanceText({ reason: `it is inside the loop ${spec.iteration.of}` }) : advanceText(remoteAdvance(run.plan, spec)) } } : {}),
            ...(spec.when ? { when: spec.when.map((condition) => condition.expr) } : {}),
            ...(spec.iteration?.discarded ? { discarded: true as const } : {}),
          })),
        };
      },
    'runs.outcome': (args) => runOutcome(store, header(resolveRun(store, args.run)), args.failures),
    'runs.attempts': (args) => {
      const run = resolveRun(store, args.run);
      const ids = store.taskStates(run.id).map((task) => task.id);
      return store.attempts(run.id).map((attempt) => ({ task: ids[attempt.taskIdx] ?? `#${attempt.taskIdx}`, n: attempt.n, state: attempt.state, target: attempt.target, host: attempt.host, jobId: attempt.jobId, submittedAt: attempt.submittedAt, startedAt: attempt.startedAt, endedAt: attempt.endedAt, exitCode: attempt.exitCode }));
    },
    'runs.forecast': (args) => forecaster.forecast(resolveRun(store, args.run), Date.now(), args.tasks === true),
    'runs.diff': (args) => {
      const a = resolveRun(store, args.a);
      const b = resolveRun(store, args.b);
      return runDiff(store, header(a), header(b));
    },
  };
}

/** A value longer than this (as JSON) is cut in a list of runs: a sweep's thousand values are for its status, not for every row. */
const BRIEF_VALUE = 120;

/** Parameters for a list: long values cut short (as a string ending in …). */
function briefParams(params: Record<string, unknown>): Record<string, unknown> {
  const brief: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(params)) {
    const json = JSON.stringify(value) ?? '';
    brief[name] = json.length > BRIEF_VALUE ? `${json.slice(0, BRIEF_VALUE - 1)}…` : value;
  }
  return brief;
}
