/** Bumped when the tables change; an older store is migrated by `migrate` in store.ts. */
export const SCHEMA_VERSION = 1;

/** The store's tables. Times are milliseconds since the epoch. */
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  file TEXT NOT NULL,
  root TEXT NOT NULL,
  state TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  ended_at INTEGER,
  plan TEXT NOT NULL,
  options TEXT NOT NULL,
  owner TEXT,
  provenance TEXT
);
CREATE INDEX IF NOT EXISTS runs_created ON runs (created_at);

CREATE TABLE IF NOT EXISTS tasks (
  run_id TEXT NOT NULL,
  idx INTEGER NOT NULL,
  id TEXT NOT NULL,
  state TEXT NOT NULL,
  spec TEXT NOT NULL,
  hash TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  failures INTEGER NOT NULL DEFAULT 0,
  force INTEGER NOT NULL DEFAULT 0,
  cancel INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL,
  reason TEXT,
  PRIMARY KEY (run_id, idx)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS tasks_by_id ON tasks (run_id, id);

CREATE TABLE IF NOT EXISTS attempts (
  run_id TEXT NOT NULL,
  task_idx INTEGER NOT NULL,
  n INTEGER NOT NULL,
  state TEXT NOT NULL,
  target TEXT NOT NULL,
  host TEXT NOT NULL,
  command TEXT NOT NULL,
  cwd TEXT NOT NULL,
  dir TEXT NOT NULL,
  marker TEXT NOT NULL,
  stdout TEXT NOT NULL,
  stderr TEXT NOT NULL,
  hash TEXT,
  pid INTEGER,
  pid_start TEXT,
  job_id TEXT,
  scheduler_state TEXT,
  expected_start INTEGER,
  submitted_at INTEGER NOT NULL,
  started_at INTEGER,
  ended_at INTEGER,
  exit_code INTEGER,
  signal TEXT,
  reason TEXT,
  published TEXT,
  PRIMARY KEY (run_id, task_idx, n)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL,
  task_idx INTEGER,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  from_state TEXT,
  to_state TEXT,
  attempt INTEGER,
  detail TEXT
);
CREATE INDEX IF NOT EXISTS events_by_run ON events (run_id, seq);

CREATE TABLE IF NOT EXISTS cache (
  hash TEXT PRIMARY KEY,
  file TEXT NOT NULL,
  task_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  parts TEXT NOT NULL,
  at INTEGER NOT NULL,
  outputs TEXT
);
CREATE INDEX IF NOT EXISTS cache_by_task ON cache (file, task_id, at);

CREATE TABLE IF NOT EXISTS texts (
  hash TEXT PRIMARY KEY,
  text TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS file_hashes (
  path TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  mtime_ns TEXT NOT NULL,
  hash TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS requests (
  seq INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  at INTEGER NOT NULL,
  done_at INTEGER
);
CREATE INDEX IF NOT EXISTS requests_open ON requests (run_id, done_at);
`;
