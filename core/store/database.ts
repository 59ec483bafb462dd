/**
 * Opening the store's database: the SQLite file under the Flotilla home, its schema brought
 * to this version (or refused), and the errors a person meets when the store or its disk fails.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { CodedError } from '../model/errors.ts';
import { inBundle } from '../util/bundle.ts';
import { findAbove } from '../util/resources.ts';
import { SCHEMA, SCHEMA_VERSION } from './schema.ts';

/**
 * Where the CLI's bundle finds better-sqlite3's addon. The bundle carries the package's
 * JavaScript (see build:cli), which loads in about 1 ms that way instead of 8 (no package
 * lookup, one compiled file), but which looks for its addon next to itself, and a bundle has
 * no such place. So this looks where Node would have found the package (a node_modules
 * folder here or above), and takes the addon the package would take: its own build when one
 * was made (a source or Electron build), else the prebuilt one for this system. Elsewhere
 * (the sources, the desktop app) the package finds it itself.
 */
function addonOptions(): { nativeBinding?: string } {
  if (!inBundle()) return {};
  const pkg = findAbove(path.join('node_modules', 'better-sqlite3'));
  if (pkg === undefined) return {};
  const built = path.join(pkg, 'build', 'Release', 'better_sqlite3.node');
  if (existsSync(built)) return { nativeBinding: built };
  // musl or glibc, told apart as the package does: by the loader mapped into this process.
  const system = process.platform === 'linux' && /\/ld-musl-[^/\s]*\.so/.test(readFileSync('/proc/self/maps', 'latin1')) ? 'linuxmusl' : process.platform;
  return { nativeBinding: path.join(pkg, 'prebuilds', `${system}-${process.arch}.node`) };
}

/** A store this version cannot use (made by a newer or an incompatible version). */
export class StoreError extends CodedError {
  constructor(message: string) {
    super('store-incompatible', message);
  }
}

/**
 * The store lost what it had recorded: emptied or replaced, or its write-ahead log deleted
 * before it was copied in. Nothing may start afresh over it (that would run done work again).
 */
export class StoreLostDataError extends CodedError {
  constructor(message: string) {
    super('store-damaged', message);
  }
}

/** Columns added since schema 1, as table, column, type: added to an older store when it opens. */
const ADDED_COLUMNS: [string, string, string][] = [
  ['cache', 'outputs', 'TEXT'],
  ['attempts', 'published', 'TEXT'],
  ['runs', 'provenance', 'TEXT'],
  ['attempts', 'expected_start', 'INTEGER'],
];

/** Tries at opening a store that others open at the same moment, and the pause between them (ms). */
const OPEN_TRIES = 8;
const OPEN_PAUSE_MS = 60;

/**
 * Opens (creating if needed) the database of the store under `home`. Processes that open a new
 * store at once (a run and the `status` that watches it) race to switch it to WAL and make its
 * tables; what SQLite answers "locked" there, without waiting, is tried again after a pause.
 */
export function openDatabase(home: string): Database.Database {
  for (let attempt = 1; ; attempt++) {
    try {
      return openOnce(home);
    } catch (error) {
      // (SQLITE_BUSY, or its extended codes: _SNAPSHOT, _RECOVERY.)
      if (!String((error as { code?: string }).code).startsWith('SQLITE_BUSY') || attempt >= OPEN_TRIES) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, OPEN_PAUSE_MS * attempt);
    }
  }
}

function openOnce(home: string): Database.Database {
  mkdirSync(home, { recursive: true });
  const db = new Database(path.join(home, 'store.db'), { timeout: 10_000, ...addonOptions() });
  try {
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF');
    migrate(db, home);
  } catch (error) {
    // A store refused is left as it was, and not held open.
    if (db.open) db.close();
    throw error;
  }
  return db;
}

/** Brings the store's tables to this version's schema, or refuses a store it cannot use. */
function migrate(db: Database.Database, home: string): void {
  // A store made or checked from this very schema says so: one read, not a check per table.
  if (checkedSchema(db) === SCHEMA) return;
  // A store that already has every table and index of this version is only read here, so
  // opening it (for `status`, the app, a second run) takes no write lock.
  const present = new Set((db.prepare('SELECT name FROM sqlite_master').all() as { name: string }[]).map((row) => row.name));
  if (present.size === 0) refuseLostStore(db, home);
  const complete = [...SCHEMA.matchAll(/CREATE (?:UNIQUE )?(?:TABLE|INDEX) IF NOT EXISTS (\w+)/g)].every((match) => present.has(match[1]!));
  const row = present.has('meta') ? (db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined) : undefined;
  if (row && Number(row.value) > SCHEMA_VERSION) {
    throw new StoreError(`the store at ${home} was written by a newer Flotilla (schema ${row.value}); upgrade Flotilla`);
  }
  if (!complete || Number(row?.value) !== SCHEMA_VERSION) {
    db.exec(SCHEMA);
    db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)").run(String(SCHEMA_VERSION));
  }
  addColumns(db);
  checkColumns(db, home);
  try {
    db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)").run(SCHEMA);
  } catch (error) {
    // A store this process may only read, or one another holds the write lock of: it is
    // checked again at the next open.
    if (!['SQLITE_READONLY', 'SQLITE_BUSY'].includes((error as { code?: string }).code ?? '')) throw error;
  }
}

/** An empty store beside the files of earlier runs lost them (truncated, replaced, deleted). */
function refuseLostStore(db: Database.Database, home: string): void {
  let runs: string[];
  try {
    runs = readdirSync(path.join(home, 'runs'));
  } catch {
    return; // a first start
  }
  if (runs.length === 0) return;
  throw new StoreLostDataError(
    `the store ${path.join(home, 'store.db')} is empty, but ${path.join(home, 'runs')} holds the files of ${runs.length} run${runs.length === 1 ? '' : 's'} (${runs.slice(0, 3).join(', ')}${runs.length > 3 ? ', …' : ''}): the store lost its data (emptied, replaced or deleted). ` +
      `Restore store.db (and store.db-wal) from a backup; or, to start afresh, move ${path.join(home, 'runs')} and the store away. Nothing was changed.`,
  );
}

/** The schema text the store was last made or checked from, if any. */
function checkedSchema(db: Database.Database): string | undefined {
  try {
    return (db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: string } | undefined)?.value;
  } catch (error) {
    // A new store: no tables yet.
    if (/no such table/.test((error as Error).message)) return undefined;
    throw error;
  }
}

/** Adds the columns later versions added to a table (nullable: older rows have none). */
function addColumns(db: Database.Database): void {
  for (const [table, column, type] of ADDED_COLUMNS) {
    const present = (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).some((row) => row.name === column);
    if (present) continue;
    try {
      db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
    } catch (error) {
      // Another process opening the same old store added it first.
      if (!/duplicate column name/.test((error as Error).message)) throw error;
    }
  }
}

/** Refuses a store whose tables lack columns this version writes (one made by a development build). */
function checkColumns(db: Database.Database, home: string): void {
  for (const statement of SCHEMA.split(';')) {
    const match = /CREATE TABLE IF NOT EXISTS (\w+) \(([\s\S]*)\)/.exec(statement);
    if (!match) continue;
    const [, table, body] = match;
    const wanted = body!.split(/,\s*/).map((part) => /^\s*([a-z_]+) [A-Z]/.exec(part)?.[1]).filter((name): name is string => name !== undefined);
    const present = new Set((db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((column) => column.name));
    const missing = wanted.filter((name) => !present.has(name));
    if (missing.length > 0) {
      throw new StoreError(`the store at ${home} has no column ${missing.join(', ')} in table ${table}: it was made by an incompatible development version of Flotilla; move it away or set FLOTILLA_HOME`);
    }
  }
}
