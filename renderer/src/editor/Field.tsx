import { useEffect, useId, useState } from 'react';

/** A text field that commits when it loses focus (or on Enter for one line), so one edit is one undo step. */
export function Field(props: { label: string; value: string; onCommit: (value: string) => void; multiline?: boolean; placeholder?: string; mono?: boolean; hint?: string; error?: string }) {
  const id = useId();
  const [draft, setDraft] = useState(props.value);
  useEffect(() => setDraft(props.value), [props.value]);
  const commit = () => {
    if (draft !== props.value) props.onCommit(draft);
  };
  const common = {
    id,
    value: draft,
    placeholder: props.placeholder,
    className: props.mono ? 'mono' : undefined,
    'aria-invalid': props.error ? true : undefined,
    onChange: (event: { target: { value: string } }) => setDraft(event.target.value),
    onBlur: commit,
  };
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      {props.multiline ? (
        <textarea
          {...common}
          rows={Math.min(12, Math.max(3, draft.split('\n').length + 1))}
          onKeyDown={(event) => {
            if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) commit();
            if (event.key === 'Escape') setDraft(props.value);
          }}
        />
      ) : (
        <input
          {...common}
          onKeyDown={(event) => {
            if (event.key === 'Enter') commit();
            if (event.key === 'Escape') setDraft(props.value);
          }}
        />
      )}
      {props.error ? <div className="field-error">{props.error}</div> : props.hint ? <div className="hint">{props.hint}</div> : null}
    </div>
  );
}
