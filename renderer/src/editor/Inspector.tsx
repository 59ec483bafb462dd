import { useEffect, useState } from 'react';
import type { WalltimeAdvice } from '../../../core/api/types.ts';
import { roughly } from '../../../core/model/eta-text.ts';
import { timeText } from '../../../core/model/walltime.ts';
import { DecisionFields } from './DecisionFields.tsx';
import { Field } from './Field.tsx';
import { envText, envValue, fromLines, lines, scalar, sweepText, sweepValue, text } from './fields.ts';
import type { EditorNode, Mapping } from './model.ts';
import { isMapping } from './model.ts';

export interface InspectorProps {
  node: EditorNode;
  targets: string[];
  problems: string[];
  /** What past runs say of its time limit (cluster tasks). */
  advice?: WalltimeAdvice | undefined;
  after: { entry: string; source?: string }[];
  onRename: (name: string) => string | undefined;
  onPatch: (patch: Mapping) => void;
  onRemoveAfter: (entry: string) => void;
  onDelete: () => void;
}

export function Inspector({ node, targets, problems, advice, after, onRename, onPatch, onRemoveAfter, onDelete }: InspectorProps) {
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
      <DecisionFields node={node} onPatch={onPatch} />
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
        {advice && (
          <p className="field-warning" role="status" aria-label="Walltime advice">
            Time {timeText(advice.limit)} is shorter than its last {advice.samples} attempts on {advice.target} needed (95th percentile {roughly(advice.p95 * 1000)}): it will likely hit its limit.{' '}
            <button className="small" onClick={() => setResource('time', advice.suggested)}>
              Use {advice.suggested}
            </button>
          </p>
        )}
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
