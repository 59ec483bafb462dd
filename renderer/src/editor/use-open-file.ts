import { useEffect, useMemo, useRef } from 'react';
import { request } from '../api.ts';
import { useApi, useNotify } from '../common/context.ts';
import { EMPTY_WORKFLOW, graphOf, useDocument, useEditorStores, useView } from './editor-context.ts';
import type { Snapshot } from './history.ts';
import { readDraft, useDraft } from './use-draft.ts';

/**
 * Reads the file in the address into the editor's stores (the dialog opens without one),
 * with the unsaved edits kept of it from before a switch of views or a reload, and again
 * when the view store's `reloads` is bumped (after discarding edits).
 */
export function useOpenFile(file: string | undefined, onFile: (file: string) => void): void {
  const api = useApi();
  const notify = useNotify();
  const { doc, view } = useEditorStores();
  const reloads = useView((state) => state.reloads);
  const onFileRef = useRef(onFile);
  useEffect(() => {
    onFileRef.current = onFile;
  }, [onFile]);

  useEffect(() => {
    if (!file) {
      view.getState().setShowOpen(true);
      return;
    }
    let live = true;
    request(api, 'workflows.open', { file })
      .then((result) => {
        if (!live) return;
        const draft = result.value ? readDraft<Snapshot>(result.file) : undefined;
        doc.getState().load(draft?.doc ?? { value: result.value ?? EMPTY_WORKFLOW, layout: result.layout }, draft ? { past: draft.past, future: draft.future, dirty: true } : undefined);
        const opened = { file: result.file, version: draft ? draft.version : result.version, git: result.git, ...(result.value ? {} : { unparsable: result.text }) };
        view.getState().open(opened, result.issues, graphOf(doc.getState().doc.value).nodes.length > 0);
        if (draft && draft.version !== result.version) notify('error', `${result.file} changed on disk since your unsaved edits were made: they are kept, but saving them will be refused; copy what you need, then Discard edits to start from what is on disk`);
        if (result.file !== file) onFileRef.current(result.file);
      })
      .catch((error: Error) => {
        if (!live) return;
        notify('error', error.message);
        view.getState().setShowOpen(true);
      });
    return () => {
      live = false;
    };
  }, [api, file, notify, reloads, doc, view]);
}

/** Keeps the open document's unsaved edits, with its history, for its file (use-draft.ts). */
export function useKeepDraft(): void {
  const opened = useView((state) => state.opened);
  const doc = useDocument((state) => state.doc);
  const past = useDocument((state) => state.past);
  const future = useDocument((state) => state.future);
  const dirty = useDocument((state) => state.dirty);
  const draft = useMemo(() => ({ version: opened?.version ?? null, doc, past, future }), [opened?.version, doc, past, future]);
  // A file that did not parse is shown, never written: nothing here was read from it.
  useDraft(opened?.unparsable === undefined ? opened?.file : undefined, dirty, draft);
}
