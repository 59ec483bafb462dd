import type { GraphTask } from '../../../core/api/types.ts';
import { LoopFacts } from './LoopFacts.tsx';
import { useMonitorView } from './monitor-context.ts';

interface TaskFactsProps {
  spec: GraphTask;
  /** A loop's control: iterations so far and at most (the status's). */
  loop: { iterations: number; max: number } | undefined;
  /** Iterations the graph holds tasks of (it may be ahead of the last status). */
  made: number;
  reason: string | null;
}

/**
 * What decides whether and how often a task runs: a loop's condition, bounds and last decision
 * (with the values it read), the loop an iteration's task belongs to, and `when` conditions as
 * written (a skipped task's reason, above them, says what they read).
 */
export function TaskFacts({ spec, loop, made, reason }: TaskFactsProps) {
  const select = useMonitorView((view) => view.select);
  return (
    <>
      {spec.loop && <LoopFacts control={spec.id} until={spec.loop.until} max={loop?.max ?? spec.loop.max} onMax={spec.loop.onMax} made={Math.max(made, loop?.iterations ?? 0)} reason={reason} advance={spec.loop.advance} />}
      {spec.iteration && (
        <p className="hint">
          Iteration {spec.iteration.index} of the loop{' '}
          <button className="link mono" onClick={() => select(spec.iteration!.of)}>
            {spec.iteration.of}
          </button>
        </p>
      )}
      {spec.when && spec.when.length > 0 && (
        <section className="facts" aria-label="Conditions">
          <h4>Runs only when</h4>
          <ul>
            {spec.when.map((condition) => (
              <li key={condition}>
                <code>{condition}</code>
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}
