import type { ReactNode } from 'react';
import { Field } from './Field.tsx';
import { scalar, text } from './fields.ts';
import { isMapping } from './model.ts';
import type { Mapping } from './model.ts';

/** The workflow's own settings, shown when no node is selected: name, parameters, targets. */
export function WorkflowInspector({ value, onPatch, problems, git }: { value: Mapping; onPatch: (patch: Mapping) => void; problems: string[]; git?: ReactNode }) {
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
      {git}
    </aside>
  );
}
