import { useEffect, useMemo, useState } from 'react';
import type { MouseEvent } from 'react';
import { request } from '../api.ts';
import { useApi, useReportFailure } from '../common/context.ts';
import { useNow } from '../common/use-now.ts';
import { duration, when } from '../common/format.ts';
import type { RunAttempt } from '../../../core/api/types.ts';
import { useRun } from './monitor-context.ts';
import { tickLabel, timelineRows, timelineSpan, timeTicks } from './timeline.ts';
import type { TimelineRow } from './timeline.ts';

const ROW = 22;
const LABEL = 220;
const AXIS = 26;
const BASE_WIDTH = 900;
const ZOOMS = [0.5, 1, 2, 4, 8, 16, 32, 64];

const LEGEND = [
  ['queued', 'queued'],
  ['ran', 'running'],
  ['ran succeeded', 'succeeded'],
  ['ran failed', 'failed'],
  ['ran cancelled', 'cancelled'],
  ['forecast', 'forecast'],
] as const;

/**
 * Every attempt on one time axis: queued (submitted → started) pale, running solid, each
 * attempt still going continued by its forecast end, and the tasks not started yet as forecast
 * bars; a line at now and at the ETA. Hover a bar for its details; zoom with the buttons or
 * Ctrl + wheel.
 */
export function Timeline({ run, version, onSelect }: { run: string; version: number; onSelect: (task: string) => void }) {
  const api = useApi();
  const report = useReportFailure();
  const forecast = useRun((state) => state.forecast);
  const [attempts, setAttempts] = useState<RunAttempt[]>([]);
  const [fetchedAt, setFetchedAt] = useState(Date.now());
  // While the run goes on, what runs grows with the clock (a run another process drives may send nothing for a while).
  const ticking = useNow(forecast ? 1000 : null);
  const now = forecast ? Math.max(ticking, fetchedAt, forecast.at) : fetchedAt;
  const [zoom, setZoom] = useState(1);
  const [hover, setHover] = useState<{ row: TimelineRow; x: number; y: number } | null>(null);
  useEffect(() => {
    let live = true;
    const timer = setTimeout(() => {
      request(api, 'runs.attempts', { run })
        .then((list) => {
          if (!live) return;
          setAttempts(list);
          setFetchedAt(Date.now());
        })
        .catch(report('The attempts could not be read'));
    }, 300);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [api, run, version, report]);
  const rows = useMemo(() => timelineRows(attempts, forecast), [attempts, forecast]);
  if (rows.length === 0) return <p className="hint page">No attempt has started yet.</p>;
  const { start, end } = timelineSpan(rows, now);
  const width = BASE_WIDTH * zoom;
  const x = (t: number) => LABEL + ((t - start) / (end - start)) * width;
  const { step, ticks } = timeTicks(start, end, width);
  const height = AXIS + rows.length * ROW + 8;
  const zoomBy = (inward: boolean) => setZoom((current) => (inward ? ZOOMS.find((z) => z > current) : [...ZOOMS].reverse().find((z) => z < current)) ?? current);
  const attemptsShown = rows.filter((row) => row.kind === 'attempt').length;
  return (
    <div className="timeline" role="figure" aria-label="Timeline of attempts">
      <div className="row timeline-bar">
        <span className="hint">
          {attemptsShown} attempts over {duration(end - start)}
          {rows.length > attemptsShown ? `, ${rows.length - attemptsShown} task${rows.length - attemptsShown === 1 ? '' : 's'} to come (forecast)` : ''}
        </span>
        <span className="legend" aria-label="Legend">
          {LEGEND.map(([style, label]) => (
            <span key={label} className="legend-item">
              <svg width="14" height="10" aria-hidden="true">
                <rect className={style.startsWith('ran ') ? 'ran' : style} x="0" y="1" width="14" height="8" style={style.startsWith('ran ') ? { fill: `var(--s-${style.slice(4)})` } : undefined} />
              </svg>
              {label}
            </span>
          ))}
        </span>
        <span className="spacer" />
        <button onClick={() => zoomBy(false)} disabled={zoom === ZOOMS[0]} aria-label="Zoom out" title="Zoom out (Ctrl + wheel)">
          −
        </button>
        <button onClick={() => setZoom(1)} aria-label="Fit" title="Fit the whole run">
          Fit
        </button>
        <button onClick={() => zoomBy(true)} disabled={zoom === ZOOMS.at(-1)} aria-label="Zoom in" title="Zoom in (Ctrl + wheel)">
          +
        </button>
      </div>
      <div
        className="timeline-scroll"
        onWheel={(event) => {
          if (!event.ctrlKey && !event.metaKey) return;
          event.preventDefault();
          zoomBy(event.deltaY < 0);
        }}
      >
        <svg width={LABEL + width + 20} height={height} onMouseLeave={() => setHover(null)}>
          <g className="axis" aria-label="Time axis">
            {ticks.map((tick) => (
              <g key={tick}>
                <line x1={x(tick)} x2={x(tick)} y1={AXIS - 6} y2={height} className="grid" />
                <text x={x(tick)} y={AXIS - 10} textAnchor="middle" className="tick">
                  {tickLabel(tick, step)}
                </text>
              </g>
            ))}
          </g>
          {rows.map((row, i) => (
            <Bar key={row.kind === 'attempt' ? `${row.attempt.task}.${row.attempt.n}` : `~${row.task}`} row={row} y={AXIS + i * ROW} x={x} now={now} onSelect={onSelect} onHover={(event) => setHover({ row, x: event.clientX, y: event.clientY })} />
          ))}
          {forecast && <line className="now-line" x1={x(now)} x2={x(now)} y1={AXIS - 4} y2={height} aria-label="Now" />}
          {forecast?.eta && forecast.eta <= end && <line className="eta-line" x1={x(forecast.eta)} x2={x(forecast.eta)} y1={AXIS - 4} y2={height} aria-label="ETA" />}
        </svg>
      </div>
      {hover && <HoverCard row={hover.row} x={hover.x} y={hover.y} now={now} />}
    </div>
  );
}

function Bar({ row, y, x, now, onSelect, onHover }: { row: TimelineRow; y: number; x: (t: number) => number; now: number; onSelect: (task: string) => void; onHover: (event: MouseEvent) => void }) {
  const task = row.kind === 'attempt' ? row.attempt.task : row.task;
  const label = (
    <text x={LABEL - 6} y={y + ROW / 2 + 2} textAnchor="end" className="gantt-label">
      {task.length > 30 ? `…${task.slice(-29)}` : task}
      {row.kind === 'attempt' && row.attempt.n > 1 ? ` #${row.attempt.n}` : ''}
    </text>
  );
  if (row.kind === 'forecast') {
    return (
      <g className="gantt forecast-row" onClick={() => onSelect(task)} onMouseMove={onHover} data-task={task}>
        {label}
        <rect className="forecast" x={x(row.start)} y={y + 3} width={Math.max(2, x(row.end) - x(row.start))} height={ROW - 8} />
      </g>
    );
  }
  const { attempt } = row;
  const queued = attempt.submittedAt ?? attempt.startedAt!;
  const ended = attempt.endedAt ?? now;
  return (
    <g className={`gantt attempt-${attempt.state}`} onClick={() => onSelect(task)} onMouseMove={onHover} data-task={task}>
      {label}
      <rect className="queued" x={x(queued)} y={y + 3} width={Math.max(1, x(attempt.startedAt ?? ended) - x(queued))} height={ROW - 8} />
      {attempt.startedAt && <rect className="ran" x={x(attempt.startedAt)} y={y + 3} width={Math.max(2, x(ended) - x(attempt.startedAt))} height={ROW - 8} />}
      {row.forecastEnd !== null && row.forecastEnd > ended && <rect className="forecast" x={x(Math.max(ended, row.forecastStart ?? ended))} y={y + 3} width={Math.max(2, x(row.forecastEnd) - x(Math.max(ended, row.forecastStart ?? ended)))} height={ROW - 8} />}
    </g>
  );
}

/** A bar's details where the pointer is. */
function HoverCard({ row, x, y, now }: { row: TimelineRow; x: number; y: number; now: number }) {
  const style = { left: Math.min(x + 14, window.innerWidth - 300), top: y + 14 };
  if (row.kind === 'forecast') {
    return (
      <div className="hover-card" style={style} role="tooltip">
        <strong className="mono">{row.task}</strong>
        <div>not started: forecast from {when(row.start)} to {when(row.end)}</div>
        <div className="hint">{row.estimate === null ? 'no history: its time is unknown' : `takes about ${duration(row.estimate)} (median of earlier runs)`}</div>
      </div>
    );
  }
  const { attempt } = row;
  return (
    <div className="hover-card" style={style} role="tooltip">
      <strong className="mono">{attempt.task}</strong> attempt {attempt.n}: {attempt.state}
      <div>
        on {attempt.target}
        {attempt.host ? ` (${attempt.host})` : ''}
        {attempt.jobId ? `, job ${attempt.jobId}` : ''}
      </div>
      {attempt.startedAt && attempt.submittedAt && attempt.startedAt - attempt.submittedAt >= 1000 && <div>queued {duration(attempt.startedAt - attempt.submittedAt)}</div>}
      {attempt.startedAt ? (
        <div>
          started {when(attempt.startedAt)}, {attempt.endedAt ? 'ran' : 'running for'} {duration((attempt.endedAt ?? now) - attempt.startedAt)}
        </div>
      ) : (
        <div>not started yet</div>
      )}
      {attempt.exitCode !== null && <div>exit code {attempt.exitCode}</div>}
      {row.forecastEnd !== null && <div className="hint">forecast end {when(row.forecastEnd)}{row.estimate !== null ? ` (usually ${duration(row.estimate)})` : ''}</div>}
    </div>
  );
}
