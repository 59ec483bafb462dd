import { useEffect, useState } from 'react';
import { request } from '../api.ts';
import { useApi } from '../common/context.ts';
import type { FolderEntry } from '../../../core/api/types.ts';

/**
 * Folders and workflow files on the machine running the core (`files.list`): a folder opens
 * on a click, a workflow file says whether it loads (or its first problem) and opens.
 */
export function FileBrowser({ start, onOpen }: { start: string | undefined; onOpen: (file: string) => void }) {
  const api = useApi();
  const [dir, setDir] = useState<string | undefined>(start);
  const [listing, setListing] = useState<{ dir: string; parent: string | null; entries: FolderEntry[]; more: boolean } | null>(null);
  const [error, setError] = useState<string>();
  useEffect(() => {
    let live = true;
    setError(undefined);
    request(api, 'files.list', dir === undefined ? {} : { dir })
      .then((result) => live && setListing(result))
      .catch((caught: Error) => live && setError(caught.message));
    return () => {
      live = false;
    };
  }, [api, dir]);
  return (
    <div className="file-browser" role="group" aria-label="Files">
      <div className="row">
        <button type="button" className="small" disabled={!listing?.parent} onClick={() => listing?.parent && setDir(listing.parent)} aria-label="Up one folder">
          ↑
        </button>
        <span className="mono hint" aria-label="Folder">
          {listing?.dir ?? '…'}
        </span>
      </div>
      {error && <p className="field-error">{error}</p>}
      <ul className="entries">
        {listing?.entries
          .filter((entry) => entry.kind !== 'file')
          .map((entry) => (
            <li key={entry.path}>
              {entry.kind === 'folder' ? (
                <button type="button" className="link" onClick={() => setDir(entry.path)}>
                  {entry.name}/
                </button>
              ) : (
                <>
                  <button type="button" className="link mono" onClick={() => onOpen(entry.path)} aria-label={`Open ${entry.name}`}>
                    {entry.name}
                  </button>{' '}
                  {entry.loads === true && <span className="ok">✓ loads</span>}
                  {entry.loads === null && <span className="hint">parses (it expands: checked when opened)</span>}
                  {entry.loads === false && (
                    <span className="field-error" title={entry.problem}>
                      ✗ {entry.problem}
                    </span>
                  )}
                </>
              )}
            </li>
          ))}
        {listing && listing.entries.every((entry) => entry.kind === 'file') && <li className="hint">No folders or workflow files here.</li>}
        {listing?.more && <li className="hint">(more entries than listed: open a subfolder)</li>}
      </ul>
    </div>
  );
}
