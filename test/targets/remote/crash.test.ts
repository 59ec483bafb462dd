/**
 * Exactly once against the real cluster: the core is killed (SIGKILL) at awkward moments and
 * resumed; jobs already submitted are adopted, never submitted again.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Store } from '../../../core/store/store.ts';
import { jobName } from '../../../core/targets/remote/scripts.ts';
import { CLI, REPO, cli, waitFor, writeWorkflow } from '../../helpers.ts';
import { remoteHarness } from './harness.ts';

function workflow(root: string, tasks: string): string {
  return `version: 1
targets:
  hpc: { type: slurm, host: cluster, root: ${root}, poll: 1 }
defaults: { target: hpc, retries: 0 }
tasks:
${tasks}`;
}

/** The run id and per-task job ids the store holds (read from a second connection). */
function stored(home: string): { runId: string; jobs: Record<string, string | null>; states: Record<string, string> } {
  const store = Store.open(home);
  try {
    const run = store.listRuns(1)[0]!;
    const tasks = store.loadTasks(run.id);
    const jobs = Object.fromEntries(store.attempts(run.id).map((attempt) => [tasks[attempt.taskIdx]!.id, attempt.jobId]));
    const states = Object.fromEntries(store.taskStates(run.id).map((task) => [task.id, task.state]));
    return { runId: run.id, jobs, states };
  } finally {
    store.close();
  }
}

describe('exactly once on the cluster (core killed)', () => {
  it('an afterok chain finishes while the core is stopped; resume adopts it, submits nothing again', async (t) => {
    const h = remoteHarness(t);
    const env = h.cliEnv();
    const file = writeWorkflow(
      h.dir,
      workflow(h.root, `  a: { run: sleep 3; echo a > a.txt }
  b: { run: cat a.txt > b.txt; echo b >> b.txt, after: a }
  c: { run: cat b.txt > c.txt; echo c >> c.txt, after: b, outputs: [c.txt] }
`),
    );
    const child = spawn(process.execPath, [CLI, 'run', file], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    const chain = await waitFor(() => {
      try {
        const now = stored(env.FLOTILLA_HOME!);
        return Object.values(now.jobs).filter(Boolean).length === 3 && now;
      } catch {
        return undefined;
      }
    }, 'all three jobs submitted');
    child.kill('SIGKILL');
    await exited;
    // The cluster goes on without the core.
    await waitFor(() => h.onCluster(`squeue -h -t all -j ${chain.jobs.c} -o %T`).trim() === 'COMPLETED', 'c to complete on the cluster', 60_000);
    assert.notEqual(stored(env.FLOTILLA_HOME!).states.c, 'succeeded', 'the store did not see c end');
    const resumed = cli(['resume', chain.runId], { home: env.FLOTILLA_HOME!, env });
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
    const after = stored(env.FLOTILLA_HOME!);
    assert.deepEqual(after.states, { a: 'succeeded', b: 'succeeded', c: 'succeeded' });
    assert.deepEqual(after.jobs, chain.jobs, 'the same jobs, no new attempt');
    assert.equal(readFileSync(path.join(h.dir, 'c.txt'), 'utf8'), 'a\nb\nc\n');
    // The cluster's state is kept with the run: when it was last seen, for `flotilla status`.
    const status = JSON.parse(cli(['status', chain.runId, '--json'], { home: env.FLOTILLA_HOME!, env }).stdout) as { clusters: { destination: string; state: string; lastSeen: number | null }[] };
    assert.equal(status.clusters.length, 1);
    assert.equal(status.clusters[0]!.destination, 'cluster');
    assert.ok(status.clusters[0]!.lastSeen !== null && status.clusters[0]!.lastSeen > Date.now() - 120_000);
    assert.match(cli(['status', chain.runId], { home: env.FLOTILLA_HOME!, env }).stdout, /cluster cluster: not connected, last seen /);
  });

  it('SIGKILL between sbatch and recording the job id: resume adopts the job, no duplicate', async (t) => {
    const h = remoteHarness(t);
    const env = h.cliEnv();
    const file = writeWorkflow(h.dir, workflow(h.root, `  once: { run: echo ran >> ran.txt; sleep 2, outputs: [ran.txt] }\n`));
    const crashed = cli(['run', file], { home: env.FLOTILLA_HOME!, env: { ...env, FLOTILLA_FAILPOINT: 'after-submit' } });
    assert.equal(crashed.signal ?? crashed.code, 'SIGKILL', crashed.stderr);
    const before = stored(env.FLOTILLA_HOME!);
    assert.equal(before.jobs.once, null, 'the store never learnt the job id');
    const resumed = cli(['resume', before.runId], { home: env.FLOTILLA_HOME!, env });
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
    const after = stored(env.FLOTILLA_HOME!);
    const named = h.onCluster(`squeue -h -t all -n ${jobName(before.runId, 'once', 1)} -o %i`).trim().split('\n');
    assert.deepEqual(named, [after.jobs.once], 'exactly one job with that name, the one adopted');
    assert.equal(readFileSync(path.join(h.dir, 'ran.txt'), 'utf8'), 'ran\n');
  });

  it('a job whose id was never recorded, and whose jobid file is gone, is found by its name in the queue', async (t) => {
    const h = remoteHarness(t);
    const env = h.cliEnv();
    const file = writeWorkflow(h.dir, workflow(h.root, `  once: { run: sleep 4; echo ran >> ran.txt, outputs: [ran.txt] }\n`));
    const crashed = cli(['run', file], { home: env.FLOTILLA_HOME!, env: { ...env, FLOTILLA_FAILPOINT: 'after-submit' } });
    assert.equal(crashed.signal ?? crashed.code, 'SIGKILL', crashed.stderr);
    const before = stored(env.FLOTILLA_HOME!);
    assert.equal(before.jobs.once, null, 'the store never learnt the job id');
    // Nor can the attempt's folder tell it: only the queue, by the job's name, can.
    const jobIdFile = `${h.root}/${before.runId}/.flotilla/${before.runId}/once.1/jobid`;
    const submitted = h.onCluster(`cat ${jobIdFile} && rm ${jobIdFile}`).trim();
    assert.match(submitted, /^\d+$/);
    assert.equal(h.onCluster(`squeue -h -j ${submitted} -o %j`).trim(), jobName(before.runId, 'once', 1), 'the job is still in the queue, under its name');
    const resumed = cli(['resume', before.runId], { home: env.FLOTILLA_HOME!, env });
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
    const after = stored(env.FLOTILLA_HOME!);
    assert.equal(after.jobs.once, submitted, 'the job found by its name was adopted');
    assert.deepEqual(after.states, { once: 'succeeded' });
    assert.equal(readFileSync(path.join(h.dir, 'ran.txt'), 'utf8'), 'ran\n', 'it ran once');
  });
});
