import { useEffect, useRef, useState } from 'react';
import { request } from '../api.ts';
import { useApi, useReportFailure } from '../common/context.ts';
import { when } from '../common/format.ts';
import type { RecentFile } from '../../../core/api/types.ts';
import { FileBrowser } from './FileBrowser.tsx';

/** Open a workflow file by path or from the file browser (recent ones a click away), or create a new one. */
export function OpenDialog({ current, onOpen, onCreate, onClose }: { current: string | undefined; onOpen: (file: string) => void; onCreate: (file: string) => void; onClose: () => void }) {
  const api = useApi();
  const report = useReportFailure();
  const [path, setPath] = useState(current ?? '');
  const [recent, setRecent] = useState<RecentFile[]>([]);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    input.current?.focus();
    request(api, 'workflows.recent', {})
      .then(setRecent)
      .catch(report('The recent files could not be listed'));
  }, [api, report]);
  return (
    <div className="modal-backdrop" onKeyDown={(event) => event.key === 'Escape' && onClose()}>
      <div className="modal" role="dialog" aria-modal="true" aria-labelledby="open-title">
        <h2 id="open-title">Open a workflow</h2>
        <form
          onSubmit={(event) => {
            event.preventDefault();
            if (path.trim()) onOpen(path.trim());
          }}
        >
          <label htmlFor="open-path">Workflow file (a path on the machine running the core)</label>
          <input id="open-path" ref={input} value={path} onChange={(event) => setPath(event.target.value)} placeholder="/home/me/project/workflow.yaml" className="mono wide" />
          <div className="row">
            <button type="submit" className="primary" disabled={!path.trim()}>
              Open
            </button>
            <button type="button" disabled={!path.trim()} onClick={() => onCreate(path.trim())}>
              Create new file
            </button>
            {api.pickFile && (
              <button type="button" onClick={() => void api.pickFile!('open').then((chosen) => chosen && onOpen(chosen))}>
                Browse…
              </button>
            )}
            <button type="button" onClick={onClose}>
              Cancel
            </button>
          </div>
        </form>
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
