/**
 * Coming back: when the app (or `flotilla serve`) starts, it takes up again every run left
 * running that no live process drives — it polls their clusters, adopts what ended meanwhile,
 * and says what happened (notifier.ts) — so watching a cluster never waits on someone clicking
 * Resume. A run that would also restart tasks on this machine is taken up only if the user said
 * so: the setting `reattach-local` ('ask' until answered once, then 'always' or 'never').
 */
import { TERMINAL_STATES } from '../model/task-states.ts';
import { isDriven } from '../scheduler/control.ts';
import type { RunRecord } from '../store/records.ts';
import type { Store } from '../store/store.ts';
import type { MethodArgs, MethodResult } from './contract.ts';
import type { Notifier } from './notifier.ts';

export type LocalRestart = 'ask' | 'always' | 'never';

/** The store's setting of what to do with interrupted runs that have tasks to run here. */
export const LOCAL_RESTART = 'reattach-local';

/** A run left running with nobody driving it: whether it has tasks still to run here, or on clusters. */
export interface InterruptedRun {
  run: string;
  name: string;
  local: boolean;
  remote: boolean;
}

type ReattachMethod = 'runs.reattach' | 'runs.restartLocal';

export function reattachHandlers(store: Store, drive: (runId: string) => void, notifier: Notifier): { [M in ReattachMethod]: (args: MethodArgs<M>) => MethodResult<M> } {
  const setting = (): LocalRestart => store.setting<LocalRestart>(LOCAL_RESTART) ?? 'ask';
  /** Drives the runs; what ends in the burst that follows is summed up once. */
  const takeUp = (runs: InterruptedRun[]): string[] => {
    if (runs.length === 0) return [];
    const since = Math.min(...runs.map((each) => store.history.lastEventAt(each.run) ?? Date.now()));
    notifier.returned(since, 'while Flotilla was closed');
    for (const each of runs) drive(each.run);
    return runs.map((each) => each.run);
  };
  return {
    'runs.reattach': () => {
      const interrupted = interruptedRuns(store);
      const restart = setting();
      const now = interrupted.filter((each) => !each.local || restart === 'always');
      return { attached: takeUp(now), waiting: restart === 'ask' ? interrupted.filter((each) => each.local) : [], local: restart };
    },
    'runs.restartLocal': (args) => {
      store.setSetting(LOCAL_RESTART, args.choice);
      return { attached: args.choice === 'always' ? takeUp(interruptedRuns(store).filter((each) => each.local)) : [], local: args.choice };
    },
  };
}

/** Runs left running that no live process drives, each with where its open tasks run. */
export function interruptedRuns(store: Store): InterruptedRun[] {
  const found: InterruptedRun[] = [];
  for (const { id } of store.runningRuns()) {
    const run = store.getRun(id);
    if (!run || isDriven(run)) continue;
    const states = store.taskStates(id);
    let local = false;
    let remote = false;
    for (const row of store.history.forecastRows(id)) {
      if (row.loop || TERMINAL_STATES.has(states[row.idx]?.state ?? 'waiting')) continue;
      if (isLocal(run, row.target)) local = true;
      else remote = true;
    }
    if (local || remote) found.push({ run: id, name: run.name, local, remote });
  }
  return found;
}

function isLocal(run: RunRecord, target: string): boolean {
  return (run.plan.targets[target]?.type ?? 'local') === 'local';
}
