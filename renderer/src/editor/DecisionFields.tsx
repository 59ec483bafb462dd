import { useId } from 'react';
import { Field } from './Field.tsx';
import { repeatPatch, text } from './fields.ts';
import type { EditorNode, Mapping } from './model.ts';
import { isMapping } from './model.ts';

/**
 * Whether and how often a node runs: its `when` (a task's or a group's), and a group's
 * `repeat` (the loop's condition, its most iterations and what reaching them does). The core
 * checks what is written: a bad expression comes back as a problem at its line.
 */
export function DecisionFields({ node, onPatch }: { node: EditorNode; onPatch: (patch: Mapping) => void }) {
  const raw = node.raw;
  return (
    <>
      <Field
        label="Runs only when"
        mono
        value={text(raw.when)}
        placeholder="always (e.g. not params.misfit_only)"
        hint="A condition on params.*, tasks.<task>.values.* and sweep variables; false skips it."
        onCommit={(value) => onPatch({ when: value.trim() || undefined })}
      />
      {node.kind === 'group' && <LoopFields node={node} onPatch={onPatch} />}
    </>
  );
}

/** A group's `repeat`: added with a condition on its first task's `done` value, for the author to adapt. */
function LoopFields({ node, onPatch }: { node: EditorNode; onPatch: (patch: Mapping) => void }) {
  const id = useId();
  const repeat = isMapping(node.raw.repeat) ? node.raw.repeat : undefined;
  if (!repeat) {
    const first = isMapping(node.raw.tasks) ? Object.keys(node.raw.tasks)[0] : undefined;
    return (
      <div className="field">
        <button onClick={() => onPatch({ repeat: { until: first ? `tasks.${first}.values.done` : 'true', max: 10 } })}>↻ Add loop</button>
        <div className="hint">Runs the group again and again (iteration 0, 1, …) until a condition holds.</div>
      </div>
    );
  }
  const set = (key: string, value: unknown) => onPatch({ repeat: repeatPatch(repeat, key, value) });
  return (
    <fieldset className="loop-fields" aria-label="Loop">
      <legend>Loop (repeat)</legend>
      <Field label="Until" mono value={text(repeat.until)} hint="Judged on each finished iteration's values: true ends the loop." onCommit={(value) => set('until', value.trim())} />
      <div className="grid2">
        <Field label="Max iterations" value={text(repeat.max)} onCommit={(value) => set('max', value)} />
        <div className="field">
          <label htmlFor={`${id}-on-max`}>When max is reached</label>
          <select id={`${id}-on-max`} value={repeat.on_max === 'succeed' ? 'succeed' : 'fail'} onChange={(event) => set('on_max', event.target.value)}>
            <option value="fail">fail (default)</option>
            <option value="succeed">succeed</option>
          </select>
        </div>
      </div>
      <button className="danger small" onClick={() => onPatch({ repeat: undefined })}>
        Remove loop
      </button>
    </fieldset>
  );
}
