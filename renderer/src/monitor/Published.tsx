import type { AttemptRecord } from '../../../core/api/types.ts';

/** What the task's latest successful attempt published ($FLOTILLA_VALUES): what its decisions read. */
export function Published({ attempts }: { attempts: AttemptRecord[] }) {
  const last = attempts.findLast((a) => a.state === 'succeeded');
  const values = last?.values;
  if (!values || Object.keys(values).length === 0) return null;
  return (
    <section className="published" aria-label="Published values">
      <h4>Published by attempt {last.n}</h4>
      <dl>
        {Object.entries(values).map(([name, value]) => (
          <div key={name} style={{ display: 'contents' }}>
            <dt>{name}</dt>
            <dd>{JSON.stringify(value)}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
