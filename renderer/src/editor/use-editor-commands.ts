import { useCallback, useEffect } from 'react';
import { useReactFlow } from '@xyflow/react';
import { request } from '../api.ts';
import { askToNotify, browserNotifications } from '../common/notices.ts';
import { useApi, useNotify } from '../common/context.ts';
import { FIT_PADDING } from '../common/viewport.ts';
import { useEditorStores } from './editor-context.ts';
import { dropDraft } from './use-draft.ts';

export interface EditorCommands {
  /** Writes the document to its file; resolves with the file, or undefined when it was not saved. */
  save(): Promise<string | undefined>;
  /** Runs the file on disk (unsaved edits are saved first when the user says so). */
  run(): Promise<void>;
  /** Forgets the boxes placed by hand (one edit, undone like any other). */
  arrange(): void;
  /** Drops the unsaved edits and reads the file again. */
  discard(): void;
}

/**
 * What the toolbar, the keyboard and the desktop app's menu do to the open file. Each reads
 * the stores when it runs, so none goes stale and none changes between renders.
 */
export function useEditorCommands(onRun: (run: string) => void, onFile: (file: string) => void): EditorCommands {
  const api = useApi();
  const notify = useNotify();
  const flow = useReactFlow();
  const { doc, view } = useEditorStores();

  const save = useCallback(async (): Promise<string | undefined> => {
    const { opened } = view.getState();
    if (!opened) {
      view.getState().setShowOpen(true);
      return undefined;
    }
    if (opened.unparsable !== undefined) {
      notify('error', `${opened.file} cannot be read as YAML: fix it in a text editor (its problems say where); it is not saved from here`);
      return undefined;
    }
    view.getState().setBusy(true);
    try {
      const { value, layout } = doc.getState().doc;
      const result = await request(api, 'workflows.save', { file: opened.file, value, version: opened.version, layout });
      view.getState().saved({ file: result.file, version: result.version, ...(opened.git ? { git: opened.git } : {}) }, result.issues);
      doc.getState().saved();
      notify('info', `Saved ${result.file}${result.issues.length > 0 ? ` (${result.issues.length} problem${result.issues.length > 1 ? 's' : ''} left)` : ''}${result.commit && 'commit' in result.commit ? `; committed ${result.commit.commit.slice(0, 8)}: ${result.commit.message.split('\n')[0]}` : ''}`);
      if (result.commit && 'error' in result.commit) notify('error', result.commit.error);
      return result.file;
    } catch (error) {
      notify('error', (error as Error).message);
      return undefined;
    } finally {
      view.getState().setBusy(false);
    }
  }, [api, doc, notify, view]);

  const run = useCallback(async () => {
    const { opened } = view.getState();
    const { dirty } = doc.getState();
    if (opened?.unparsable !== undefined) {
      notify('error', `${opened?.file} cannot be read as YAML: fix it first`);
      return;
    }
    // The file on disk is what runs: unsaved edits are saved first only when the user says so.
    if (dirty && opened && !confirm(`${opened.file} has unsaved edits. Save them and run?`)) return;
    const saved = dirty || !opened ? await save() : opened.file;
    if (!saved) return;
    // The first run is when notifications are first worth something: asked then, never before.
    if (api.mode === 'web') askToNotify(browserNotifications());
    try {
      const started = await request(api, 'runs.start', { file: saved });
      notify('info', `Run ${started.run} started: ${started.tasks} task${started.tasks === 1 ? '' : 's'}`);
      onRun(started.run);
    } catch (error) {
      notify('error', (error as Error).message);
    }
  }, [api, doc, notify, onRun, save, view]);

  const arrange = useCallback(() => {
    doc.getState().edit(
      (value) => value,
      () => ({}),
    );
    setTimeout(() => void flow.fitView({ padding: FIT_PADDING, maxZoom: 1 }), 50);
  }, [doc, flow]);

  const discard = useCallback(() => {
    const { opened } = view.getState();
    if (!opened || !confirm(`Drop the unsaved edits of ${opened.file} and reload it from disk?`)) return;
    dropDraft(opened.file);
    doc.getState().saved();
    view.getState().reload();
  }, [doc, view]);

  // Shortcuts: Ctrl+S save, Ctrl+Z / Ctrl+Shift+Z (Ctrl+Y) undo and redo, Ctrl+O open, Ctrl+Enter run, Ctrl+L layout.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (!(event.ctrlKey || event.metaKey)) return;
      const inField = event.target instanceof HTMLElement && /^(INPUT|TEXTAREA|SELECT)$/.test(event.target.tagName);
      const key = event.key.toLowerCase();
      const act = (action: () => void) => {
        event.preventDefault();
        action();
      };
      if (key === 's') {
        act(() => {
          // A field being edited commits on blur: save what it holds.
          (document.activeElement as HTMLElement | null)?.blur?.();
          setTimeout(() => void save(), 0);
        });
      } else if (key === 'o') act(() => view.getState().setShowOpen(true));
      else if (inField) return;
      else if (key === 'enter') act(() => void run());
      else if (key === 'l') act(arrange);
      else if (key === 'y' || (key === 'z' && event.shiftKey)) act(doc.getState().redo);
      else if (key === 'z') act(doc.getState().undo);
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [arrange, doc, run, save, view]);

  // The desktop app's menu: File > Open, Save, Run.
  useEffect(
    () =>
      api.onMenu((action) => {
        if (action.action === 'open') onFile(action.file);
        else if (action.action === 'save') void save();
        else if (action.action === 'run') void run();
      }),
    [api, onFile, run, save],
  );

  return { save, run, arrange, discard };
}
