/** SLURM's time limit: slow by nature (the shortest limit is a minute), so in its own file to run beside the others. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { remoteHarness } from './harness.ts';

describe('slurm time limit (test cluster)', () => {
  it('reports a job killed at its time limit as TIMEOUT', { timeout: 240_000 }, async (t) => {
    const h = remoteHarness(t);
    const run = h.start(`version: 1
targets:
  hpc: { type: slurm, host: cluster, root: ROOT, poll: 1 }
defaults: { target: hpc, retries: 0 }
tasks:
  slow: { run: sleep 600, resources: { time: 1min } }
`);
    assert.equal(await run.done, 'failed');
    const [attempt] = h.store.attempts(run.runId);
    assert.equal(attempt!.schedulerState, 'TIMEOUT', JSON.stringify(attempt));
    assert.equal(attempt!.reason, 'timeout');
    const task = h.store.taskStates(run.runId)[0]!;
    assert.equal(task.state, 'failed');
    assert.match(task.reason ?? '', /timed out after 60s/);
    assert.ok(attempt!.endedAt! - attempt!.startedAt! >= 55_000, 'it ran until the limit');
  });
});
