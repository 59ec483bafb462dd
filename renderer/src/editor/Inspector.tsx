import { useEffect, useId, useState } from 'react';
import type { EditorNode, Mapping } from './model.ts';
import { isMapping } from './model.ts';

/** A text field that commits when it loses focus (or on Enter for one line), so one edit is one undo step. */
function Field(props: { label: string; value: string; onCommit: (value: string) => void; multiline?: boolean; placeholder?: string; mono?: boolean; hint?: string; error?: string }) {
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

const text = (value: unknown): string => (value === undefined || value === null ? '' : typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value));

function lines(value: unknown): string {
  if (Array.isArray(value)) return value.map(text).join('\n');
  return text(value);
}

function fromLines(value: string): string[] | undefined {
  const list = value
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  return list.length > 0 ? list : undefined;
}

function envText(value: unknown): string {
  return isMapping(value) ? Object.entries(value).map(([key, entry]) => `${key}=${text(entry)}`).join('\n') : '';
}

function envValue(value: string): Mapping | undefined {
  const env: Mapping = {};
  for (const line of value.split('\n')) {
    const cut = line.indexOf('=');
    if (line.trim() === '') continue;
    if (cut <= 0) env[line.trim()] = '';
    else env[line.slice(0, cut).trim()] = line.slice(cut + 1);
  }
  return Object.keys(env).length > 0 ? env : undefined;
}

/** A scalar typed as the file would: numbers and booleans as such, the rest as text. */
function scalar(word: string): unknown {
  const trimmed = word.trim();
  if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(trimmed)) return Number(trimmed);
  if (trimmed === 'true' || trimmed === 'false') return trimmed === 'true';
  return trimmed.replace(/^(["'])(.*)\1$/, '$2');
}

/** `name = 1, 2, 3` per line (or `name = {{ params.x }}`). */
function sweepText(value: unknown): string {
  if (!isMapping(value)) return '';
  return Object.entries(value)
    .map(([name, values]) => `${name} = ${Array.isArray(values) ? values.map(text).join(', ') : text(values)}`)
    .join('\n');
}

function sweepValue(value: string): { value: Mapping | undefined; error?: string } {
  const sweep: Mapping = {};
  for (const line of value.split('\n')) {
    if (line.trim() === '') continue;
    const cut = line.indexOf('=');
    if (cut <= 0) return { value: undefined, error: `'${line.trim()}': write name = value, value, …` };
    const name = line.slice(0, cut).trim();
    const values = line.slice(cut + 1).trim();
    sweep[name] = values.includes('{{') ? values : values.split(',').map(scalar);
  }
  return { value: Object.keys(sweep).length > 0 ? sweep : undefined };
}

export interface InspectorProps {
  node: EditorNode;
  targets: string[];
  problems: string[];
  after: { entry: string; source?: string }[];
  onRename: (name: string) => string | undefined;
  onPatch: (patch: Mapping) => void;
  onRemoveAfter: (entry: string) => void;
  onDelete: () => void;
}

export function Inspector({ node, targets, problems, after, onRename, onPatch, onRemoveAfter, onDelete }: InspectorProps) {
  const raw = node.raw;
  const resources = isMapping(raw.resources) ? raw.resources : {};
  const [nameError, setNameError] = useState<string>();
  const [sweepError, setSweepError] = useState<string>();
  useEffect(() => {
    setNameError(undefined);
    setSweepError(undefined);
  }, [node.path]);
  const setResource = (key: string, value: string) => {
    const next: Mapping = { ...resources };
    if (value.trim() === '') delete next[key];
    else next[key] = key === 'cpus' || key === 'nodes' ? scalar(value) : value.trim();
    onPatch({ resources: next });
  };
  const sweepKey = isMapping(raw.zip) ? 'zip' : 'foreach';
  return (
    <aside className="inspector" aria-label={`Inspector: ${node.path}`}>
      <h2>
        {node.kind === 'group' ? 'Group' : node.kind === 'include' ? 'Included file' : 'Task'} <code>{node.path}</code>
      </h2>
      {problems.length > 0 && (
        <ul className="problems" aria-label="Problems">
          {problems.map((problem) => (
            <li key={problem}>{problem}</li>
          ))}
        </ul>
      )}
      <Field label="Name" value={node.name} error={nameError} onCommit={(name) => setNameError(onRename(name.trim()))} />
      <Field label="Description" value={text(raw.description)} onCommit={(value) => onPatch({ description: value.trim() || undefined })} />
      {node.kind === 'task' && <Field label="Command" multiline mono value={text(raw.run)} onCommit={(value) => onPatch({ run: value })} hint="A shell script; {{ params.x }} and sweep variables are filled in. Ctrl+Enter applies." />}
      {node.kind === 'include' && <Field label="File" value={text(raw.include)} onCommit={(value) => onPatch({ include: value.trim() })} />}
      <Field label="Working folder" value={text(raw.cwd)} placeholder="inherited" onCommit={(value) => onPatch({ cwd: value.trim() || undefined })} />
      <div className="field">
        <label htmlFor={`${node.path}-target`}>Target</label>
        <select id={`${node.path}-target`} value={text(raw.target)} onChange={(event) => onPatch({ target: event.target.value || undefined })}>
          <option value="">inherited</option>
          {[...new Set(['local', ...targets, ...(typeof raw.target === 'string' ? [raw.target] : [])])].map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      </div>
      <fieldset>
        <legend>Resources</legend>
        <div className="grid2">
          <Field label="CPUs" value={text(resources.cpus)} onCommit={(value) => setResource('cpus', value)} />
          <Field label="Memory" value={text(resources.memory)} placeholder="4G" onCommit={(value) => setResource('memory', value)} />
          <Field label="Time" value={text(resources.time)} placeholder="1h30m" onCommit={(value) => setResource('time', value)} />
          <Field label="Partition" value={text(resources.partition)} onCommit={(value) => setResource('partition', value)} />
          <Field label="GPUs" value={text(resources.gpus)} onCommit={(value) => setResource('gpus', value)} />
          <Field label="Nodes" value={text(resources.nodes)} onCommit={(value) => setResource('nodes', value)} />
        </div>
      </fieldset>
      <Field label="Retries" value={text(raw.retries)} placeholder="inherited" onCommit={(value) => onPatch({ retries: value.trim() === '' ? undefined : scalar(value) })} />
      <Field label="Environment" multiline mono value={envText(raw.env)} placeholder="NAME=value, one per line" onCommit={(value) => onPatch({ env: envValue(value) })} />
      {node.kind === 'task' && (
        <>
          <Field label="Inputs" multiline mono value={lines(raw.inputs)} placeholder="one path or glob per line" onCommit={(value) => onPatch({ inputs: fromLines(value) })} />
          <Field label="Outputs" multiline mono value={lines(raw.outputs)} placeholder="one path or glob per line" onCommit={(value) => onPatch({ outputs: fromLines(value) })} />
        </>
      )}
      <Field
        label={sweepKey === 'zip' ? 'Sweep (zip)' : 'Sweep (every combination)'}
        multiline
        mono
        value={sweepText(raw[sweepKey])}
        placeholder="w = 0, 1, 2"
        error={sweepError}
        onCommit={(value) => {
          const parsed = sweepValue(value);
          setSweepError(parsed.error);
          if (!parsed.error) onPatch({ [sweepKey]: parsed.value });
        }}
      />
      <div className="field">
        <span className="label">Runs after</span>
        {after.length === 0 ? (
          <div className="hint">nothing: drag from another node's right handle to here</div>
        ) : (
          <ul className="after">
            {after.map(({ entry, source }) => (
              <li key={entry}>
                <code>{entry}</code>
                {!source && <span className="field-error"> names nothing</span>}
                <button className="small" aria-label={`Remove dependency on ${entry}`} onClick={() => onRemoveAfter(entry)}>
                  ✕
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>
      <button className="danger" onClick={onDelete}>
        Delete {node.kind === 'group' ? 'group' : 'task'}
      </button>
    </aside>
  );
}

export function WorkflowInspector({ value, onPatch, problems }: { value: Mapping; onPatch: (patch: Mapping) => void; problems: string[] }) {
  const targets = isMapping(value.targets) ? value.targets : {};
  return (
    <aside className="inspector" aria-label="Inspector: workflow">
      <h2>Workflow</h2>
      {problems.length > 0 && (
        <ul className="problems" aria-label="Problems">
          {problems.map((problem) => (
            <li key={problem}>{problem}</li>
          ))}
        </ul>
      )}
      <Field label="Name" value={text(value.name)} onCommit={(name) => onPatch({ name: name.trim() || undefined })} />
      <Field label="Description" value={text(value.description)} onCommit={(description) => onPatch({ description: description.trim() || undefined })} />
      <Field
        label="Parameters"
        multiline
        mono
        value={isMapping(value.params) ? Object.entries(value.params).map(([key, entry]) => `${key} = ${JSON.stringify(entry)}`).join('\n') : ''}
        placeholder={'steps = 200\nwindows = [0, 1, 2]'}
        hint="name = JSON value, one per line"
        onCommit={(source) => {
          const params: Mapping = {};
          for (const line of source.split('\n')) {
            const cut = line.indexOf('=');
            if (cut <= 0) continue;
            const raw = line.slice(cut + 1).trim();
            try {
              params[line.slice(0, cut).trim()] = JSON.parse(raw);
            } catch {
              params[line.slice(0, cut).trim()] = raw;
            }
          }
          onPatch({ params: Object.keys(params).length > 0 ? params : undefined });
        }}
      />
      <fieldset>
        <legend>Targets</legend>
        {Object.entries(targets).map(([name, spec]) => {
          const target = isMapping(spec) ? spec : {};
          const set = (key: string, entry: string) => onPatch({ targets: { ...targets, [name]: { ...target, [key]: entry.trim() === '' ? undefined : key === 'max_parallel' ? scalar(entry) : entry.trim() } } });
          return (
            <div key={name} className="target-card">
              <strong>{name}</strong> <span className="hint">{text(target.type)}</span>
              {target.type !== 'local' && <Field label="Host" value={text(target.host)} placeholder="user@login.cluster.org or an ~/.ssh/config Host" onCommit={(entry) => set('host', entry)} />}
              <Field label="At once" value={text(target.max_parallel)} placeholder="default" onCommit={(entry) => set('max_parallel', entry)} />
              <button
                className="small"
                onClick={() => {
                  const rest = { ...targets };
                  delete rest[name];
                  onPatch({ targets: Object.keys(rest).length > 0 ? rest : undefined });
                }}
              >
                Remove {name}
              </button>
            </div>
          );
        })}
        <div className="row">
          {(['slurm', 'ssh'] as const).map((type) => (
            <button
              key={type}
              className="small"
              onClick={() => {
                let n = 1;
                while (`${type}${n}` in targets) n++;
                onPatch({ targets: { ...targets, [`${type}${n}`]: { type, host: 'user@cluster.example.org' } } });
              }}
            >
              Add {type === 'slurm' ? 'SLURM cluster' : 'SSH host'}
            </button>
          ))}
        </div>
      </fieldset>
    </aside>
  );
}
