import { useCallback, useEffect } from 'react';
import { request } from '../api.ts';
import { useApi, useNotify, useReportFailure } from '../common/context.ts';
import { useMonitorStores, useRun } from './monitor-context.ts';

/**
 * "Resubmit all failed": what it would run, kept current so the button shows it before the
 * click (into the view store's `preview`), and the action itself.
 */
export function useResubmitFailed(run: string): { failed: number; resubmit: () => Promise<void> } {
  const api = useApi();
  const notify = useNotify();
  const report = useReportFailure();
  const { view } = useMonitorStores();
  const failed = useRun((state) => (state.total.failed ?? 0) + (state.total.cancelled ?? 0));
  // The preview changes only with what failed and what waits behind it: not on every state change.
  const rerunKey = useRun((state) => `${state.total.failed ?? 0},${state.total.cancelled ?? 0},${state.total.blocked ?? 0}`);

  useEffect(() => {
    if (failed === 0) {
      view.getState().setPreview(null);
      return;
    }
    let live = true;
    request(api, 'runs.resubmit', { run, failed: true, preview: true })
      .then((result) => live && view.getState().setPreview(result))
      .catch(report('What a resubmit would run could not be worked out'));
    return () => {
      live = false;
    };
  }, [api, run, failed, report, rerunKey, view]);

  const resubmit = useCallback(async () => {
    try {
      // The workflow file as it is now: a command fixed in the editor is what runs.
      const result = await request(api, 'runs.resubmit', { run, failed: true, reload: true });
      const discarded = result.discards.length > 0 ? `; discarded ${result.discards.join(', ')}` : '';
      notify('info', `Resubmitted ${result.reruns.length} task${result.reruns.length === 1 ? '' : 's'}${result.updated.length > 0 ? ` (${result.updated.length} with changed commands)` : ''}${discarded}`);
    } catch (caught) {
      notify('error', (caught as Error).message);
    }
  }, [api, notify, run]);

  return { failed, resubmit };
}
