import { useEffect } from 'react';
import { request } from '../api.ts';
import { useApi, useReportFailure } from '../common/context.ts';
import type { TaskState } from '../../../core/api/types.ts';
import { counts, dominant } from '../monitor/model.ts';
import { useEditorStores, useView } from './editor-context.ts';

/**
 * How the open file's latest run went, node by node: each declared path's state in it (a sweep's
 * instances and a loop's iterations as one, what needs attention first), read when the file
 * opens and again when one of its runs changes state.
 */
export function useLastRun(): void {
  const api = useApi();
  const report = useReportFailure();
  const { view } = useEditorStores();
  const file = useView((state) => state.opened?.file);
  useEffect(() => {
    if (!file) return;
    let live = true;
    const load = async () => {
      const [last] = await request(api, 'runs.list', { file, limit: 1 });
      if (!last || !live) return view.getState().setLastRun(null);
      const [graph, status] = await Promise.all([request(api, 'runs.graph', { run: last.id }), request(api, 'runs.status', { run: last.id })]);
      const state = new Map(status.tasks.map((task) => [task.id, task.state]));
      const byPath = new Map<string, string[]>();
      for (const task of graph.tasks) byPath.set(task.path, [...(byPath.get(task.path) ?? []), task.id]);
      const states: Record<string, TaskState> = {};
      for (const [path, ids] of byPath) states[path] = dominant(counts(ids, state));
      if (live) view.getState().setLastRun({ id: last.id, states });
    };
    void load().catch(report('The last run of this file could not be read'));
    const off = api.onEvent((event) => {
      if (event.type === 'run') void load().catch(report('The last run of this file could not be read'));
    });
    return () => {
      live = false;
      off();
    };
  }, [api, file, report, view]);
}
