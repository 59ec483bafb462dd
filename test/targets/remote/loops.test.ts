/**
 * Loops the test cluster goes on with while Flotilla is away (core/targets/remote/ahead.ts):
 * the core killed (SIGKILL) after a loop's first iteration went out, its later iterations
 * submitted by the cluster's own jobs, and a resume that reads them back in one poll and
 * submits nothing again.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { RemoteTarget } from '../../../core/targets/remote/remote.ts';
import { CLI, REPO, waitFor, writeWorkflow } from '../../helpers.ts';
import { clusterLoop, remoteHarness } from './harness.ts';

/** Every job of the run the cluster knows of (finished ones too, for MinJobAge): its name, by id. */
function jobsOf(h: ReturnType<typeof remoteHarness>, runId: string): Map<string, string> {
  const lines = h.onCluster(`squeue -h -t all -o '%i %j'`).trim().split('\n');
  return new Map(lines.map((line) => line.trim().split(' ') as [string, string]).filter(([, name]) => name?.startsWith(`flotilla.${runId}.`)));
}

describe('a loop the cluster goes on with', () => {
  for (const type of ['slurm', 'ssh'] as const) {
    it(`advances with the core killed (${type}); a resume reads what happened in one poll and submits nothing again`, { timeout: 180_000 }, async (t) => {
      const h = remoteHarness(t);
      const env = h.cliEnv();
      const file = writeWorkflow(h.dir, clusterLoop(h.root, 3, 1, '  report: { after: md, target: local, run: "cat segment-*/out.txt > all.txt" }\n', type));
      const child = spawn(process.execPath, [CLI, 'run', file], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      const exited = new Promise((resolve) => child.on('exit', resolve));
      // Iteration 0 went out (SLURM: both jobs, chained; a plain host: the first): the core is killed.
      const runId = await waitFor(() => {
        try {
          const run = h.store.listRuns(1)[0];
          return run && h.store.attempts(run.id).filter((attempt) => attempt.jobId).length === (type === 'slurm' ? 2 : 1) && run.id;
        } catch {
          return undefined;
        }
      }, 'iteration 0 submitted');
      child.kill('SIGKILL');
      await exited;
      const loop = `${h.root}/${runId}/.flotilla/loops/md`;
      // The cluster decides after each iteration, and goes on until n >= 3.
      await waitFor(() => h.onCluster(`cat ${loop}/decided-3/answer 2>/dev/null || true`).trim() === 'value b 1', 'the cluster to decide after iteration 3', 120_000);
      for (const j of [0, 1, 2]) assert.equal(h.onCluster(`cat ${loop}/decided-${j}/answer`).trim(), 'value b 0');
      assert.equal(h.onCluster(`ls ${loop}/decided-3`).trim().split('\n').includes('next'), false, 'until held: nothing more submitted');
      // The job that decided says so in its attempt's folder.
      assert.equal(h.onCluster(`cat '${h.root}/${runId}/segment-3/.flotilla/${runId}/md#3%2Fcheck.1/decision'`), 'iteration 3 of md: value b 1\n');
      const known = h.store.attempts(runId).length;
      assert.equal(known, type === 'slurm' ? 2 : 1, 'the store knows only what the core submitted');
      const jobsWhileAway = type === 'slurm' ? jobsOf(h, runId) : undefined;
      assert.equal(jobsWhileAway?.size ?? 8, 8);

      const again = h.resume(runId);
      const target = again.targets.hpc as RemoteTarget;
      assert.equal(await again.done, 'succeeded', JSON.stringify(h.states(runId)));
      assert.ok(target.commands <= 3, `reconciled in ${target.commands} remote commands`);
      const attempts = h.store.attempts(runId).filter((attempt) => attempt.target === 'hpc');
      assert.equal(attempts.length, 8);
      assert.ok(attempts.every((attempt) => attempt.n === 1 && attempt.state === 'succeeded'));
      // Each job the cluster started, taken up once: SLURM's by their ids, a plain host's by the process that ran each.
      const jobs = new Set(attempts.map((attempt) => attempt.jobId));
      if (jobsWhileAway) {
        assert.deepEqual(jobs, new Set(jobsWhileAway.keys()));
        assert.equal(jobsOf(h, runId).size, 8, 'nothing submitted again');
      } else assert.equal(jobs.size, 8);
      const starts = h.onCluster(`cat ${h.root}/${runId}/segment-*/.flotilla/${runId}/*/status | grep -c '^start'`).trim();
      assert.equal(starts, '8', 'every task ran once');
      assert.equal(readFileSync(path.join(h.dir, 'all.txt'), 'utf8'), '0\n1\n2\n3\n');
      // The decisions are the core's own, made from the values recorded with each attempt.
      const grew = h.store.events(runId).filter((event) => event.kind === 'grew').map((event) => event.detail);
      assert.equal(grew.length, 4, grew.join('\n'));
    });
  }
});
