/** Opening the store: a current one is only read, an incomplete one is completed, a newer one refused. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { StoreError } from '../../core/store/database.ts';
import { Store } from '../../core/store/store.ts';
import { REPO, tempDir } from '../helpers.ts';

describe('opening the store', () => {
  it('a new store opened by several processes at the same moment opens in each (a run and the status that watches it)', async (t) => {
    // Each process waits for the same instant (argv[2]) before it opens: the opens meet.
    const opener = `import { Store } from ${JSON.stringify(path.join(REPO, 'core/store/store.ts'))};\nwhile (Date.now() < Number(process.argv[2]));\nconst store = Store.open(process.argv[1]);\nstore.listRuns(1);\nstore.close();\n`;
    for (let round = 0; round < 6; round++) {
      const home = path.join(tempDir(t), 'home');
      const at = String(Date.now() + 1500);
      const exits = await Promise.all(
        Array.from({ length: 6 }, () => new Promise<{ code: number | null; stderr: string }>((resolve) => {
          const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', opener, home, at], { stdio: ['ignore', 'ignore', 'pipe'] });
          let stderr = '';
          child.stderr.on('data', (chunk) => (stderr += chunk));
          child.on('exit', (code) => resolve({ code, stderr }));
        })),
      );
      for (const exit of exits) assert.equal(exit.code, 0, exit.stderr);
    }
  });

  it('a store made before the schema was recorded in it is checked once, then opened with one read', (t) => {
    const home = tempDir(t);
    Store.open(home).close();
    const db = new Database(path.join(home, 'store.db'));
    db.exec("DELETE FROM meta WHERE key = 'schema'");
    // A development build's store: a column this version writes is missing.
    db.exec('ALTER TABLE attempts DROP COLUMN signal');
    db.close();
    assert.throws(() => Store.open(home), /has no column signal in table attempts/);
    const fixed = new Database(path.join(home, 'store.db'));
    fixed.exec('ALTER TABLE attempts ADD COLUMN signal TEXT');
    fixed.close();
    Store.open(home).close();
    const check = new Database(path.join(home, 'store.db'), { readonly: true });
    t.after(() => check.close());
    assert.ok((check.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: string }).value.includes('CREATE TABLE IF NOT EXISTS attempts'));
  });

  it('a store of the first release gets the cache\'s outputs column; its rows count as recording no outputs', (t) => {
    const home = tempDir(t);
    Store.open(home).close();
    const db = new Database(path.join(home, 'store.db'));
    db.exec("DELETE FROM meta WHERE key = 'schema'");
    db.exec('ALTER TABLE cache DROP COLUMN outputs');
    db.exec("INSERT INTO cache (hash, file, task_id, run_id, attempt, parts, at) VALUES ('h', '/w.yaml', 'a', 'r1', 1, '{}', 1)");
    db.close();
    const store = Store.open(home);
    t.after(() => store.close());
    assert.equal(store.cache.find('h')?.outputs, null);
  });

  it('opens a current store while another process holds the write lock (it only reads)', (t) => {
    const home = tempDir(t);
    Store.open(home).close();
    const other = new Database(path.join(home, 'store.db'));
    t.after(() => other.close());
    // A run that is committing: the write lock is taken.
    other.exec('BEGIN IMMEDIATE');
    const started = Date.now();
    const store = Store.open(home);
    assert.ok(Date.now() - started < 2000, 'no wait for the lock');
    assert.deepEqual(store.listRuns(10), []);
    store.close();
    other.exec('ROLLBACK');
  });

  it('completes a store that misses an index, and refuses one written by a newer version', (t) => {
    const home = tempDir(t);
    Store.open(home).close();
    // As a build whose schema had no such index left it.
    const db = new Database(path.join(home, 'store.db'));
    db.exec("DROP INDEX cache_by_task; UPDATE meta SET value = 'another schema' WHERE key = 'schema'");
    db.close();
    Store.open(home).close();
    const check = new Database(path.join(home, 'store.db'));
    assert.ok(check.prepare("SELECT 1 FROM sqlite_master WHERE name = 'cache_by_task'").get(), 'the index is back');
    check.exec("UPDATE meta SET value = '99' WHERE key = 'schema_version'; UPDATE meta SET value = 'a newer schema' WHERE key = 'schema'");
    check.close();
    assert.throws(() => Store.open(home), (error: Error) => error instanceof StoreError && /written by a newer Flotilla \(schema 99\)/.test(error.message));
  });
});
