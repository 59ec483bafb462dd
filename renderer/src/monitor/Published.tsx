import type { MethodResult } from '../../../core/api/contract.ts';

/**
 * What the task published ($FLOTILLA_VALUES), which its decisions read: its latest successful
 * attempt's values, or for a cached task those of the attempt whose result it reuses.
 */
export function Published({ run, published }: { run: string; published: MethodResult<'tasks.values'> }) {
  if (!published || Object.keys(published.values).length === 0) return null;
  return (
    <section className="published" aria-label="Published values">
      <h4>
        Published by attempt {published.attempt}
        {published.run !== run && ` of run ${published.run} (its result is reused here)`}
      </h4>
      <dl>
        {Object.entries(published.values).map(([name, value]) => (
          <div key={name} style={{ display: 'contents' }}>
            <dt>{name}</dt>
            <dd>{JSON.stringify(value)}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
