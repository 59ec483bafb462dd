/**
 * Provenance and comparison through the contract: a run records its file's hash and text, the
 * git commit and state of its repository, Flotilla's version, host and user; two runs compare
 * by params, workflow file (a line diff), outcomes and durations; history filters by file; and
 * `flotilla diff` prints it.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { FlotillaService } from '../../core/api/service.ts';
import type { RunDiff, RunStatus, RunSummary } from '../../core/api/types.ts';
import { Store } from '../../core/store/store.ts';
import { textHash } from '../../core/util/provenance.ts';
import { cli, tempDir, writeWorkflow } from '../helpers.ts';
import { gitIn, openService } from './harness.ts';

const WORKFLOW = `version: 1
name: compared
params: { n: 1 }
defaults: { cache: false, retries: 0 }
tasks:
  prepare: { run: "echo {{ params.n }}" }
  check: { after: prepare, run: "true" }
`;

describe('provenance and comparison', () => {
  it('records where each run came from and compares two runs', async (t) => {
    const dir = tempDir(t);
    const git = gitIn(dir);
    git('init', '-q');
    const file = writeWorkflow(dir, WORKFLOW);
    git('add', 'workflow.yaml');
    git('commit', '-qm', 'the workflow');
    const { api, value } = openService(t, path.join(dir, '.home'), { requestPollMs: 50 });
    const run = async (params?: Record<string, unknown>) => {
      const started = await value<{ run: string }>('runs.start', { file, ...(params ? { params } : {}) });
      await api.idle();
      return started.run;
    };

    const first = await run();
    const header = (await value<RunStatus>('runs.status', { run: first })).run;
    assert.deepEqual(header.params, { n: 1 });
    assert.equal(header.provenance!.fileHash, textHash(WORKFLOW));
    assert.deepEqual(header.provenance!.git, { root: dir, commit: git('rev-parse', 'HEAD'), branch: git('rev-parse', '--abbrev-ref', 'HEAD'), dirty: false, fileChanged: false });
    assert.match(header.provenance!.version, /^\d+\.\d+\.\d+/);
    assert.ok(header.provenance!.host.length > 0 && header.provenance!.user.length > 0);

    // The file edited (not committed), a param changed, a task made to fail.
    writeFileSync(file, readFileSync(file, 'utf8').replace('check: { after: prepare, run: "true" }', 'check: { after: prepare, run: "exit 4" }'));
    const second = await run({ n: 2 });
    const diff = await value<RunDiff>('runs.diff', { a: first, b: second });
    assert.equal(diff.b.provenance!.git!.fileChanged, true);
    assert.deepEqual(diff.params, [{ name: 'n', a: 1, b: 2 }]);
    assert.equal(diff.file.same, false);
    assert.deepEqual(diff.file.hunks!.map((hunk) => hunk.lines.filter((line) => line.kind !== ' ')), [[
      { kind: '-', text: '  check: { after: prepare, run: "true" }' },
      { kind: '+', text: '  check: { after: prepare, run: "exit 4" }' },
    ]]);
    assert.deepEqual(diff.tasks.map((task) => [task.task, task.a?.state, task.b?.state, task.changed]), [['check', 'succeeded', 'failed', true], ['prepare', 'succeeded', 'succeeded', false]]);
    assert.ok(diff.tasks.every((task) => task.a!.ms !== null && task.b!.ms !== null));

    // History by workflow file.
    const other = writeWorkflow(dir, WORKFLOW, 'other.yaml');
    await value('runs.start', { file: other });
    await api.idle();
    const listed = await value<RunSummary[]>('runs.list', { file });
    assert.deepEqual(listed.map((summary) => summary.id), [second, first]);
    assert.equal(listed[0]!.provenance!.fileHash, textHash(readFileSync(file, 'utf8')));

    // The same comparison printed.
    const printed = cli(['diff', first, second], { home: path.join(dir, '.home') });
    assert.equal(printed.code, 0, printed.stderr);
    assert.match(printed.stdout, /^a: run \S+ .* compared {2}commit [0-9a-f]{10}/m);
    assert.match(printed.stdout, /^b: run \S+ .* commit [0-9a-f]{10} \(file changed since\)/m);
    assert.match(printed.stdout, /^param n: 1 → 2$/m);
    assert.match(printed.stdout, /^@@ -4,4 \+4,4 @@\n defaults: .*\n tasks:\n {3}prepare: .*\n- {2}check: \{ after: prepare, run: "true" \}\n\+ {2}check: \{ after: prepare, run: "exit 4" \}$/m);
    assert.match(printed.stdout, /^ {2}check {2}succeeded → failed$/m);
    const history = cli(['history', '--file', file], { home: path.join(dir, '.home') });
    assert.equal(history.stdout.trim().split('\n').length, 2);
    assert.match(history.stdout, new RegExp(`^${second} .* ${git('rev-parse', 'HEAD').slice(0, 8)}\\* +compared`, 'm'));
  });
});

describe("the editor's saves committed to git", () => {
  it('commits only the saved file, with a message from the edit, when the file says so; the next run names that commit', async (t) => {
    const dir = tempDir(t);
    const identity = { GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@b', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@b' };
    // (The commit takes the user's identity from git; a test machine may have none.)
    const saved = { ...process.env };
    Object.assign(process.env, identity);
    t.after(() => {
      for (const key of Object.keys(identity)) if (saved[key] === undefined) delete process.env[key];
    });
    const git = gitIn(dir);
    git('init', '-q');
    const file = writeWorkflow(dir, WORKFLOW);
    writeFileSync(path.join(dir, 'notes.txt'), 'staged, not to be committed\n');
    git('add', '.');
    git('commit', '-qm', 'start');
    writeFileSync(path.join(dir, 'notes.txt'), 'changed and staged\n');
    git('add', 'notes.txt');
    const { api, value } = openService(t, path.join(dir, '.home'), { requestPollMs: 50 });
    const opened = await value<{ value: Record<string, unknown>; version: string; git: { repository: string; commitOnSave: boolean } }>('workflows.open', { file });
    assert.deepEqual(opened.git, { repository: dir, commitOnSave: false });
    const edited = { ...opened.value, tasks: { ...(opened.value.tasks as object), report: { after: 'check', run: 'echo done' } } };
    // Off: saved, not committed.
    const plain = await value<{ version: string; commit?: unknown }>('workflows.save', { file, value: edited, version: opened.version });
    assert.equal(plain.commit, undefined);
    assert.equal(git('log', '--format=%s').split('\n').length, 1);
    assert.deepEqual(await value('workflows.commitOnSave', { file, on: true }), { repository: dir, commitOnSave: true });
    const changed = { ...edited, tasks: { ...(edited.tasks as object), check: { after: 'prepare', run: 'exit 0' } } };
    const committed = await value<{ commit: { commit: string; message: string } }>('workflows.save', { file, value: changed, version: plain.version });
    assert.equal(committed.commit.commit, git('rev-parse', 'HEAD'));
    assert.equal(git('log', '-1', '--format=%s'), 'Edit compared: add report; change check');
    assert.deepEqual(git('show', '--name-only', '--format=', 'HEAD').split('\n'), ['workflow.yaml']);
    // What else was staged is still staged.
    assert.equal(git('diff', '--cached', '--name-only'), 'notes.txt');
    const started = await value<{ run: string }>('runs.start', { file });
    await api.idle();
    const status = await value<RunStatus>('runs.status', { run: started.run });
    assert.equal(status.run.provenance!.git!.commit, committed.commit.commit);
    assert.equal(status.run.provenance!.git!.fileChanged, false);
  });

  it('says why a save was not committed: a file in no repository', async (t) => {
    const dir = tempDir(t);
    const store = Store.open(path.join(dir, '.home'));
    const api = new FlotillaService(store);
    t.after(() => {
      api.close();
      store.close();
    });
    const file = writeWorkflow(dir, WORKFLOW);
    await api.call('workflows.commitOnSave', { file, on: true });
    const opened = (await api.call('workflows.open', { file })) as { ok: true; value: { value: Record<string, unknown>; version: string; git: unknown } };
    assert.deepEqual(opened.value.git, { repository: null, commitOnSave: true });
    const saved = (await api.call('workflows.save', { file, value: { ...opened.value.value, name: 'renamed' }, version: opened.value.version })) as { ok: true; value: { commit: { error: string } } };
    assert.match(saved.value.commit.error, /is not in a git repository: saved, not committed/);
  });
});
