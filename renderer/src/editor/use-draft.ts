/**
 * Unsaved edits outlive the editor: switching to Runs and back, or reloading the page, finds
 * the document and its undo history as they were. They are kept in the tab's session storage
 * per file, with the version of the file they were made on (a save from it is then checked
 * against the file on disk as any save is), and dropped once saved.
 */
import { useEffect } from 'react';

/** What is kept of an open document with unsaved edits. */
export interface Draft<S> {
  version: string | null;
  doc: S;
  past: S[];
  future: S[];
}

const key = (file: string) => `flotilla-draft:${file}`;

/** The unsaved edits kept for a file, if any. */
export function readDraft<S>(file: string): Draft<S> | undefined {
  try {
    const text = sessionStorage.getItem(key(file));
    return text ? (JSON.parse(text) as Draft<S>) : undefined;
  } catch {
    return undefined; // unreadable: as if none
  }
}

export function dropDraft(file: string): void {
  sessionStorage.removeItem(key(file));
}

/** Keeps `draft` for `file` while it has unsaved edits; asks before the tab closes with some. */
export function useDraft<S>(file: string | undefined, dirty: boolean, draft: Draft<S>): void {
  useEffect(() => {
    if (!file) return;
    if (!dirty) return dropDraft(file);
    try {
      sessionStorage.setItem(key(file), JSON.stringify(draft));
    } catch {
      // Over the storage quota (a huge history): the oldest undo steps go first.
      sessionStorage.setItem(key(file), JSON.stringify({ ...draft, past: draft.past.slice(-20), future: draft.future.slice(0, 20) }));
    }
  }, [file, dirty, draft]);
  useEffect(() => {
    if (!dirty) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    addEventListener('beforeunload', warn);
    return () => removeEventListener('beforeunload', warn);
  }, [dirty]);
}
