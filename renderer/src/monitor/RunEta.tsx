import { etaText, stuckText } from '../../../core/model/eta-text.ts';
import { useNow } from '../common/use-now.ts';
import { useRun } from './monitor-context.ts';

/** The run header's forecast: how far along, when it ends (and what it cannot know), and what looks stuck. */
export function RunEta() {
  const forecast = useRun((state) => state.forecast);
  // "in N s" counts down between forecasts.
  const now = useNow(forecast ? 1000 : null);
  if (!forecast) return null;
  const eta = etaText({ ...forecast, at: Math.max(forecast.at, now) });
  const stuck = stuckText(forecast);
  return (
    <>
      {forecast.progress !== null && (
        <span className="progress" aria-label="Progress" title="Share of the run's estimated work done">
          <span className="progress-fill" style={{ width: `${Math.round(forecast.progress * 100)}%` }} />
          <span className="progress-text">{Math.round(forecast.progress * 100)} %</span>
        </span>
      )}
      {eta && (
        <span className="eta" role="status" aria-label="Estimated end" title="From how long these tasks took in earlier runs of this workflow (and this one): the median, the range from their spread">
          {eta}
        </span>
      )}
      {stuck && (
        <span className="pill stuck" role="status" aria-label="Likely stuck" title={stuck}>
          ⚠ {stuck}
        </span>
      )}
    </>
  );
}
