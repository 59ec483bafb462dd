import { useState } from 'react';
import { ReactFlowProvider } from '@xyflow/react';
import { request } from '../api.ts';
import { useApi, useNotify } from '../common/context.ts';
import { EditorContext, EMPTY_WORKFLOW, useDocument, useEditorStores, useView } from './editor-context.ts';
import type { EditorStores } from './editor-context.ts';
import { EditorCanvas } from './EditorCanvas.tsx';
import { EditorToolbar } from './EditorToolbar.tsx';
import { createDocumentStore } from './history.ts';
import { InspectorPane } from './InspectorPane.tsx';
import { OpenDialog } from './OpenDialog.tsx';
import { Palette } from './Palette.tsx';
import { UnparsableText } from './UnparsableText.tsx';
import { Welcome } from './Welcome.tsx';
import { useEditorCommands } from './use-editor-commands.ts';
import { useLastRun } from './use-last-run.ts';
import { useKeepDraft, useOpenFile } from './use-open-file.ts';
import { useProblems } from './use-problems.ts';
import { createEditorViewStore } from './view-store.ts';

export interface EditorProps {
  file: string | undefined;
  /** The run this file was opened from, to go back to. */
  from?: string | undefined;
  onFile: (file: string) => void;
  onRun: (run: string) => void;
}

/**
 * The workflow editor: the document and its history (history.ts) and the view (view-store.ts)
 * are two stores, made here for as long as the editor is open and shared by its parts.
 */
export function Editor(props: EditorProps) {
  const [stores] = useState<EditorStores>(() => ({ doc: createDocumentStore({ value: EMPTY_WORKFLOW, layout: {} }), view: createEditorViewStore() }));
  return (
    <EditorContext.Provider value={stores}>
      <ReactFlowProvider>
        <EditorLayout {...props} />
      </ReactFlowProvider>
    </EditorContext.Provider>
  );
}

function EditorLayout({ file, from, onFile, onRun }: EditorProps) {
  useOpenFile(file, onFile);
  useKeepDraft();
  useLastRun();
  const commands = useEditorCommands(onRun, onFile);
  const problems = useProblems();
  const opened = useView((state) => state.opened);
  const issues = useView((state) => state.issues);
  const showOpen = useView((state) => state.showOpen);
  const create = useCreateFile(onFile);
  if (!file) {
    return (
      <div className="editor">
        <Welcome onOpen={onFile} onCreate={(path) => void create(path)} onRun={onRun} />
      </div>
    );
  }
  return (
    <div className="editor">
      <EditorToolbar from={from} onRun={onRun} commands={commands} />
      <div className="editor-body">
        <Palette problems={problems.general} />
        {opened?.unparsable !== undefined && <UnparsableText text={opened.unparsable} issues={issues} />}
        <EditorCanvas problems={problems.byNode} />
        <InspectorPane problems={problems} />
      </div>
      {showOpen && <OpenFileDialog current={file} onFile={onFile} />}
    </div>
  );
}

/** The dialog to open a file or create one; unsaved edits of the open file stay kept either way. */
function OpenFileDialog({ current, onFile }: { current: string | undefined; onFile: (file: string) => void }) {
  const create = useCreateFile(onFile);
  const { view } = useEditorStores();
  const opened = useView((state) => state.opened);
  const dirty = useDocument((state) => state.dirty);
  const close = () => view.getState().setShowOpen(false);
  return (
    <OpenDialog
      current={opened?.file}
      onClose={close}
      onOpen={(path) => {
        if (path === current) return close();
        if (dirty && opened && !confirm(`${opened.file} has unsaved edits. Open ${path} anyway? (the edits stay kept for ${opened.file} in this tab)`)) return;
        close();
        onFile(path);
      }}
      onCreate={async (path) => {
        if (await create(path)) close();
      }}
    />
  );
}

/** Creates a new workflow file (named after it) and opens it; whether it was made. */
function useCreateFile(onFile: (file: string) => void): (path: string) => Promise<boolean> {
  const api = useApi();
  const notify = useNotify();
  return async (path) => {
    try {
      const result = await request(api, 'workflows.save', { file: path, value: { ...EMPTY_WORKFLOW, name: path.split('/').at(-1)!.replace(/\.(ya?ml|json)$/i, '') }, version: null });
      onFile(result.file);
      return true;
    } catch (error) {
      notify('error', (error as Error).message);
      return false;
    }
  };
}
