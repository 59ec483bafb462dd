import { request } from '../api.ts';
import { useApi, useNotify } from '../common/context.ts';
import { duration } from '../common/format.ts';
import { useNow } from '../common/use-now.ts';
import { TASK_STATES } from '../../../core/model/task-states.ts';
import { ENDED } from './model.ts';
import { commitText } from './provenance.ts';
import { RunClusters } from './RunClusters.tsx';
import { RunEta } from './RunEta.tsx';
import { useMonitorView, useRun } from './monitor-context.ts';

const VIEWS = [
  ['graph', 'Graph'],
  ['table', 'Table'],
  ['timeline', 'Timeline'],
] as const;

/** The run's header (name, state, counts, why it stopped), its views, and what can be done to it. */
export function MonitorToolbar({ run, onBack, onEdit, failed, resubmit, onNextFailure }: { run: string; onBack: () => void; onEdit: (file: string) => void; failed: number; resubmit: () => Promise<void>; onNextFailure: () => void }) {
  const api = useApi();
  const notify = useNotify();
  const info = useRun((state) => state.info);
  const runId = useRun((state) => state.graph?.run ?? run);
  const total = useRun((state) => state.total);
  const finished = useRun((state) => [...state.states.values()].every((taskState) => ENDED.has(taskState)));
  const view = useMonitorView((state) => state.view);
  const now = useNow(info?.state === 'running' ? 1000 : null);
  const show = useMonitorView((state) => state.show);
  const setFilter = useMonitorView((state) => state.setFilter);
  const preview = useMonitorView((state) => state.preview);
  const act = (method: 'runs.cancel' | 'runs.resume') => void request(api, method, { run }).catch((caught: Error) => notify('error', caught.message));
  return (
    <div className="toolbar" role="toolbar" aria-label="Run">
      <button onClick={onBack}>← Runs</button>
      <strong className="mono">{runId}</strong>
      {info && (
        <>
          <span>{info.name}</span>
          <span className={`pill run-${info.state}`} aria-label="Run state">
            {info.state}
          </span>
          <span className="hint" aria-label="Run time">{duration((info.endedAt ?? now) - info.createdAt)}</span>
          {info.provenance?.git && (
            <span className="hint mono" aria-label="Commit" title={commitText(info.provenance).title}>
              {commitText(info.provenance).short}
            </span>
          )}
          <RunEta />
          <RunClusters />
          {info.stopped && (
            <span className="field-error stopped" role="status" aria-label="Why the run stopped" title={info.stopped}>
              stopped: {info.stopped}
            </span>
          )}
        </>
      )}
      <span className="counts" aria-label="Task counts">
        {TASK_STATES.filter((state) => total[state]).map((state) => (
          <button
            key={state}
            className={`pill state-${state}`}
            title={`List the ${state} tasks`}
            onClick={() => {
              setFilter(state);
              show('table');
            }}
          >
            {total[state]} {state}
          </button>
        ))}
      </span>
      {(total.failed ?? 0) > 0 && (
        <button onClick={onNextFailure} title="Select the next failed task and bring it into view (F; Shift+F: the one before)">
          Next failure
        </button>
      )}
      <span className="spacer" />
      <div role="tablist" aria-label="Run views" className="tabs">
        {VIEWS.map(([name, label]) => (
          <button key={name} role="tab" aria-selected={view === name} onClick={() => show(name)} title={name[0]!.toUpperCase()}>
            {label}
          </button>
        ))}
      </div>
      <button
        className="primary"
        disabled={failed === 0}
        onClick={() => void resubmit()}
        title={preview ? `Runs again (R): ${preview.reruns.slice(0, 30).join(', ')}${preview.reruns.length > 30 ? ', …' : ''}` : 'Nothing failed'}
        aria-describedby="resubmit-preview"
      >
        Resubmit all failed
      </button>
      {preview && failed > 0 && (
        <span id="resubmit-preview" className="hint" aria-label="Resubmit preview">
          runs again: {preview.reruns.slice(0, 3).join(', ')}
          {preview.reruns.length > 3 ? ` and ${preview.reruns.length - 3} more` : ''}
        </span>
      )}
      {!finished && (
        <button className="danger" onClick={() => act('runs.cancel')}>
          Cancel run
        </button>
      )}
      {info?.state === 'interrupted' ? <button onClick={() => act('runs.resume')}>Resume</button> : null}
      {info && <button onClick={() => onEdit(info.file)}>Edit workflow</button>}
    </div>
  );
}
