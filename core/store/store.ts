import { existsSync } from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import type { TaskState } from '../model/task-states.ts';
import type { TaskSpec } from '../model/types.ts';
import type { PublishedValues } from '../model/values.ts';
import { flotillaHome } from '../util/home.ts';
import type { Provenance } from '../util/provenance.ts';
import { CacheTables } from './cache.ts';
import { HistoryTables } from './history.ts';
import { openDatabase } from './database.ts';
import type { AttemptRecord, EventRecord, NewEvent, PlanHeader, RequestRecord, RunOptions, RunRecord, RunState, TaskRecord, TransitionRecord } from './records.ts';

export type { AttemptRecord, AttemptState, CacheRecord, ClusterRecord, EventRecord, NewEvent, PlanHeader, RequestRecord, RunOptions, RunRecord, RunState, TaskRecord, TransitionRecord } from './records.ts';

const ATTEMPT_COLUMNS: Record<keyof AttemptRecord, string> = {
  runId: 'run_id', taskIdx: 'task_idx', n: 'n', state: 'state', target: 'target', host: 'host', command: 'command', cwd: 'cwd', dir: 'dir', marker: 'marker',
  stdout: 'stdout', stderr: 'stderr', hash: 'hash', pid: 'pid', pidStart: 'pid_start', jobId: 'job_id', schedulerState: 'scheduler_state', expectedStart: 'expected_start',
  submittedAt: 'submitted_at', startedAt: 'started_at', endedAt: 'ended_at', exitCode: 'exit_code', signal: 'signal', reason: 'reason', values: 'published',
};
const ATTEMPT_SELECT = Object.entries(ATTEMPT_COLUMNS).map(([key, column]) => `${column} AS "${key}"`).join(', ');
const ATTEMPT_KEYS = Object.keys(ATTEMPT_COLUMNS) as (keyof AttemptRecord)[];
/** A task's columns but its spec. */
const TASK_COLUMNS = 'idx, id, state, hash, attempts, failures, reason';
const ATTEMPT_INSERT = `INSERT INTO attempts (${Object.values(ATTEMPT_COLUMNS).join(', ')}) VALUES (${ATTEMPT_KEYS.map(() => '?').join(', ')})`;

/**
 * The durable record of runs: SQLite in WAL mode, one file under the Flotilla home.
 * Every state change is committed here before anything acts on it.
 */
export class Store {
  readonly db: Database.Database;
  readonly home: string;
  /** Cached results and file hashes. */
  readonly cache: CacheTables;
  /** How long past attempts ran, and a run's tasks as the forecast reads them. */
  readonly history: HistoryTables;
  private readonly statements = new Map<string, Statement>();

  private constructor(home: string, db: Database.Database) {
    this.home = home;
    this.db = db;
    this.cache = new CacheTables((sql) => this.statement(sql));
    this.history = new HistoryTables((sql) => this.statement(sql));
  }

  /** Opens (creating if needed) the store under `home`. */
  static open(home: string = flotillaHome()): Store {
    return new Store(home, openDatabase(home));
  }

  /**
   * Copies the write-ahead log into the database file at once if someone deleted the log's
   * file while this process had it open: its frames are still readable through the open
   * handle, and would otherwise vanish when the process ends. Cheap when all is well (one stat).
   */
  rescueLog(): boolean {
    if (!this.db.open || existsSync(path.join(this.home, 'store.db-wal'))) return false;
    this.db.pragma('wal_checkpoint(FULL)');
    return true;
  }

  close(): void {
    this.db.close();
  }

  /**
   * Copies what the write-ahead log holds into the database file, without waiting for
   * readers (PASSIVE). Closing does it too, for whatever is left: a process that does it while
   * it waits anyway has less of it to do when it closes.
   */
  checkpoint(): void {
    this.db.pragma('wal_checkpoint(PASSIVE)');
  }

  /** Runs `fn` in one write transaction (BEGIN IMMEDIATE), committed when it returns. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  private statement(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  // Settings of the user interface (recent files, layouts), as JSON under a key.

  setting<T>(key: string): T | undefined {
    const row = this.statement('SELECT value FROM meta WHERE key = ?').get(`ui:${key}`) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  setSetting(key: string, value: unknown): void {
    if (value === undefined) this.statement('DELETE FROM meta WHERE key = ?').run(`ui:${key}`);
    else this.statement('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(`ui:${key}`, JSON.stringify(value));
  }

  // Runs

  /** Records a new run and its tasks; `text`: its workflow file's text, kept by its hash (the provenance's). */
  createRun(run: RunRecord, tasks: readonly TaskSpec[], at: number, text?: string): void {
    this.transaction(() => {
      this.statement(
        'INSERT INTO runs (id, name, file, root, state, created_at, ended_at, plan, options, owner, provenance) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?)',
      ).run(run.id, run.name, run.file, run.root, run.state, run.createdAt, JSON.stringify(run.plan), JSON.stringify(run.options), run.owner, run.provenance ? JSON.stringify(run.provenance) : null);
      if (text !== undefined && run.provenance) this.statement('INSERT OR IGNORE INTO texts (hash, text) VALUES (?, ?)').run(run.provenance.fileHash, text);
      const insert = this.statement("INSERT INTO tasks (run_id, idx, id, state, spec, updated_at) VALUES (?, ?, ?, 'waiting', ?, ?)");
      tasks.forEach((task, idx) => insert.run(run.id, idx, task.id, JSON.stringify(task), at));
      this.event({ runId: run.id, at, kind: 'run-created', detail: `${tasks.length} tasks` });
    });
  }

  /**
   * Adds tasks to a run that grows while it runs (a loop's next iteration, a foreach over a
   * value), waiting, after its last task. Call inside `transaction`.
   */
  appendTasks(runId: string, tasks: readonly TaskSpec[], firstIdx: number, at: number): void {
    const insert = this.statement("INSERT INTO tasks (run_id, idx, id, state, spec, updated_at) VALUES (?, ?, ?, 'waiting', ?, ?)");
    tasks.forEach((task, k) => insert.run(runId, firstIdx + k, task.id, JSON.stringify(task), at));
    this.event({ runId, at, kind: 'grew', detail: `${tasks.length} tasks` });
  }

  /** Runs not ended, with their workflow file and run root (as given when they started). */
  runningRuns(): { id: string; file: string; root: string; owner: string | null }[] {
    return this.statement("SELECT id, file, root, owner FROM runs WHERE state = 'running'").all() as { id: string; file: string; root: string; owner: string | null }[];
  }

  getRun(id: string): RunRecord | undefined {
    const row = this.statement('SELECT * FROM runs WHERE id = ?').get(id) as Record<string, unknown> | undefined;
    return row ? toRun(row) : undefined;
  }

  /** Runs newest first (of one workflow file, if given). */
  listRuns(limit = 50, file?: string): RunRecord[] {
    const rows = file === undefined ? this.statement('SELECT * FROM runs ORDER BY created_at DESC, id DESC LIMIT ?').all(limit) : this.statement('SELECT * FROM runs WHERE file = ? ORDER BY created_at DESC, id DESC LIMIT ?').all(file, limit);
    return (rows as Record<string, unknown>[]).map(toRun);
  }

  /** Ids of runs matching a prefix (exact match first). */
  matchRuns(prefix: string): string[] {
    const exact = this.statement('SELECT id FROM runs WHERE id = ?').get(prefix) as { id: string } | undefined;
    if (exact) return [exact.id];
    const escaped = prefix.replace(/[\\%_]/g, (c) => `\\${c}`);
    return (this.statement("SELECT id FROM runs WHERE id LIKE ? ESCAPE '\\' ORDER BY created_at DESC LIMIT 10").all(`${escaped}%`) as { id: string }[]).map((row) => row.id);
  }

  setRunState(id: string, state: RunState, at: number): void {
    this.statement('UPDATE runs SET state = ?, ended_at = ? WHERE id = ?').run(state, state === 'running' ? null : at, id);
    this.event({ runId: id, at, kind: `run-${state}` });
  }

  /** Makes `owner` the run's driver if it has none or `isStale(current)` says the old one is gone. */
  claimRun(id: string, owner: string, isStale: (current: string) => boolean): { ok: true } | { ok: false; owner: string } {
    return this.transaction(() => {
      const row = this.statement('SELECT owner FROM runs WHERE id = ?').get(id) as { owner: string | null } | undefined;
      if (!row) throw new Error(`no run '${id}'`);
      if (row.owner && row.owner !== owner && !isStale(row.owner)) return { ok: false as const, owner: row.owner };
      this.statement('UPDATE runs SET owner = ? WHERE id = ?').run(owner, id);
      return { ok: true as const };
    });
  }

  releaseRun(id: string, owner: string): void {
    this.statement('UPDATE runs SET owner = NULL WHERE id = ? AND owner = ?').run(id, owner);
  }

  // Tasks

  /** The tasks without their specs (for a caller that holds them). */
  taskRecords(runId: string): Omit<TaskRecord, 'spec'>[] {
    return this.statement(`SELECT ${TASK_COLUMNS} FROM tasks WHERE run_id = ? ORDER BY idx`).all(runId) as Omit<TaskRecord, 'spec'>[];
  }

  loadTasks(runId: string, from = 0): TaskRecord[] {
    const rows = this.statement(`SELECT ${TASK_COLUMNS}, spec FROM tasks WHERE run_id = ? AND idx >= ? ORDER BY idx`).all(runId, from) as (Omit<TaskRecord, 'spec'> & { spec: string })[];
    return rows.map((row) => ({ ...row, spec: JSON.parse(row.spec) as TaskSpec }));
  }

  /** Each task's dependencies, whether it is a loop's control, and the loop it is an iteration of; without parsing the rest of its spec. */
  taskDependencies(runId: string): { idx: number; after: string[]; loop: boolean; of: string | null }[] {
    const rows = this.statement("SELECT idx, json_extract(spec, '$.after') AS after, json_type(spec, '$.loop') IS NOT NULL AS loop, json_extract(spec, '$.iteration.of') AS of FROM tasks WHERE run_id = ? ORDER BY idx").all(runId) as { idx: number; after: string; loop: number; of: string | null }[];
    return rows.map((row) => ({ idx: row.idx, after: JSON.parse(row.after) as string[], loop: row.loop === 1, of: row.of }));
  }

  /** The loops (`repeat`) of a run, by their controls' indices, and each one's `max` (only specs that mention a loop are parsed). */
  loopMaxima(runId: string): Map<number, number> {
    const rows = this.statement("SELECT idx, json_extract(spec, '$.loop.max') AS max FROM tasks WHERE run_id = ? AND instr(spec, '\"loop\":') > 0 AND json_extract(spec, '$.loop.kind') = 'repeat'").all(runId) as { idx: number; max: number | null }[];
    return new Map(rows.filter((row) => row.max !== null).map((row) => [row.idx, row.max!]));
  }

  /** The tasks of iterations a resubmit discarded (only specs that mention it are parsed). */
  discardedTasks(runId: string): Set<number> {
    const rows = this.statement("SELECT idx FROM tasks WHERE run_id = ? AND instr(spec, '\"discarded\":') > 0 AND json_extract(spec, '$.iteration.discarded') IS NOT NULL").all(runId) as { idx: number }[];
    return new Set(rows.map((row) => row.idx));
  }

  /** Task states only (cheap: for status views). */
  taskStates(runId: string): { idx: number; id: string; state: TaskState; attempts: number; reason: string | null }[] {
    return this.statement('SELECT idx, id, state, attempts, reason FROM tasks WHERE run_id = ? ORDER BY idx').all(runId) as never;
  }

  /** How many tasks of the run are in each state. */
  stateCounts(runId: string): Partial<Record<TaskState, number>> {
    const rows = this.statement('SELECT state, count(*) AS n FROM tasks WHERE run_id = ? GROUP BY state').all(runId) as { state: TaskState; n: number }[];
    return Object.fromEntries(rows.map((row) => [row.state, row.n]));
  }

  /** The first `limit` tasks (in order) in `state`, with why they are there. */
  tasksIn(runId: string, state: TaskState, limit: number): { id: string; reason: string | null; attempts: number }[] {
    return this.statement('SELECT id, reason, attempts FROM tasks WHERE run_id = ? AND state = ? ORDER BY idx LIMIT ?').all(runId, state, limit) as { id: string; reason: string | null; attempts: number }[];
  }

  findTask(runId: string, id: string): TaskRecord | undefined {
    const row = this.statement(`SELECT ${TASK_COLUMNS}, spec FROM tasks WHERE run_id = ? AND id = ?`).get(runId, id) as
      | (Omit<TaskRecord, 'spec'> & { spec: string })
      | undefined;
    return row ? { ...row, spec: JSON.parse(row.spec) as TaskSpec } : undefined;
  }

  /**
   * Moves a task from `from` to `to` and appends the event, failing if the stored state is
   * not `from` (someone else moved it). Call inside `transaction`.
   */
  transition(move: TransitionRecord): void {
    const { runId, task, from, to, at, attempt = null, detail = null, failedAttempt = false, hash = null } = move;
    // Submitting starts an attempt; `failedAttempt` counts one against the task's retries;
    // `hash`, when given, is the task's content hash as decided now (one write, not two).
    const attempts = to === 'submitted' ? 1 : 0;
    const failures = failedAttempt ? 1 : 0;
    const changed = this.statement(
      'UPDATE tasks SET state = ?, updated_at = ?, reason = ?, attempts = attempts + ?, failures = failures + ?, hash = coalesce(?, hash) WHERE run_id = ? AND idx = ? AND state = ?',
    ).run(to, at, detail, attempts, failures, hash, runId, task, from).changes;
    if (changed !== 1) throw new Error(`task #${task} of run ${runId} is no longer ${from}; not moving it to ${to}`);
    this.event({ runId, task, at, kind: 'state', from, to, attempt, detail });
  }

  /** A resubmitted task starts its retry budget afresh and bypasses the cache. */
  taskSpec(runId: string, idx: number): TaskSpec | undefined {
    const row = this.statement('SELECT spec FROM tasks WHERE run_id = ? AND idx = ?').get(runId, idx) as { spec: string } | undefined;
    return row ? (JSON.parse(row.spec) as TaskSpec) : undefined;
  }

  /** Replaces a task's spec (a resubmit that picks up the edited workflow file). */
  updateTaskSpec(runId: string, idx: number, spec: TaskSpec): void {
    this.statement('UPDATE tasks SET spec = ? WHERE run_id = ? AND idx = ?').run(JSON.stringify(spec), runId, idx);
  }

  markResubmitted(runId: string, idx: number): void {
    this.statement('UPDATE tasks SET failures = 0, force = 1, cancel = 0 WHERE run_id = ? AND idx = ?').run(runId, idx);
  }

  /** Remembers that the user cancelled a task whose attempt is still out there. */
  markCancelRequested(runId: string, idx: number): void {
    this.statement('UPDATE tasks SET cancel = 1 WHERE run_id = ? AND idx = ?').run(runId, idx);
  }

  /** Indices of tasks whose cancel has been asked for and not yet seen through. */
  cancelRequested(runId: string): number[] {
    return (this.statement("SELECT idx FROM tasks WHERE run_id = ? AND cancel = 1 AND state IN ('submitted', 'running')").all(runId) as { idx: number }[]).map((row) => row.idx);
  }

  /** Indices of tasks that must not reuse a cached result (resubmitted ones). */
  forcedTasks(runId: string): number[] {
    return (this.statement('SELECT idx FROM tasks WHERE run_id = ? AND force = 1').all(runId) as { idx: number }[]).map((row) => row.idx);
  }

  // Attempts

  insertAttempt(attempt: AttemptRecord): void {
    this.statement(ATTEMPT_INSERT).run(ATTEMPT_KEYS.map((key) => (key === 'values' ? published(attempt.values) : attempt[key])));
  }

  updateAttempt(runId: string, taskIdx: number, n: number, fields: Partial<AttemptRecord>): void {
    const keys = Object.keys(fields) as (keyof AttemptRecord)[];
    if (keys.length === 0) return;
    const sql = `UPDATE attempts SET ${keys.map((key) => `${ATTEMPT_COLUMNS[key]} = ?`).join(', ')} WHERE run_id = ? AND task_idx = ? AND n = ?`;
    this.statement(sql).run(...keys.map((key) => (key === 'values' ? published(fields.values) : fields[key])), runId, taskIdx, n);
  }

  /** Records that an attempt started: like `endAttempt`, one statement the same for every start. */
  startAttempt(runId: string, taskIdx: number, n: number, started: Pick<AttemptRecord, 'pid' | 'pidStart' | 'host'> & { jobId?: string }, at: number): void {
    this.statement(
      "UPDATE attempts SET state = 'running', pid = ?, pid_start = ?, host = ?, started_at = ?, job_id = coalesce(?, job_id) WHERE run_id = ? AND task_idx = ? AND n = ?",
    ).run(started.pid, started.pidStart, started.host, at, started.jobId || null, runId, taskIdx, n);
  }

  /**
   * Records an attempt's end, and its start when that was not recorded yet (`start`): one
   * statement the same for every end, as every task ends once.
   */
  endAttempt(
    runId: string, taskIdx: number, n: number,
    end: Pick<AttemptRecord, 'state' | 'endedAt' | 'exitCode' | 'signal' | 'reason' | 'schedulerState'> & { startedAt?: number; values?: PublishedValues },
    start?: Pick<AttemptRecord, 'pid' | 'pidStart' | 'host'> & { jobId?: string },
  ): void {
    this.statement(
      `UPDATE attempts SET state = ?, ended_at = ?, exit_code = ?, signal = ?, reason = ?, scheduler_state = ?, started_at = coalesce(?, started_at), published = ?,
       pid = coalesce(?, pid), pid_start = coalesce(?, pid_start), host = coalesce(?, host), job_id = coalesce(?, job_id) WHERE run_id = ? AND task_idx = ? AND n = ?`,
    ).run(
      end.state, end.endedAt, end.exitCode, end.signal, end.reason, end.schedulerState, end.startedAt ?? null, published(end.values),
      start?.pid ?? null, start?.pidStart ?? null, start?.host ?? null, start?.jobId ?? null, runId, taskIdx, n,
    );
  }

  attempts(runId: string, taskIdx?: number): AttemptRecord[] {
    if (taskIdx === undefined) return toAttempts(this.statement(`SELECT ${ATTEMPT_SELECT} FROM attempts WHERE run_id = ? ORDER BY task_idx, n`).all(runId));
    return toAttempts(this.statement(`SELECT ${ATTEMPT_SELECT} FROM attempts WHERE run_id = ? AND task_idx = ? ORDER BY n`).all(runId, taskIdx));
  }

  /**
   * What a task published: its latest successful attempt's values in this run, or (for a
   * cached task, whose content hash is `hash`) those of the attempt that made the cached result.
   */
  publishedValues(runId: string, taskIdx: number, hash: string | null): PublishedValues | undefined {
    return this.publishedBy(runId, taskIdx, hash)?.values;
  }

  /** As `publishedValues`, with the attempt that published them (of another run, for a cached task). */
  publishedBy(runId: string, taskIdx: number, hash: string | null): { values: PublishedValues; run: string; attempt: number } | undefined {
    const own = this.statement("SELECT published, n FROM attempts WHERE run_id = ? AND task_idx = ? AND state = 'succeeded' ORDER BY n DESC LIMIT 1").get(runId, taskIdx) as { published: string | null; n: number } | undefined;
    const cached = own || hash === null ? undefined : this.cache.find(hash);
    const row = own ?? (cached
      ? (this.statement('SELECT a.published AS published, a.n AS n FROM attempts a JOIN tasks k ON k.run_id = a.run_id AND k.idx = a.task_idx WHERE a.run_id = ? AND k.id = ? AND a.n = ?').get(cached.runId, cached.taskId, cached.attempt) as { published: string | null; n: number } | undefined)
      : undefined);
    return row ? { values: row.published === null ? {} : (JSON.parse(row.published) as PublishedValues), run: own ? runId : cached!.runId, attempt: row.n } : undefined;
  }

  /** Attempts still submitted or running: what a resume must reconcile. */
  openAttempts(runId: string): AttemptRecord[] {
    return toAttempts(this.statement(`SELECT ${ATTEMPT_SELECT} FROM attempts WHERE run_id = ? AND state IN ('submitted', 'running') ORDER BY task_idx, n`).all(runId));
  }

  // Events

  /** Appends an event to a run's log (a task's, or the run's own when `task` is null). */
  event(event: NewEvent): void {
    const { runId, task = null, at, kind, from = null, to = null, attempt = null, detail = null } = event;
    this.statement('INSERT INTO events (run_id, task_idx, at, kind, from_state, to_state, attempt, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(runId, task, at, kind, from, to, attempt, detail);
  }

  events(runId: string, afterSeq = 0): EventRecord[] {
    return this.statement(
      'SELECT seq, run_id AS runId, task_idx AS taskIdx, at, kind, from_state AS fromState, to_state AS toState, attempt, detail FROM events WHERE run_id = ? AND seq > ? ORDER BY seq',
    ).all(runId, afterSeq) as EventRecord[];
  }

  // Requests from other processes (cancel, resubmit) to the one driving a run

  addRequest(runId: string, kind: RequestRecord['kind'], payload: unknown, at: number): number {
    return Number(this.statement('INSERT INTO requests (run_id, kind, payload, at) VALUES (?, ?, ?, ?)').run(runId, kind, JSON.stringify(payload), at).lastInsertRowid);
  }

  openRequests(runId: string): RequestRecord[] {
    return this.statement('SELECT seq, run_id AS runId, kind, payload FROM requests WHERE run_id = ? AND done_at IS NULL ORDER BY seq').all(runId) as RequestRecord[];
  }

  finishRequest(seq: number, at: number): void {
    this.statement('UPDATE requests SET done_at = ? WHERE seq = ?').run(at, seq);
  }

  isRequestDone(seq: number): boolean {
    const row = this.statement('SELECT done_at FROM requests WHERE seq = ?').get(seq) as { done_at: number | null } | undefined;
    return row?.done_at != null;
  }
}

/** Published values as the store keeps them: JSON text (null: none). */
function published(values: PublishedValues | null | undefined): string | null {
  return values ? JSON.stringify(values) : null;
}

/** Attempt rows with their published values read back. */
function toAttempts(rows: unknown[]): AttemptRecord[] {
  const attempts = rows as (Omit<AttemptRecord, 'values'> & { values: string | null })[];
  for (const row of attempts) if (row.values !== null) (row as unknown as AttemptRecord).values = JSON.parse(row.values) as PublishedValues;
  return attempts as unknown as AttemptRecord[];
}

function toRun(row: Record<string, unknown>): RunRecord {
  return {
    id: row.id as string,
    name: row.name as string,
    file: row.file as string,
    root: row.root as string,
    state: row.state as RunState,
    createdAt: row.created_at as number,
    endedAt: (row.ended_at as number | null) ?? null,
    plan: JSON.parse(row.plan as string) as PlanHeader,
    options: JSON.parse(row.options as string) as RunOptions,
    owner: (row.owner as string | null) ?? null,
    provenance: typeof row.provenance === 'string' ? (JSON.parse(row.provenance) as Provenance) : null,
  };
}
