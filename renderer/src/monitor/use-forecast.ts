import { useEffect } from 'react';
import { request } from '../api.ts';
import { useApi, useReportFailure } from '../common/context.ts';
import type { TaskState } from '../../../core/api/types.ts';
import { TERMINAL_STATES } from '../../../core/model/task-states.ts';
import { useMonitorStores, useRun } from './monitor-context.ts';

/** How often a run that goes on is forecast again … */
export const FORECAST_MS = 5000;
/** … and how soon after another hundredth of its tasks ended. */
const ENDED_MS = 500;

const endedCount = (total: Partial<Record<TaskState, number>>) => [...TERMINAL_STATES].reduce((sum, state) => sum + (total[state] ?? 0), 0);
const totalCount = (total: Partial<Record<TaskState, number>>) => Object.values(total).reduce((sum, n) => sum + n, 0);

/**
 * Keeps the run store's forecast (`runs.forecast`) fresh while the run goes on: soon after each
 * hundredth of its tasks ended, and every FORECAST_MS; with each open task's forecast start and end when `withTasks` (the timeline).
 */
export function useForecast(withTasks: boolean): void {
  const api = useApi();
  const report = useReportFailure();
  const { run: store } = useMonitorStores();
  const runId = useRun((state) => state.graph?.run ?? null);
  const going = useRun((state) => state.info?.state === 'running');
  // Asked again as tasks end (at most every ENDED_MS), not only every FORECAST_MS.
  const ended = useRun((state) => Math.floor(endedCount(state.total) / Math.max(1, Math.ceil(totalCount(state.total) / 100))));
  useEffect(() => {
    if (!going || runId === null) {
      store.getState().setForecast(null);
      return;
    }
    let live = true;
    const look = () =>
      request(api, 'runs.forecast', { run: runId, tasks: withTasks })
        .then((forecast) => live && store.getState().setForecast(forecast))
        .catch(report('The run could not be forecast'));
    const soon = setTimeout(() => void look(), ENDED_MS);
    const timer = setInterval(() => void look(), FORECAST_MS);
    return () => {
      live = false;
      clearTimeout(soon);
      clearInterval(timer);
    };
  }, [api, report, runId, going, withTasks, store, ended]);
}
