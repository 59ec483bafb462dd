import { useEffect, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import { useApi } from '../common/context.ts';

interface PathFormProps {
  id: string;
  label: string;
  initial?: string | undefined;
  focus?: boolean;
  onOpen: (file: string) => void;
  onCreate: (file: string) => void;
  /** More buttons after Open, Create and Browse. */
  children?: ReactNode;
}

/** A workflow file's path to open or create (the desktop app's file chooser too). */
export function PathForm({ id, label, initial, focus = false, onOpen, onCreate, children }: PathFormProps) {
  const api = useApi();
  const [path, setPath] = useState(initial ?? '');
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (focus) input.current?.focus();
  }, [focus]);
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        if (path.trim()) onOpen(path.trim());
      }}
    >
      <label htmlFor={id}>{label}</label>
      <input id={id} ref={input} value={path} onChange={(event) => setPath(event.target.value)} placeholder="/home/me/project/workflow.yaml" className="mono wide" />
      <div className="row">
        <button type="submit" className="primary" disabled={!path.trim()}>
          Open
        </button>
        <button type="button" disabled={!path.trim()} onClick={() => onCreate(path.trim())}>
          Create new file
        </button>
        {api.pickFile && (
          <button type="button" onClick={() => void api.pickFile!('open').then((chosen) => chosen && onOpen(chosen))}>
            Browse…
          </button>
        )}
        {children}
      </div>
    </form>
  );
}
