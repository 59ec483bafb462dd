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
import { CLI, REPO, cliAsync, killHard, waitFor, writeWorkflow } from '../../helpers.ts';
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
      // The job that decided says so in its attempt's folder (check's, or on a plain host run's when check ended first).
      assert.equal(h.onCluster(`cat '${h.root}/${runId}/segment-3/.flotilla/${runId}/'*/decision`), 'iteration 3 of md: value b 1\n');
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

  it('kill -9 right after each decision made an iteration, then resume: every iteration runs once on the cluster', { timeout: 240_000 }, async (t) => {
    const h = remoteHarness(t);
    const home = h.cliEnv().FLOTILLA_HOME!;
    const env = { ...h.cliEnv(), FLOTILLA_FAILPOINT: 'after-iteration-made' };
    const file = writeWorkflow(h.dir, clusterLoop(h.root, 3, 1));
    let result = await cliAsync(['run', file], { home, env });
    let kills = 0;
    for (; result.signal === 'SIGKILL' && kills < 6; kills++) result = await cliAsync(['resume', 'last'], { home, env });
    assert.equal(kills, 4, 'killed after iterations 0–3 were made');
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const runId = h.store.listRuns(1)[0]!.id;
    assert.deepEqual(Object.entries(h.states(runId)).filter(([, state]) => state !== 'succeeded'), []);
    assert.equal(Object.keys(h.states(runId)).length, 9, 'iterations 0–3 and the loop');
    // Each task's job ran once (a resume may record an attempt that never went out as lost: it never ran).
    const starts = h.onCluster(`cat ${h.root}/${runId}/segment-*/.flotilla/${runId}/*/status | grep -c '^start'`).trim();
    assert.equal(starts, '8');
    for (const k of [0, 1, 2, 3]) assert.equal(readFileSync(path.join(h.dir, `segment-${k}`, 'out.txt'), 'utf8'), `${k}\n`);
  });

  it('cancelled while no Flotilla drives it, stops on the cluster too; a resubmit runs the cancelled task anew and the loop goes on', { timeout: 240_000 }, async (t) => {
    const h = remoteHarness(t);
    const env = h.cliEnv();
    const home = env.FLOTILLA_HOME!;
    const file = writeWorkflow(h.dir, clusterLoop(h.root, 5, 3, '  report: { after: md, target: local, run: "cat segment-*/out.txt > all.txt" }\n'));
    const child = spawn(process.execPath, [CLI, 'run', file], { cwd: REPO, env: { ...process.env, ...env }, stdio: 'ignore' });
    const runId = await waitFor(() => {
      const run = h.store.listRuns(1)[0];
      return run && h.store.attempts(run.id).filter((attempt) => attempt.jobId).length === 2 && run.id;
    }, 'iteration 0 submitted');
    await killHard(child);
    const loop = `${h.root}/${runId}/.flotilla/loops/md`;
    await waitFor(() => h.onCluster(`ls ${loop}`).includes('decided-1'), 'the cluster to go on past iteration 1', 60_000);
    const cancelled = await cliAsync(['cancel', runId], { home, env });
    assert.equal(cancelled.code, 0, cancelled.stdout + cancelled.stderr);
    // Nothing of the run is left queued or running on the cluster, and it goes no further.
    const live = () => h.onCluster(`squeue -h -t PD,R,CG -o %j`).split('\n').filter((name) => name.startsWith(`flotilla.${runId}.`));
    await waitFor(() => live().length === 0, 'the cluster to stop the loop', 30_000);
    const decided = h.onCluster(`ls ${loop}`);
    assert.match(decided, /^stop$/m);
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    assert.equal(h.onCluster(`ls ${loop}`), decided, 'no decision since');
    assert.deepEqual(live(), []);
    // Resubmitted, the cancelled task runs anew (not the job set aside), and the loop goes on to its end.
    const status = JSON.parse((await cliAsync(['status', runId, '--json'], { home, env })).stdout) as { tasks: { id: string; state: string }[] };
    const stopped = status.tasks.filter((task) => task.state === 'cancelled' && task.id.startsWith('md#')).map((task) => task.id);
    assert.ok(stopped.length > 0, JSON.stringify(status.tasks));
    const resubmitted = await cliAsync(['resubmit', runId, ...stopped], { home, env });
    assert.equal(resubmitted.code, 0, resubmitted.stdout + resubmitted.stderr);
    assert.equal(readFileSync(path.join(h.dir, 'all.txt'), 'utf8'), '0\n1\n2\n3\n4\n5\n');
    const attempts = h.store.attempts(runId).filter((attempt) => attempt.target === 'hpc');
    // Each task's last attempt succeeded, having run (its job's folder says it started).
    const last = new Map(attempts.map((attempt) => [attempt.taskIdx, attempt]));
    assert.ok([...last.values()].every((attempt) => attempt.state === 'succeeded'), JSON.stringify(attempts));
  });

  it('a resubmit that discards iterations: the cluster goes on again with the attempts Flotilla makes next, each once', { timeout: 240_000 }, async (t) => {
    const h = remoteHarness(t);
    const env = h.cliEnv();
    const home = env.FLOTILLA_HOME!;
    const file = writeWorkflow(h.dir, clusterLoop(h.root, 3, 1));
    const first = await cliAsync(['run', file], { home, env });
    assert.equal(first.code, 0, first.stdout + first.stderr);
    const runId = h.store.listRuns(1)[0]!.id;
    const again = await cliAsync(['resubmit', runId, 'md#1/run'], { home, env });
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout + again.stderr, /discard/);
    const attempts = h.store.attempts(runId);
    const tasks = h.store.loadTasks(runId);
    const tries = Object.fromEntries(tasks.filter((task) => task.id.startsWith('md#')).map((task) => [task.id, attempts.filter((attempt) => attempt.taskIdx === task.idx).map((attempt) => `${attempt.n}:${attempt.state}`).join(' ')]));
    assert.deepEqual(tries, {
      'md#0/run': '1:succeeded', 'md#0/check': '1:succeeded',
      'md#1/run': '1:succeeded 2:succeeded', 'md#1/check': '1:succeeded 2:succeeded',
      'md#2/run': '1:succeeded 2:succeeded', 'md#2/check': '1:succeeded 2:succeeded',
      'md#3/run': '1:succeeded 2:succeeded', 'md#3/check': '1:succeeded 2:succeeded',
    });
    // Every attempt's job ran once: 8, then 6 again.
    assert.equal(h.onCluster(`cat ${h.root}/${runId}/segment-*/.flotilla/${runId}/*/status | grep -c '^start'`).trim(), '14');
    // The second pass went on on the cluster too: iteration 2's second attempts were submitted there.
    assert.match(h.onCluster(`cat ${h.root}/${runId}/.flotilla/loops/md/decided-1/next/answer`), /^submitted t0 \d+$/m);
  });
});
