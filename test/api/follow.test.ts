/**
 * Following a cluster task's log while it runs: the lines come from the host as they are
 * written, and once the attempt has ended the follow goes on from the copy fetched here.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FlotillaService } from '../../core/api/service.ts';
import type { ServiceEvent } from '../../core/api/service.ts';
import { cli, cliAsync, waitFor, writeWorkflow } from '../helpers.ts';
import { remoteHarness } from '../targets/remote/harness.ts';

/** A workflow of one SLURM task, `talk`, that runs `script`. */
function talking(root: string, script: string): string {
  return `version: 1
targets:
  hpc: { type: slurm, host: cluster, root: ${root}, poll: 1 }
defaults: { target: hpc, retries: 0 }
tasks:
  talk: { run: '${script}' }
`;
}

describe('following a remote log (test cluster)', () => {
  it('shows what a SLURM job writes while it runs, whole characters only, and all of it at the end', async (t) => {
    const h = remoteHarness(t);
    const events: ServiceEvent[] = [];
    const service = new FlotillaService(h.store, { remote: { clusters: h.clusters, interactive: false, pollMs: 1000 }, requestPollMs: 50 });
    service.onEvent((event) => events.push(event));
    t.after(async () => {
      await service.idle();
      service.close();
    });
    const file = writeWorkflow(h.dir, talking(h.root, 'echo "line 1 ü"; sleep 4; echo "line 2 ✓"; sleep 2'));
    const started = await service.call('runs.start', { file });
    assert.ok(started.ok, JSON.stringify(started));
    const run = (started.value as { run: string }).run;
    const follow = await service.call('logs.follow', { run, task: 'talk', stream: 'stdout' }, { session: 's1' });
    assert.ok(follow.ok, JSON.stringify(follow));
    const text = () => events.flatMap((event) => (event.type === 'log' ? [event.text] : [])).join('');
    const state = () => h.store.findTask(run, 'talk')?.state;
    // The first line arrives while the job still runs (it sleeps 6 s more).
    await waitFor(() => text().includes('line 1 ü\n'), 'the first line', 20_000);
    assert.equal(state(), 'running', 'seen while the job runs');
    await waitFor(() => state() === 'succeeded', 'the job to end', 30_000);
    await waitFor(() => text() === 'line 1 ü\nline 2 ✓\n', `the whole log (so far: ${JSON.stringify(text())})`, 10_000);
    assert.ok(!text().includes('\ufffd'), 'no character was cut');
  });

  it('flotilla logs reads a running cluster task from its host; --follow goes on to its end', async (t) => {
    const h = remoteHarness(t);
    const run = h.start(talking(h.root, 'echo "line 1 ü"; echo "err 1" >&2; sleep 5; echo "line 2 ✓"; sleep 1'));
    const env = h.cliEnv();
    const state = () => h.store.findTask(run.runId, 'talk')?.state;
    await waitFor(() => state() === 'running', 'the job to start', 30_000);
    // Without --follow: what the host holds now, and no wait.
    const now = await waitFor(() => {
      const result = cli(['logs', run.runId, 'talk'], { home: env.FLOTILLA_HOME!, env });
      return result.stdout.includes('line 1') ? result : undefined;
    }, 'the first line from the host', 20_000);
    assert.equal(now.code, 0, now.stderr);
    assert.equal(now.stdout, 'line 1 ü\n');
    assert.equal(now.stderr, 'err 1\n');
    assert.equal(state(), 'running', 'read while the job runs');
    const followed = await cliAsync(['logs', run.runId, 'talk', '--stdout', '--follow'], { home: env.FLOTILLA_HOME!, env });
    assert.equal(followed.code, 0, followed.stderr);
    assert.equal(followed.stdout, 'line 1 ü\nline 2 ✓\n', 'each line once, the last one after the job ended');
    assert.equal(await run.done, 'succeeded');
  });
});
