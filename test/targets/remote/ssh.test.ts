import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { waitFor } from '../../helpers.ts';
import { remoteHarness } from './harness.ts';

const HOST = `targets:
  box: { type: ssh, host: cluster, root: ROOT, poll: 1, max_parallel: 2 }
defaults: { target: box, retries: 0 }
`;

describe('ssh target (test cluster)', () => {
  it('runs detached attempts with inputs up and outputs back, and reports exit codes', async (t) => {
    const h = remoteHarness(t);
    writeFileSync(path.join(h.dir, 'in.txt'), 'payload\n');
    const run = h.start(`version: 1
${HOST}tasks:
  good: { inputs: [in.txt], outputs: [out.txt], run: 'tr a-z A-Z < in.txt > out.txt; echo pid $$ sid $(ps -o sid= -p $$) >&2' }
  bad: { run: exit 7 }
`);
    assert.equal(await run.done, 'failed');
    assert.equal(readFileSync(path.join(h.dir, 'out.txt'), 'utf8'), 'PAYLOAD\n');
    const byTask = Object.fromEntries(h.store.attempts(run.runId).map((attempt) => [h.store.loadTasks(run.runId)[attempt.taskIdx]!.id, attempt]));
    assert.equal(byTask.good!.exitCode, 0);
    assert.equal(byTask.bad!.exitCode, 7);
    assert.match(byTask.good!.jobId ?? '', /^\d+$/);
    assert.deepEqual(h.states(run.runId), { good: 'succeeded', bad: 'failed' });
  });

  it('keeps running when the connection closes, and a new core adopts it', async (t) => {
    const h = remoteHarness(t);
    const run = h.start(`version: 1
${HOST}tasks:
  long: { run: sleep 4; echo done > done.txt, outputs: [done.txt] }
`);
    await waitFor(() => h.states(run.runId).long === 'running', 'the attempt to run');
    // The core goes away without a word; its connection closes.
    run.runner.detach();
    assert.equal(await run.done, 'running');
    h.clusters.close();
    const again = h.resume(run.runId);
    assert.equal(await again.done, 'succeeded');
    assert.equal(readFileSync(path.join(h.dir, 'done.txt'), 'utf8'), 'done\n');
    assert.equal(h.store.attempts(run.runId).length, 1, 'adopted, not run again');
  });

  it('cancels by signalling the attempt\'s whole session, and enforces the time limit', async (t) => {
    const h = remoteHarness(t);
    const run = h.start(`version: 1
${HOST}tasks:
  cancel me: { run: 'sleep 300 & sleep 301; wait' }
  stubborn: { run: 'sh -c "trap \\"\\" TERM; exec sleep 302" & sleep 303' }
  limited: { run: 'sh -c "trap \\"\\" TERM; exec sleep 304" & sleep 305', resources: { time: 3s } }
`);
    await waitFor(() => h.states(run.runId)['cancel me'] === 'running' && h.states(run.runId).stubborn === 'running', 'the attempts to run');
    run.runner.cancelTask('cancel me');
    run.runner.cancelTask('stubborn');
    assert.equal(await run.done, 'failed');
    assert.deepEqual(h.states(run.runId), { 'cancel me': 'cancelled', stubborn: 'cancelled', limited: 'failed' });
    const limited = h.store.attempts(run.runId).find((attempt) => h.store.loadTasks(run.runId)[attempt.taskIdx]!.id === 'limited')!;
    assert.equal(limited.reason, 'timeout');
    // Nothing the attempts started is left behind, children that ignore TERM included: by the
    // time an attempt's end is reported, its processes are gone.
    assert.equal(h.onCluster(`pgrep -u $(id -un) -f 'sleep 30[0-5]' || true`).trim(), '');
  });
});
