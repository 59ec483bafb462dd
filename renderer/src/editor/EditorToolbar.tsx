import { useDocument, useView } from './editor-context.ts';
import type { EditorCommands } from './use-editor-commands.ts';

/** The editor's commands and the open file's name and state (unsaved, read-only, valid). */
export function EditorToolbar({ from, onRun, commands }: { from: string | undefined; onRun: (run: string) => void; commands: EditorCommands }) {
  const opened = useView((state) => state.opened);
  const issues = useView((state) => state.issues);
  const busy = useView((state) => state.busy);
  const setShowOpen = useView((state) => state.setShowOpen);
  const canUndo = useDocument((state) => state.past.length > 0);
  const canRedo = useDocument((state) => state.future.length > 0);
  const dirty = useDocument((state) => state.dirty);
  const undo = useDocument((state) => state.undo);
  const redo = useDocument((state) => state.redo);
  const readOnly = opened?.unparsable !== undefined;
  return (
    <div className="toolbar" role="toolbar" aria-label="Workflow">
      {from && (
        <button onClick={() => onRun(from)} title="Back to the run this file was opened from">
          ← Run {from}
        </button>
      )}
      <button onClick={() => setShowOpen(true)} title="Ctrl+O">
        Open…
      </button>
      <button onClick={() => void commands.save()} disabled={busy || !opened || readOnly} title="Ctrl+S">
        Save
      </button>
      <button onClick={undo} disabled={!canUndo} title="Ctrl+Z">
        Undo
      </button>
      <button onClick={redo} disabled={!canRedo} title="Ctrl+Shift+Z">
        Redo
      </button>
      <button onClick={commands.arrange} title="Ctrl+L">
        Arrange
      </button>
      <button className="primary" onClick={() => void commands.run()} disabled={busy || !opened || readOnly} title="Ctrl+Enter">
        ▶ Run
      </button>
      <span className="file" title={opened?.file}>
        {opened ? opened.file : 'no file'}
        {dirty ? ' • unsaved' : ''}
        {readOnly ? ' • read-only: does not parse' : ''}
      </span>
      {dirty && opened && !readOnly && (
        <button className="small" title="Drop the unsaved edits and reload the file from disk" onClick={commands.discard}>
          Discard edits
        </button>
      )}
      <span className={`validity ${issues.length === 0 ? 'ok' : 'bad'}`} role="status" aria-label="Validation">
        {issues.length === 0 ? '✓ valid' : `${issues.length} problem${issues.length > 1 ? 's' : ''}`}
      </span>
    </div>
  );
}
