/**
 * What the timeline draws, as numbers: one row per attempt (the earliest first) and one per
 * open task that has not started yet (its forecast), each attempt still going carrying its
 * forecast end; and the time axis's ticks at a round step. No React here: tested on its own
 * (test/renderer/timeline.test.ts).
 */
import type { RunAttempt, RunForecast } from '../../../core/api/types.ts';

/** A row: an attempt (with, while it goes on, when the forecast has it run) or a task's forecast alone. */
export type TimelineRow =
  | { kind: 'attempt'; attempt: RunAttempt; forecastStart: number | null; forecastEnd: number | null; estimate: number | null }
  | { kind: 'forecast'; task: string; start: number; end: number; estimate: number | null };

/** Rows drawn at most (the earliest). */
export const MAX_ROWS = 5000;

export function timelineRows(attempts: readonly RunAttempt[], forecast: RunForecast | null): TimelineRow[] {
  const ahead = new Map((forecast?.tasks ?? []).map((task) => [task.task, task]));
  const started = attempts.filter((attempt) => attempt.submittedAt ?? attempt.startedAt).sort((a, b) => (a.submittedAt ?? a.startedAt!) - (b.submittedAt ?? b.startedAt!));
  const rows: TimelineRow[] = [];
  const drawn = new Set<string>();
  for (const attempt of started) {
    const open = attempt.endedAt === null;
    const next = open ? ahead.get(attempt.task) : undefined;
    rows.push({ kind: 'attempt', attempt, forecastStart: next?.start ?? null, forecastEnd: next?.end ?? null, estimate: next?.estimate ?? null });
    if (open && next) drawn.add(attempt.task);
  }
  // A task with an attempt is drawn by it (a forecast older than the attempts may still list one that just ended).
  const tried = new Set(started.map((attempt) => attempt.task));
  const waiting = [...ahead.values()].filter((task) => !drawn.has(task.task) && !tried.has(task.task)).sort((a, b) => a.start - b.start);
  for (const task of waiting) rows.push({ kind: 'forecast', task: task.task, start: task.start, end: task.end, estimate: task.estimate });
  return rows.slice(0, MAX_ROWS);
}

/** The span the rows cover, from the first start to the last end (the forecast's too, and now while anything goes on). */
export function timelineSpan(rows: readonly TimelineRow[], now: number): { start: number; end: number } {
  let start = Infinity;
  let end = -Infinity;
  for (const row of rows) {
    if (row.kind === 'forecast') {
      start = Math.min(start, row.start);
      end = Math.max(end, row.end);
      continue;
    }
    const { attempt } = row;
    start = Math.min(start, attempt.submittedAt ?? attempt.startedAt!);
    end = Math.max(end, attempt.endedAt ?? now, row.forecastEnd ?? -Infinity);
  }
  if (start === Infinity) return { start: now, end: now + 1 };
  return { start, end: Math.max(end, start + 1) };
}

const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400].map((s) => s * 1000);

/** Ticks at a round step (1 s … 1 d) at least `minGap` px apart over `width` px: their times, and the step. */
export function timeTicks(start: number, end: number, width: number, minGap = 90): { step: number; ticks: number[] } {
  const span = Math.max(1, end - start);
  const step = STEPS.find((candidate) => (candidate / span) * width >= minGap) ?? STEPS.at(-1)!;
  const ticks: number[] = [];
  // Round in local time (a tick at 14:30 reads 14:30 wherever the clock is).
  const offset = new Date(start).getTimezoneOffset() * 60_000;
  for (let t = Math.ceil((start - offset) / step) * step + offset; t <= end; t += step) ticks.push(t);
  return { step, ticks };
}

/** A tick's label: hours and minutes, with seconds when the step is under a minute. */
export function tickLabel(at: number, step: number): string {
  const date = new Date(at);
  const two = (n: number) => String(n).padStart(2, '0');
  const time = `${two(date.getHours())}:${two(date.getMinutes())}`;
  return step < 60_000 ? `${time}:${two(date.getSeconds())}` : time;
}
