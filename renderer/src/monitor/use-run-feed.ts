import { useCallback, useEffect, useRef } from 'react';
import { request } from '../api.ts';
import { useApi, useNotify, useReportFailure } from '../common/context.ts';
import { useMonitorStores } from './monitor-context.ts';
import { isOver, outcomeMoved, POLL_MS } from './poll.ts';

/** The graph of a run that grows (a loop's next iteration) is asked again at most this often. */
export const GROWN_MS = 500;

/**
 * Feeds a run's store: its graph and status when it opens, each transition the core sends,
 * a fresh status when the run itself changes, its graph and status again when it grows (at
 * most every GROWN_MS, however fast a loop goes), and, every 2 s that no event came (a run
 * driven by another process, the CLI, sends none here), another status; for a run that is
 * over, its outcome instead, and a status only if that moved (poll.ts). Returns `refresh`,
 * for after an action.
 */
export function useRunFeed(run: string): () => Promise<void> {
  const api = useApi();
  const report = useReportFailure();
  const notify = useNotify();
  const { run: store, view } = useMonitorStores();
  /** The run's full id (`run` may be a prefix or 'last'). */
  const runId = useRef(run);
  const lastEvent = useRef(0);

  const refresh = useCallback(async () => {
    store.getState().applyStatus(await request(api, 'runs.status', { run: runId.current }));
  }, [api, store]);

  useEffect(() => {
    let live = true;
    store.getState().reset();
    view.getState().reset();
    runId.current = run;
    const load = () =>
      request(api, 'runs.graph', { run: runId.current }).then((result) => {
        if (!live) return;
        runId.current = result.run;
        store.getState().setGraph(result);
        return refresh();
      });
    load().catch((caught: Error) => live && store.getState().setError(caught.message));
    // A run that grows: its new tasks drawn, in one go for every 'grew' of the last GROWN_MS
    // (only what it added is asked for; all of it again if that does not follow what is drawn).
    const more = () =>
      request(api, 'runs.graph', { run: runId.current, from: store.getState().graph?.tasks.length ?? 0 }).then((result) => {
        if (!live) return;
        if (!store.getState().extendGraph(result)) return load();
        return refresh();
      });
    let grown: ReturnType<typeof setTimeout> | undefined;
    let lastGrown = 0;
    const regrow = () => {
      grown ??= setTimeout(
        () => {
          grown = undefined;
          lastGrown = Date.now();
          void more().catch(report('The run\'s new tasks could not be read'));
        },
        Math.max(0, lastGrown + GROWN_MS - Date.now()),
      );
    };
    const off = api.onEvent((event) => {
      if (event.type === 'task' && event.runId === runId.current) {
        store.getState().applyTransition(event.taskId, event.to, event.detail, event.at, event.attempt);
        lastEvent.current = Date.now();
      } else if (event.type === 'grew' && event.runId === runId.current) {
        lastEvent.current = Date.now();
        regrow();
      } else if (event.type === 'run' && event.runId === runId.current) {
        void refresh().catch(report('The run could not be refreshed'));
      } else if (event.type === 'run-stopped' && event.runId === runId.current) {
        notify('error', `Run ${event.runId} stopped: ${event.message}`);
        void refresh().catch(report('The run could not be refreshed'));
      }
    });
    const look = async () => {
      const { info, total } = store.getState();
      if (isOver(info) && !outcomeMoved(info, total, await request(api, 'runs.outcome', { run: runId.current, failures: 0 }))) return;
      if (live) await refresh();
    };
    const timer = setInterval(() => {
      if (Date.now() - lastEvent.current > POLL_MS) void look().catch(report('The run could not be refreshed'));
    }, POLL_MS);
    return () => {
      live = false;
      off();
      clearInterval(timer);
      clearTimeout(grown);
      store.getState().dispose();
    };
  }, [api, run, notify, refresh, report, store, view]);

  return refresh;
}
