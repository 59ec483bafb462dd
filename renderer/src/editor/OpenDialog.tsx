import { useEffect, useState } from 'react';
import { request } from '../api.ts';
import { useApi, useReportFailure } from '../common/context.ts';
import { when } from '../common/format.ts';
import type { RecentFile } from '../../../core/api/types.ts';
import { FileBrowser } from './FileBrowser.tsx';
import { PathForm } from './PathForm.tsx';

/** Open a workflow file by path or from the file browser (recent ones a click away), or create a new one. */
export function OpenDialog({ current, onOpen, onCreate, onClose }: { current: string | undefined; onOpen: (file: string) => void; onCreate: (file: string) => void; onClose: () => void }) {
  const api = useApi();
  const report = useReportFailure();
  const [recent, setRecent] = useState<RecentFile[]>([]);
  useEffect(() => {
    request(api, 'workflows.recent', {})
      .then(setRecent)
      .catch(report('The recent files could not be listed'));
  }, [api, report]);
  return (
    <div className="modal-backdrop" onKeyDown={(event) => event.key === 'Escape' && onClose()}>
      <div className="modal" role="dialog" aria-modal="true" aria-labelledby="open-title">
        <h2 id="open-title">Open a workflow</h2>
        <PathForm id="open-path" label="Workflow file (a path on the machine running the core)" initial={current} focus onOpen={onOpen} onCreate={onCreate}>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </PathForm>
        <FileBrowser start={current ? current.slice(0, current.lastIndexOf('/')) || '/' : undefined} onOpen={onOpen} />
        {recent.length > 0 && (
          <>
            <h3>Recent</h3>
            <ul className="recent">
              {recent.map((entry) => (
                <li key={entry.file}>
                  <button className="link" onClick={() => onOpen(entry.file)}>
                    {entry.file}
                  </button>{' '}
                  <span className="hint">{when(entry.at)}</span>
                </li>
              ))}
            </ul>
          </>
        )}
      </div>
    </div>
  );
}
