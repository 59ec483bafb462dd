/**
 * The store's cache tables: results of earlier attempts by content hash (what may stand in for
 * a task that would do the same), and input files' hashes by size and modification time (so a
 * file is hashed again only when it changed).
 */
import type { Statement } from 'better-sqlite3';
import type { CacheRecord } from './records.ts';

export class CacheTables {
  private readonly statement: (sql: string) => Statement;

  constructor(statement: (sql: string) => Statement) {
    this.statement = statement;
  }

  find(hash: string): CacheRecord | undefined {
    return this.statement('SELECT hash, file, task_id AS taskId, run_id AS runId, attempt, parts, outputs, at FROM cache WHERE hash = ?').get(hash) as CacheRecord | undefined;
  }

  /** The latest cached result of a task of a workflow file: what `--explain` compares against. */
  last(file: string, taskId: string): CacheRecord | undefined {
    return this.statement('SELECT hash, file, task_id AS taskId, run_id AS runId, attempt, parts, outputs, at FROM cache WHERE file = ? AND task_id = ? ORDER BY at DESC LIMIT 1').get(file, taskId) as
      | CacheRecord
      | undefined;
  }

  put(entry: CacheRecord): void {
    // An upsert changes the row in place; REPLACE would delete it and insert it anew, in the
    // table and in both of its indexes (a task run again with the same hash is the common case).
    this.statement(
      'INSERT INTO cache (hash, file, task_id, run_id, attempt, parts, outputs, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (hash) DO UPDATE SET file = excluded.file, task_id = excluded.task_id, run_id = excluded.run_id, attempt = excluded.attempt, parts = excluded.parts, outputs = excluded.outputs, at = excluded.at',
    ).run(
      entry.hash, entry.file, entry.taskId, entry.runId, entry.attempt, entry.parts, entry.outputs, entry.at,
    );
  }

  /** A file's content hash as last computed, with the size and modification time it had then. */
  fileHash(filePath: string): { size: number; mtimeNs: string; hash: string } | undefined {
    return this.statement('SELECT size, mtime_ns AS mtimeNs, hash FROM file_hashes WHERE path = ?').get(filePath) as never;
  }

  putFileHash(filePath: string, size: number, mtimeNs: string, hash: string): void {
    this.statement('INSERT OR REPLACE INTO file_hashes (path, size, mtime_ns, hash) VALUES (?, ?, ?, ?)').run(filePath, size, mtimeNs, hash);
  }
}
