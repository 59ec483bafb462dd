import { useEditorStores, useView } from './editor-context.ts';
import { addNode } from './model.ts';

/** What can be added (dragged onto the canvas, or added at the top with Enter), and the file's own problems. */
export function Palette({ problems }: { problems: string[] }) {
  const { doc, view } = useEditorStores();
  const unparsable = useView((state) => state.opened?.unparsable !== undefined);
  const add = (kind: 'task' | 'group') => {
    const { doc: current, change } = doc.getState();
    const added = addNode(current.value, null, kind);
    change({ value: added.value, layout: current.layout });
    view.getState().select(added.path);
  };
  return (
    <div className="palette" aria-label="Palette">
      <h3>Add</h3>
      {(['task', 'group'] as const).map((kind) => (
        <div
          key={kind}
          className={`palette-item ${kind}`}
          role="button"
          tabIndex={0}
          draggable
          aria-label={`Add ${kind}`}
          onDragStart={(event) => {
            event.dataTransfer.setData('application/x-flotilla-node', kind);
            event.dataTransfer.effectAllowed = 'move';
          }}
          onKeyDown={(event) => {
            if (event.key === 'Enter' || event.key === ' ') add(kind);
          }}
          onDoubleClick={() => add(kind)}
        >
          {kind === 'task' ? '▭ Task' : '▣ Group'}
        </div>
      ))}
      <p className="hint">Drag onto the canvas (into a group to nest it). Connect a node's right handle to another's left: it then runs after it. Delete removes the selection.</p>
      {problems.length > 0 && (
        <ul className="problems" aria-label="Workflow problems">
          {problems.map((problem) => (
            <li key={problem}>{problem}</li>
          ))}
        </ul>
      )}
      {unparsable && <p className="field-error">This file cannot be read as YAML: fix it in a text editor (the problems above say where).</p>}
    </div>
  );
}
