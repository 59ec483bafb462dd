/**
 * A store that lost data is never taken for a fresh one: an emptied store beside earlier runs'
 * files, and a store that forgot attempts whose files exist, are refused with what to do. A log
 * deleted under a running command is copied in before the command ends.
 */
import assert from 'node:assert/strict';
import { readdirSync, rmSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { cli, workspace } from '../helpers.ts';

interface Status {
  run: { id: string; state: string };
  tasks: { id: string; state: string; attempts: number }[];
}

describe('a store that lost data', () => {
  it('emptied beside the files of earlier runs: every command refuses it (exit 70) and changes nothing', (t) => {
    const { home, file } = workspace(t, 'version: 1\ntasks:\n  a: { run: echo a }\n');
    assert.equal(cli(['run', file], { home }).code, 0);
    for (const name of ['store.db-wal', 'store.db-shm']) rmSync(path.join(home, name), { force: true });
    truncateSync(path.join(home, 'store.db'), 0);
    const history = cli(['history'], { home });
    assert.equal(history.code, 70, history.stdout);
    assert.match(history.stderr, /^flotilla: the store .*store\.db is empty, but .*runs holds the files of 1 run \(\d{8}-\d{6}-[0-9a-f]{4}\): the store lost its data/);
    assert.doesNotMatch(history.stdout, /No runs yet/);
    const again = cli(['run', file], { home });
    assert.equal(again.code, 70);
    assert.equal(readdirSync(path.join(home, 'runs')).length, 1, 'no new run was recorded');
  });

  it('forgot attempts whose files exist: resume refuses to run them again', (t) => {
    // (b writes to its stdout: an attempt's log files exist once it wrote to them.)
    const { home, file } = workspace(t, 'version: 1\ntasks:\n  a: { run: echo a }\n  b: { run: echo b, after: a }\n');
    assert.equal(cli(['run', file], { home }).code, 0);
    const status = JSON.parse(cli(['status', '--json'], { home }).stdout) as Status;
    // As if the last commits were lost: the run is open again and b's attempt unknown.
    const db = new Database(path.join(home, 'store.db'));
    db.prepare("UPDATE runs SET state = 'running', ended_at = NULL, owner = NULL").run();
    db.prepare("UPDATE tasks SET state = 'ready', attempts = 0 WHERE id = 'b'").run();
    db.prepare('DELETE FROM attempts WHERE task_idx = (SELECT idx FROM tasks WHERE id = ?)').run('b');
    db.close();
    const resume = cli(['resume', status.run.id], { home });
    assert.equal(resume.code, 70, resume.stderr);
    assert.match(resume.stderr, new RegExp(`records 0 attempts of task 'b' of run ${status.run.id}, but the files of attempt 1 are in .*: the store lost data`));
  });

  it('a log deleted while a run goes on is copied in before the command ends: the run is whole', (t) => {
    const { home, file } = workspace(
      t,
      'version: 1\ntasks:\n  a: { run: echo a }\n  drop: { run: \'rm -f "$FLOTILLA_HOME/store.db-wal"\', after: a }\n  c: { run: echo c, after: drop }\n  d: { run: echo d, after: c }\n',
    );
    const run = cli(['run', file], { home, env: { FLOTILLA_HOME: home } });
    assert.equal(run.code, 0, run.stderr);
    const status = JSON.parse(cli(['status', '--json'], { home }).stdout) as Status;
    assert.equal(status.run.state, 'succeeded');
    assert.deepEqual(status.tasks.map((task) => [task.id, task.state]), [['a', 'succeeded'], ['drop', 'succeeded'], ['c', 'succeeded'], ['d', 'succeeded']]);
  });
});
