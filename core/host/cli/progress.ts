import { onQuestion } from './questions.ts';
import type { RunForecast, RunnerEvent } from '../../api/types.ts';
import { etaText, stuckText } from '../../model/eta-text.ts';
import { TASK_STATES } from '../../model/task-states.ts';
import type { TaskState } from '../../model/task-states.ts';

/** Where progress goes: a terminal gets a live view, anything else plain lines. */
export interface ProgressOutput {
  write(text: string): void;
  isTTY: boolean;
  columns?: number;
}

/** How often the live view asks for a new forecast (ms). */
const FORECAST_MS = 5_000;

const COLORS: Partial<Record<TaskState, string>> = { succeeded: '32', cached: '36', skipped: '90', failed: '31', blocked: '33', cancelled: '35', running: '34' };

/**
 * Shows a run as it goes. On a terminal: a redrawn block (bar, counts per state, running
 * tasks, elapsed time). Otherwise: one line per start, success, failure, retry or block.
 */
export class Progress {
  private readonly out: ProgressOutput;
  /** Tasks in each state: as the run stood at `begin`, then moved by each event. */
  private readonly tally = Object.fromEntries(TASK_STATES.map((state) => [state, 0])) as Record<TaskState, number>;
  private total = 0;
  private readonly running = new Map<string, number>();
  private readonly started = Date.now();
  private readonly quiet: boolean;
  private timer: NodeJS.Timeout | undefined;
  private drawnLines = 0;
  /** A question owns the terminal (see questions.ts): nothing is drawn until it is answered. */
  private paused = false;
  private readonly pendingNotes: string[] = [];
  private unsubscribe: (() => void) | undefined;
  private name = '';
  private runId = '';
  /** The forecast's words (etaText, stuckText), asked for every FORECAST_MS. */
  private eta: string | null = null;
  private forecast: RunForecast | undefined;
  private stuck: string | null = null;
  private forecastTimer: NodeJS.Timeout | undefined;
  private etaPrinted = 0;

  constructor(out: ProgressOutput, quiet = false) {
    this.out = out;
    this.quiet = quiet;
  }

  begin(runId: string, name: string, counts: Partial<Record<TaskState, number>>): void {
    this.runId = runId;
    this.name = name;
    for (const state of TASK_STATES) this.tally[state] = counts[state] ?? 0;
    this.total = TASK_STATES.reduce((sum, state) => sum + this.tally[state], 0);
    if (this.quiet) return;
    if (this.out.isTTY) {
      this.unsubscribe = onQuestion((asking) => {
        if (asking) this.clear();
        this.paused = asking;
        if (!asking) this.draw();
      });
      this.timer = setInterval(() => this.draw(), 100);
      this.draw();
    } else {
      this.out.write(`run ${runId} of ${name}: ${this.total} task${this.total === 1 ? '' : 's'}\n`);
    }
  }

  /**
   * Asks for the run's forecast now and every FORECAST_MS: on a terminal the live view shows it;
   * plain output gets a line when it changed, at most one a minute.
   */
  forecastWith(ask: () => Promise<RunForecast>): void {
    if (this.quiet) return;
    const look = () =>
      ask().then(
        (forecast) => this.takeForecast(forecast),
        // A forecast is a nicety: a store busy for a moment leaves the last one shown.
        () => undefined,
      );
    void look();
    this.forecastTimer = setInterval(() => void look(), FORECAST_MS);
  }

  private takeForecast(forecast: RunForecast): void {
    if (this.timer === undefined && this.out.isTTY) return;
    this.forecast = forecast;
    const eta = etaText(forecast);
    const stuck = stuckText(forecast);
    const changed = eta !== this.eta || stuck !== this.stuck;
    this.eta = eta;
    this.stuck = stuck;
    if (this.out.isTTY || !changed || Date.now() - this.etaPrinted < 60_000) return;
    this.etaPrinted = Date.now();
    const time = new Date().toTimeString().slice(0, 8);
    for (const line of [eta, stuck]) if (line) this.out.write(`[${time}] ${line}\n`);
  }

  /** Prints a line above the live view (or as a plain line). */
  note(line: string): void {
    if (this.quiet) return;
    // (During a question the line waits: it would land in the middle of the answer.)
    if (this.paused) return void this.pendingNotes.push(line);
    this.clear();
    this.out.write(`${line}\n`);
    if (this.out.isTTY) this.draw();
  }

  onEvent(event: RunnerEvent): void {
    if (event.type === 'explain') return this.note(`${event.taskId}: ${event.reason}`);
    if (event.type === 'grew') {
      this.tally.waiting += event.tasks.length;
      this.total += event.tasks.length;
      return;
    }
    if (event.type !== 'task') return;
    this.tally[event.from]--;
    this.tally[event.to]++;
    if (event.to === 'running') this.running.set(event.taskId, Date.now());
    else this.running.delete(event.taskId);
    if (this.quiet || this.out.isTTY) {
      if (event.to === 'failed' || (event.from === 'running' && event.to === 'ready')) this.note(this.line(event));
      return;
    }
    if (['running', 'succeeded', 'skipped', 'failed', 'blocked', 'cancelled'].includes(event.to) || event.to === 'ready' && event.from !== 'waiting') {
      this.out.write(`${this.line(event)}\n`);
    }
  }

  end(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    clearInterval(this.forecastTimer);
    this.forecastTimer = undefined;
    this.unsubscribe?.();
    this.paused = false;
    if (this.out.isTTY && !this.quiet) {
      this.clear();
      this.draw(false);
    }
  }

  private line(event: Extract<RunnerEvent, { type: 'task' }>): string {
    const time = new Date(event.at).toTimeString().slice(0, 8);
    const attempt = event.attempt !== null && event.attempt > 1 ? ` (attempt ${event.attempt})` : '';
    const verb = event.to === 'running' ? 'started' : event.to === 'ready' ? 'retrying' : event.to;
    return `[${time}] ${verb} ${event.taskId}${attempt}${event.detail && event.to !== 'running' ? `: ${event.detail}` : ''}`;
  }

  private clear(): void {
    if (!this.out.isTTY || this.drawnLines === 0) return;
    this.out.write(`\x1b[${this.drawnLines}A\x1b[J`);
    this.drawnLines = 0;
  }

  private draw(live = true): void {
    if (this.paused) return;
    for (const note of this.pendingNotes.splice(0)) {
      this.clear();
      this.out.write(`${note}\n`);
    }
    const counts = this.tally;
    const total = this.total;
    const done = counts.succeeded + counts.cached + counts.skipped + counts.failed + counts.blocked + counts.cancelled;
    const width = Math.max(10, Math.min(40, (this.out.columns ?? 80) - 50));
    const filled = total === 0 ? width : Math.round((done / total) * width);
    const elapsed = formatDuration(Date.now() - this.started);
    const lines = [`${this.name} ${this.runId}  ${'█'.repeat(filled)}${'░'.repeat(width - filled)}  ${done}/${total}  ${elapsed}`];
    lines.push(
      TASK_STATES.filter((state) => counts[state] > 0)
        .map((state) => (COLORS[state] ? `\x1b[${COLORS[state]}m${state} ${counts[state]}\x1b[0m` : `${state} ${counts[state]}`))
        .join(' · '),
    );
    // ("in N s" counts down between forecasts.)
    const eta = this.forecast ? etaText({ ...this.forecast, at: Math.max(this.forecast.at, Date.now()) }) : null;
    if (live && eta) lines.push(eta);
    if (live && this.stuck) lines.push(`\x1b[33m${this.stuck}\x1b[0m`);
    if (live) {
      const shown = [...this.running.entries()].slice(0, 8);
      for (const [id, since] of shown) lines.push(`  ▸ ${id} (${formatDuration(Date.now() - since)})`);
      if (this.running.size > shown.length) lines.push(`  … and ${this.running.size - shown.length} more running`);
    }
    this.clear();
    this.out.write(`${lines.join('\n')}\n`);
    this.drawnLines = lines.length;
  }
}

/** `1.2s`, `3m05s`, `2h01m`. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const seconds = Math.floor(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}
