import { useMonitorView } from './monitor-context.ts';

/** Iterations listed to choose from; beyond, the one to draw is typed. */
const LISTED = 50;

interface LoopFactsProps {
  control: string;
  until: string;
  max: number;
  onMax: string;
  /** Iterations so far. */
  made: number;
  /** Its last decision (with the values it read), or why it stopped (a failed iteration). */
  reason: string | null;
  /** How it goes on from iteration to iteration (whether it needs Flotilla connected). */
  advance: string;
}

/** A loop's condition and bounds, how far it went and its last decision; and which of its iterations the graph draws. */
export function LoopFacts({ control, until, max, onMax, made, reason, advance }: LoopFactsProps) {
  const open = useMonitorView((view) => view.opened.get(control) ?? null);
  const openIteration = useMonitorView((view) => view.openIteration);
  return (
    <section className="facts" aria-label="Loop">
      <h4>Loop</h4>
      <dl>
        <dt>until</dt>
        <dd>
          <code>{until}</code>
        </dd>
        <dt>max</dt>
        <dd>{max}</dd>
        <dt>on_max</dt>
        <dd>{onMax}</dd>
        <dt>iterations</dt>
        <dd>
          {made} so far (of at most {max})
        </dd>
        <dt>advances</dt>
        <dd>{advance.replace(/^advances /, '')}</dd>
        <dt>reason</dt>
        <dd className="decision">{reason ?? (made === 0 ? 'none yet: the first iteration has not started' : 'none yet: waiting for the iteration to end')}</dd>
      </dl>
      {made > 0 && made <= LISTED && (
        <label className="row">
          Draw iteration
          <select aria-label="Iteration drawn" value={open ?? ''} onChange={(event) => openIteration(control, event.target.value === '' ? null : Number(event.target.value))}>
            <option value="">none (the loop as one node)</option>
            {Array.from({ length: made }, (_, index) => (
              <option key={index} value={index}>
                {control}#{index}
              </option>
            ))}
          </select>
        </label>
      )}
      {made > LISTED && (
        // Thousands of iterations are not a list to scroll: the one to draw is typed.
        <div className="row">
          <label className="row">
            Draw iteration
            <input
              type="number"
              aria-label="Iteration drawn"
              min={0}
              max={made - 1}
              placeholder={`0–${made - 1}`}
              value={open ?? ''}
              onChange={(event) => {
                const index = event.target.valueAsNumber;
                openIteration(control, Number.isInteger(index) && index >= 0 && index < made ? index : null);
              }}
            />
          </label>
          <button className="small" disabled={open === null} onClick={() => openIteration(control, null)}>
            The loop as one node
          </button>
        </div>
      )}
    </section>
  );
}
