/**
 * What is worth a desktop notification, said once as a `notice` event for every host to show
 * its own way (the app: Electron's Notification; web mode: the browser's; the CLI: a bell and
 * `--notify`): a run's first failure, a run's end (the first failure named), and after a
 * return — a cluster reachable again, runs re-attached at start — one summary of what ended
 * meanwhile ("while you were away: 37 tasks finished, 1 failed").
 */
import { DONE_STATES, TASK_STATES, TERMINAL_STATES } from '../model/task-states.ts';
import type { Store } from '../store/store.ts';
import type { RunNotice, ServiceEvent } from './types.ts';

/** A return's summary waits until no task has ended for this long (the reconciling polls' burst) … */
export const AWAY_QUIET_MS = 3000;
/** … after the first one ends, which it waits for this many times as long (a cluster's first poll may take a while). */
const FIRST_WAIT_FACTOR = 20;

export class Notifier {
  private readonly store: Store;
  private readonly emit: (notice: RunNotice) => void;
  private readonly quietMs: number;
  /** Runs whose first failure was told. */
  private readonly failed = new Set<string>();
  /** Clusters by their last state, and when they last answered while online, to see one come back and say since when. */
  private readonly clusters = new Map<string, { state: string; lastSeen: number | null }>();
  private away: { since: number; what: string; finished: number; failed: number; timer: NodeJS.Timeout | undefined } | undefined;

  constructor(store: Store, emit: (notice: RunNotice) => void, quietMs = AWAY_QUIET_MS) {
    this.store = store;
    this.emit = emit;
    this.quietMs = quietMs;
  }

  hear(event: ServiceEvent): void {
    if (event.type === 'task') {
      if (this.away && TERMINAL_STATES.has(event.to)) this.countAway(DONE_STATES.has(event.to));
      if (event.to === 'failed' && !this.failed.has(event.runId)) {
        this.failed.add(event.runId);
        this.emit({ type: 'notice', kind: 'first-failure', runId: event.runId, title: `${this.nameOf(event.runId)}: ${event.taskId} failed`, body: event.detail ?? 'it failed' });
      }
    } else if (event.type === 'run' && event.state !== 'running') {
      this.emit(this.ended(event.runId));
    } else if (event.type === 'cluster') {
      const { destination, state, lastSeen } = event.status;
      const before = this.clusters.get(destination);
      // Away since it last answered before it went (not since the answer that brought it back).
      this.clusters.set(destination, { state, lastSeen: state === 'online' ? lastSeen : (before?.lastSeen ?? lastSeen) });
      if (before !== undefined && before.state !== 'online' && state === 'online') this.returned(before.lastSeen ?? Date.now(), 'while you were away');
    }
  }

  /** Runs were taken up again at start (or the link came back): what ends in the burst that follows is summed up once. */
  returned(since: number, what: string): void {
    if (this.away) return;
    this.away = { since, what, finished: 0, failed: 0, timer: undefined };
    this.countAway(null);
  }

  dispose(): void {
    clearTimeout(this.away?.timer);
    this.away = undefined;
  }

  private countAway(succeeded: boolean | null): void {
    const away = this.away!;
    if (succeeded === true) away.finished++;
    else if (succeeded === false) away.failed++;
    clearTimeout(away.timer);
    const first = away.finished + away.failed === 0;
    away.timer = setTimeout(() => {
      this.away = undefined;
      if (away.finished + away.failed === 0) return;
      const failed = away.failed > 0 ? `, ${away.failed} failed` : '';
      this.emit({ type: 'notice', kind: 'away', runId: null, title: `${away.what}: ${away.finished} task${away.finished === 1 ? '' : 's'} finished${failed}`, body: `since ${new Date(away.since).toLocaleString()}` });
    }, first ? this.quietMs * FIRST_WAIT_FACTOR : this.quietMs);
    away.timer.unref?.();
  }

  private ended(runId: string): RunNotice {
    const run = this.store.getRun(runId);
    const counts = this.store.stateCounts(runId);
    const tally = TASK_STATES.filter((state) => (counts[state] ?? 0) > 0)
      .map((state) => `${counts[state]} ${state}`)
      .join(', ');
    const first = (counts.failed ?? 0) > 0 ? this.store.tasksIn(runId, 'failed', 1)[0] : undefined;
    const state = run?.state ?? 'ended';
    return { type: 'notice', kind: 'ended', runId, title: `${run?.name ?? runId} ${state}${first ? ` — ${first.id} failed${(counts.failed ?? 0) > 1 ? ` (and ${(counts.failed ?? 0) - 1} more)` : ''}` : ''}`, body: tally, state: run?.state ?? null };
  }

  private nameOf(runId: string): string {
    return this.store.getRun(runId)?.name ?? runId;
  }
}
