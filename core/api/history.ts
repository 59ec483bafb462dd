/**
 * The contract's read-only views of runs past and present: the list (by workflow file), how one
 * stands or ended (outcome.ts), every attempt (the timeline), the forecast (forecast.ts) and the
 * comparison of two runs (diff.ts).
 */
import path from 'node:path';
import { countStates, resolveRun } from '../scheduler/control.ts';
import type { RunRecord } from '../store/records.ts';
import type { Store } from '../store/store.ts';
import type { MethodArgs, MethodResult } from './contract.ts';
import { runDiff } from './diff.ts';
import type { Forecaster } from './forecast.ts';
import { runOutcome } from './outcome.ts';
import type { RunHeader } from './types.ts';

type HistoryMethod = 'runs.list' | 'runs.outcome' | 'runs.attempts' | 'runs.forecast' | 'runs.diff';

export function historyHandlers(store: Store, header: (run: RunRecord) => RunHeader, forecaster: Forecaster): { [M in HistoryMethod]: (args: MethodArgs<M>) => MethodResult<M> } {
  return {
    'runs.list': (args) =>
      store.listRuns(args.limit ?? 50, args.file === undefined ? undefined : path.resolve(args.file)).map((run) => {
        const shown: Partial<RunHeader> = header(run);
        // (Why an interrupted run stopped is for its status, not the list.)
        delete shown.stopped;
        return { ...(shown as Omit<RunHeader, 'stopped'>), counts: { ...countStates([]), ...store.stateCounts(run.id) } };
      }),
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
