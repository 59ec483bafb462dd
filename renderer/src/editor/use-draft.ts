/**
 * Unsaved edits outlive the editor: switching to Runs and back, or reloading the page, finds
 * the document and its undo history as they were. They are kept in the tab's session storage
 * per file, with the version of the file they were made on (a save from it is then checked
 * against the file on disk as any save is), and dropped once saved.
 */
import { useEffect, useRef } from 'react';

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

/** Stores a draft; over the quota, with less of its history; never throws (the edits stay in memory). */
function keep<S>(file: string, draft: Draft<S>): void {
  for (const steps of [Infinity, 20, 0]) {
    try {
      sessionStorage.setItem(key(file), JSON.stringify(steps === Infinity ? draft : { ...draft, past: draft.past.slice(-steps || draft.past.length), future: draft.future.slice(0, steps) }));
      return;
    } catch {
      // Too big: try with fewer undo steps.
    }
  }
}

/** Keeps `draft` for `file` while it has unsaved edits; asks before the tab closes with some. */
export function useDraft<S>(file: string | undefined, dirty: boolean, draft: Draft<S>): void {
  const latest = useRef<{ file: string | undefined; dirty: boolean; draft: Draft<S> }>({ file, dirty, draft });
  useEffect(() => {
    latest.current = { file, dirty, draft };
    if (!file) return;
    if (!dirty) return dropDraft(file);
    // Written a moment after the last edit (a big history is slow to serialize on every
    // keystroke); what is pending is written when the editor closes or the page goes.
    const timer = setTimeout(() => keep(file, draft), 250);
    return () => clearTimeout(timer);
  }, [file, dirty, draft]);
  useEffect(() => {
    const flush = () => {
      const { file: open, dirty: unsaved, draft: last } = latest.current;
      if (open && unsaved) keep(open, last);
    };
    addEventListener('pagehide', flush);
    return () => {
      removeEventListener('pagehide', flush);
      flush();
    };
  }, []);
  useEffect(() => {
    if (!dirty) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    addEventListener('beforeunload', warn);
    return () => removeEventListener('beforeunload', warn);
  }, [dirty]);
}
