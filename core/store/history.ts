/**
 * What the store's history says, read only: how long each task's successful attempts ran, by
 * declared path and target (a sweep's instances and a loop's iterations share a path), for the
 * forecast (core/model/forecast.ts), the walltime advice and the launcher's expectations; the
 * workflow texts runs read; and, from the events, why a run stopped and how its clusters stood.
 */
import type { Statement } from 'better-sqlite3';
import type { ClusterRecord } from './records.ts';

/** A successful attempt's times. */
export interface RanAttempt {
  run: string;
  /** The task's id (`md#3/run`: the loop iteration it ran in). */
  task: string;
  /** Its declared path (`md/run`). */
  path: string;
  target: string;
  startedAt: number;
  endedAt: number;
}

/** A task's path and target, its dependencies and what its latest attempt is doing: the forecast's view of a run. */
export interface ForecastRow {
  idx: number;
  id: string;
  path: string;
  target: string;
  after: string[];
  /** A loop's control: which kind, and its `max`. */
  loop: 'repeat' | 'foreach' | null;
  max: number | null;
}

/** Runs of a workflow file looked back on, at most. */
export const HISTORY_RUNS = 20;
/** Attempts read back from them, at most (the newest). */
export const HISTORY_ATTEMPTS = 50_000;

const RAN = `SELECT a.run_id AS run, t.id AS task, json_extract(t.spec, '$.path') AS path, a.target AS target, a.started_at AS startedAt, a.ended_at AS endedAt
  FROM attempts a JOIN tasks t ON t.run_id = a.run_id AND t.idx = a.task_idx
  WHERE a.state = 'succeeded' AND a.started_at IS NOT NULL AND a.ended_at IS NOT NULL`;

export class HistoryTables {
  private readonly statement: (sql: string) => Statement;

  constructor(statement: (sql: string) => Statement) {
    this.statement = statement;
  }

  /** The latest runs of a workflow file but one, newest first, each with when it ended (null: not yet). */
  earlierRuns(file: string, exceptRun: string, limit = HISTORY_RUNS): { id: string; endedAt: number | null }[] {
    return this.statement('SELECT id, ended_at AS endedAt FROM runs WHERE file = ? AND id <> ? ORDER BY created_at DESC LIMIT ?').all(file, exceptRun, limit) as { id: string; endedAt: number | null }[];
  }

  /** The successful attempts of these runs, the latest to end first. */
  ranIn(runIds: readonly string[], limit = HISTORY_ATTEMPTS): RanAttempt[] {
    if (runIds.length === 0) return [];
    return this.statement(`${RAN} AND a.run_id IN (SELECT value FROM json_each(?)) ORDER BY a.ended_at DESC LIMIT ?`).all(JSON.stringify(runIds), limit) as RanAttempt[];
  }

  /** When anything last happened in a run (its latest event), if anything did. */
  lastEventAt(runId: string): number | undefined {
    return (this.statement('SELECT max(at) AS at FROM events WHERE run_id = ?').get(runId) as { at: number | null }).at ?? undefined;
  }

  /** A workflow file's text as a run read it, by its hash (the run's provenance). */
  text(hash: string): string | undefined {
    return (this.statement('SELECT text FROM texts WHERE hash = ?').get(hash) as { text: string } | undefined)?.text;
  }

  /** The attempts of these runs stopped at their time limit (scheduler state TIMEOUT): they needed at least as long. */
  timedOutIn(runIds: readonly string[], limit = HISTORY_ATTEMPTS): RanAttempt[] {
    if (runIds.length === 0) return [];
    return this.statement(`${RAN.replace("a.state = 'succeeded'", "a.state = 'failed' AND a.scheduler_state = 'TIMEOUT'")} AND a.run_id IN (SELECT value FROM json_each(?)) ORDER BY a.ended_at DESC LIMIT ?`).all(JSON.stringify(runIds), limit) as RanAttempt[];
  }

  /**
   * How long attempts that succeeded ran, in ms, per target (a mean over up to 500), in the
   * latest run of the workflow file other than `exceptRun`: what a new run expects.
   */
  recentRunTimes(file: string, exceptRun: string): Record<string, number> {
    const rows = this.statement(
      `SELECT target, avg(ms) AS ms FROM (
         SELECT target, ended_at - coalesce(started_at, submitted_at) AS ms FROM attempts
         WHERE run_id = (SELECT id FROM runs WHERE file = ? AND id <> ? ORDER BY created_at DESC LIMIT 1) AND state = 'succeeded'
         LIMIT 500
       ) GROUP BY target`,
    ).all(file, exceptRun) as { target: string; ms: number }[];
    return Object.fromEntries(rows.map((row) => [row.target, row.ms]));
  }

  /**
   * The error a run's last drive stopped on (a `stopped` event), unless something happened
   * to its tasks since (a later drive, which may have been killed instead).
   */
  stoppedOn(runId: string): string | null {
    const row = this.statement(
      "SELECT detail FROM events WHERE run_id = ? AND kind = 'stopped' AND seq > COALESCE((SELECT max(seq) FROM events WHERE run_id = ? AND kind NOT IN ('stopped', 'cluster')), 0) ORDER BY seq DESC LIMIT 1",
    ).get(runId, runId) as { detail: string | null } | undefined;
    return row?.detail ?? null;
  }

  /** The last recorded status of each cluster a run used (destination → state, last seen). */
  clusterStatuses(runId: string): ClusterRecord[] {
    const rows = this.statement("SELECT at, to_state, detail FROM events WHERE run_id = ? AND kind = 'cluster' ORDER BY seq").all(runId) as { at: number; to_state: string; detail: string }[];
    const latest = new Map<string, ClusterRecord>();
    for (const row of rows) {
      const data = JSON.parse(row.detail) as { destination: string; lastSeen: number | null; detail: string | null };
      latest.set(data.destination, { destination: data.destination, state: row.to_state, lastSeen: data.lastSeen, detail: data.detail, at: row.at });
    }
    return [...latest.values()];
  }

  /** A run's tasks as the forecast reads them (without parsing their specs in JavaScript), from index `from` on. */
  forecastRows(runId: string, from = 0): ForecastRow[] {
    const rows = this.statement(
      "SELECT idx, id, json_extract(spec, '$.path') AS path, json_extract(spec, '$.target') AS target, json_extract(spec, '$.after') AS after, json_extract(spec, '$.loop.kind') AS loop, json_extract(spec, '$.loop.max') AS max FROM tasks WHERE run_id = ? AND idx >= ? ORDER BY idx",
    ).all(runId, from) as { idx: number; id: string; path: string; target: string; after: string; loop: 'repeat' | 'foreach' | null; max: number | null }[];
    return rows.map((row) => ({ idx: row.idx, id: row.id, path: row.path, target: row.target, after: JSON.parse(row.after) as string[], loop: row.loop, max: row.max }));
  }
}
