import { useEffect, useMemo, useState } from 'react';
import { request } from '../api.ts';
import { useApi, useReportFailure } from '../common/context.ts';
import { duration } from '../common/format.ts';
import type { RunAttempt } from '../../../core/api/types.ts';

/** An attempt as the timeline draws it. */
type Bar = RunAttempt;

const ROW = 22;
const LABEL = 220;

/** Every attempt on one time axis: queued (submitted → started) pale, running solid. */
export function Timeline({ run, version, onSelect }: { run: string; version: number; onSelect: (task: string) => void }) {
  const api = useApi();
  const report = useReportFailure();
  const [bars, setBars] = useState<Bar[]>([]);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    let live = true;
    const timer = setTimeout(() => {
      request(api, 'runs.attempts', { run })
        .then((list) => {
          if (!live) return;
          setBars(list);
          setNow(Date.now());
        })
        .catch(report('The attempts could not be read'));
    }, 300);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [api, run, version, report]);
  const shown = useMemo(() => bars.filter((bar) => bar.submittedAt ?? bar.startedAt).slice(0, 5000), [bars]);
  if (shown.length === 0) return <p className="hint page">No attempt has started yet.</p>;
  const start = Math.min(...shown.map((bar) => bar.submittedAt ?? bar.startedAt!));
  const end = Math.max(...shown.map((bar) => bar.endedAt ?? now));
  const span = Math.max(1, end - start);
  const width = 900;
  const x = (t: number) => LABEL + ((t - start) / span) * width;
  return (
    <div className="timeline" role="figure" aria-label="Timeline of attempts">
      <div className="hint">
        {shown.length} attempts over {duration(span)}
      </div>
      <svg width={LABEL + width + 20} height={shown.length * ROW + 24}>
        {shown.map((bar, i) => {
          const y = i * ROW + 4;
          const queued = bar.submittedAt ?? bar.startedAt!;
          const started = bar.startedAt;
          const ended = bar.endedAt ?? now;
          return (
            <g key={`${bar.task}.${bar.n}`} className={`gantt attempt-${bar.state}`} onClick={() => onSelect(bar.task)}>
              <title>{`${bar.task} attempt ${bar.n}: ${bar.state} on ${bar.host}${started ? `, ran ${duration(ended - started)}` : ''}${started && bar.submittedAt ? `, queued ${duration(started - bar.submittedAt)}` : ''}`}</title>
              <text x={LABEL - 6} y={y + ROW / 2 + 2} textAnchor="end" className="gantt-label">
                {bar.task.length > 30 ? `…${bar.task.slice(-29)}` : bar.task}
                {bar.n > 1 ? ` #${bar.n}` : ''}
              </text>
              <rect className="queued" x={x(queued)} y={y + 3} width={Math.max(1, x(started ?? ended) - x(queued))} height={ROW - 8} />
              {started && <rect className="ran" x={x(started)} y={y + 3} width={Math.max(2, x(ended) - x(started))} height={ROW - 8} />}
            </g>
          );
        })}
      </svg>
    </div>
  );
}
