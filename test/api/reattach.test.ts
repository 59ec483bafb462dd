/**
 * Coming back: a run left running by a process that died is taken up again at start; one with
 * tasks to run on this machine waits for the user's word (asked once, kept as a setting), then
 * goes on, adopting what ended meanwhile, with one summary of what ended.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { RunNotice } from '../../core/api/types.ts';
import { Store } from '../../core/store/store.ts';
import { killHard, startCli, tempDir, waitFor, writeWorkflow } from '../helpers.ts';
import { openService } from './harness.ts';

describe('taking up interrupted runs at start', () => {
  it('waits for the word on a run with local tasks, then resumes it and sums up what ended', async (t) => {
    const dir = tempDir(t);
    const home = path.join(dir, 'home');
    const gate = path.join(dir, 'gate');
    const file = writeWorkflow(dir, `version: 1\nname: left\ntasks:\n  hold: { run: 'while [ ! -e "${gate}" ]; do sleep 0.05; done' }\n  after: { after: hold, run: "true" }\n`);
    const child = startCli(['run', file], { home });
    const watcher = Store.open(home);
    const runId = await waitFor(() => {
      const run = watcher.listRuns(1)[0];
      return run && watcher.taskStates(run.id)[0]?.state === 'running' ? run.id : undefined;
    }, 'the task to run');
    watcher.close();
    await killHard(child);

    const { store, api, value } = openService(t, home, { awayQuietMs: 500 });
    const notices: RunNotice[] = [];
    api.onEvent((event) => event.type === 'notice' && notices.push(event));
    assert.deepEqual(await value('runs.reattach', {}), { attached: [], waiting: [{ run: runId, name: 'left', local: true, remote: false }], local: 'ask' });
    assert.equal(api.driven(runId), undefined);
    assert.deepEqual(await value('runs.restartLocal', { choice: 'always' }), { attached: [runId], local: 'always' });
    writeFileSync(gate, '');
    await api.idle();
    assert.equal(store.getRun(runId)!.state, 'succeeded');
    // The task that ran on while nobody watched is adopted, not run again.
    assert.equal(store.attempts(runId, 0).filter((attempt) => attempt.state === 'succeeded').length, 1);
    await waitFor(() => notices.some((notice) => notice.kind === 'away'), 'the summary');
    assert.deepEqual(notices.filter((notice) => notice.kind === 'away').map((notice) => notice.title), ['while Flotilla was closed: 2 tasks finished']);
    // Said once: the next start asks nothing.
    assert.deepEqual(await value('runs.reattach', {}), { attached: [], waiting: [], local: 'always' });
  });
});
