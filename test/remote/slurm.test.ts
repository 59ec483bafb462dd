import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { facts, remoteHarness } from './harness.ts';

const CLUSTER = `targets:
  hpc: { type: slurm, host: cluster, root: ROOT, poll: 1 }
defaults: { target: hpc, retries: 0 }
`;

describe('slurm target (test cluster)', () => {
  it('runs a job, records its job id, stages inputs up and outputs back', async (t) => {
    const h = remoteHarness(t);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path.join(h.dir, 'input.txt'), 'forty-two\n');
    const run = h.start(`version: 1
${CLUSTER}tasks:
  hello:
    inputs: [input.txt]
    outputs: [result.txt]
    run: |
      echo "node $(hostname) job $SLURM_JOB_ID" > result.txt
      cat input.txt >> result.txt
`);
    const outcome = await run.done;
    assert.equal(outcome, 'succeeded', JSON.stringify(h.store.attempts(run.runId)));
    const result = readFileSync(path.join(h.dir, 'result.txt'), 'utf8');
    assert.match(result, /^node \S+ job \d+\nforty-two\n$/);
    const [attempt] = h.store.attempts(run.runId);
    assert.equal(attempt!.jobId, /job (\d+)/.exec(result)![1]);
    assert.equal(attempt!.schedulerState, 'COMPLETED');
    assert.equal(attempt!.exitCode, 0);
    void facts;
  });

  it('reports exit 3 as a failed attempt with code 3', async (t) => {
    const h = remoteHarness(t);
    const run = h.start(`version: 1
${CLUSTER}tasks:
  bad: { run: 'echo oops >&2; exit 3' }
`);
    assert.equal(await run.done, 'failed');
    const [attempt] = h.store.attempts(run.runId);
    assert.equal(attempt!.exitCode, 3);
    assert.equal(attempt!.schedulerState, 'FAILED');
    assert.deepEqual(h.states(run.runId), { bad: 'failed' });
  });
});
