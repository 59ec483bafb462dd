/**
 * `runs.forecast` over a real store: the durations it goes by are those the store recorded for
 * the same workflow file, task path and target (a sweep's instances pooled), a loop's by its
 * iterations' spans, and nothing of another file. And the walltime advice drawn from them.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { RunForecast, WalltimeAdvice } from '../../core/api/types.ts';
import { quantile } from '../../core/model/estimates.ts';
import { loadWorkflow } from '../../core/model/load.ts';
import { loadYaml } from '../../core/model/source.ts';
import { adviceText } from '../../core/model/walltime.ts';
import { createRun } from '../../core/scheduler/runs.ts';
import { Store } from '../../core/store/store.ts';
import { cli, pastRun, tempDir, writeWorkflow } from '../helpers.ts';
import { openService } from './harness.ts';

function service(t: Parameters<typeof tempDir>[0]) {
  const dir = tempDir(t);
  return { dir, ...openService(t, path.join(dir, 'home'), { requestPollMs: 50 }) };
}

/** How long each successful attempt of these tasks ran in these runs (ms), by the store. */
function ran(store: Store, runs: string[], match: (id: string) => boolean): number[] {
  return runs.flatMap((run) => {
    const ids = store.taskStates(run).map((task) => task.id);
    return store.attempts(run).filter((attempt) => attempt.state === 'succeeded' && match(ids[attempt.taskIdx]!)).map((attempt) => attempt.endedAt! - attempt.startedAt!);
  });
}

const median = (values: number[]) => quantile([...values].sort((a, b) => a - b), 0.5);

const WORKFLOW = `version: 1
name: timed
defaults: { cache: false }
targets:
  local: { type: local, max_parallel: 1 }
tasks:
  prepare: { run: sleep 0.1 }
  sweep:
    after: prepare
    foreach: { i: [1, 2, 3] }
    run: sleep 0.{{ i }}
  segments:
    after: sweep
    repeat: { until: "tasks.step.values.n >= 1", max: 5 }
    tasks:
      step: { run: "sleep 0.1; echo n={{ repeat.index }} >> $FLOTILLA_VALUES" }
`;

describe('the forecast of a run', () => {
  it("goes by the durations the store recorded for the file's tasks, a sweep's pooled, a loop's by iteration", async (t) => {
    const s = service(t);
    const file = writeWorkflow(s.dir, WORKFLOW);
    const runs = [await s.run(file), await s.run(file)];
    // A third run, made but not started: every task is still to run.
    const third = createRun(s.store, loadWorkflow(file), {});
    const forecast = await s.value<RunForecast>('runs.forecast', { run: third, tasks: true });
    const prepare = median(ran(s.store, runs, (id) => id === 'prepare'));
    const sweep = median(ran(s.store, runs, (id) => id.startsWith('sweep[')));
    assert.equal(ran(s.store, runs, (id) => id.startsWith('sweep[')).length, 6);
    const estimates = new Map(forecast.tasks!.map((task) => [task.task, task.estimate]));
    assert.deepEqual([...estimates], [['prepare', prepare], ['sweep[0]', sweep], ['sweep[1]', sweep], ['sweep[2]', sweep]]);
    // Each run made two iterations of the loop: the first takes its own time, the second the
    // time from the first's end to its own (the loop's pace); one of them is what an iteration takes.
    const spans = runs.flatMap((run) => {
      const [first, second] = [0, 1].map((index) => s.store.attempts(run, s.store.findTask(run, `segments#${index}/step`)!.idx)[0]!);
      return [first!.endedAt! - first!.startedAt!, second!.endedAt! - first!.endedAt!];
    });
    assert.deepEqual(forecast.loops, [{ task: 'segments', perIteration: median(spans), made: 0, max: 5 }]);
    // One slot: prepare, the sweep one after another, then (at least) one iteration.
    assert.equal(forecast.eta! - forecast.at, prepare + 3 * sweep + median(spans));
    assert.deepEqual([forecast.remaining, forecast.unknown, forecast.atLeast, forecast.progress], [4, 0, true, 0]);
  });

  it("knows nothing of another workflow file's tasks of the same names, and nothing is left of a run that ended", async (t) => {
    const s = service(t);
    const first = await s.run(writeWorkflow(s.dir, WORKFLOW, 'one.yaml'));
    const other = createRun(s.store, loadWorkflow(writeWorkflow(s.dir, WORKFLOW, 'two.yaml')), {});
    const forecast = await s.value<RunForecast>('runs.forecast', { run: other });
    assert.deepEqual([forecast.unknown, forecast.remaining, forecast.atLeast], [4, 4, true]);
    assert.deepEqual(forecast.loops, [{ task: 'segments', perIteration: null, made: 0, max: 5 }]);
    const ended = await s.value<RunForecast>('runs.forecast', { run: first });
    assert.deepEqual([ended.eta, ended.remaining], [null, 0]);
  });
});

const CLUSTER = `version: 1
name: long
targets:
  hpc: { type: slurm, host: hpc.example.org, root: flotilla }
tasks:
  prepare: { run: "true" }
  simulate:
    after: prepare
    target: hpc
    foreach: { i: [1, 2] }
    resources: { time: 1m }
    run: mdrun
  roomy: { target: hpc, resources: { time: 10m }, run: mdrun }
`;

describe('a queued cluster job', () => {
  it('is forecast to start when its scheduler expects it (squeue --start, kept with the attempt)', async (t) => {
    const s = service(t);
    const file = writeWorkflow(s.dir, CLUSTER.replace('foreach: { i: [1, 2] }', 'foreach: { i: [1] }'));
    for (const seconds of [10, 10, 10]) pastRun(s.store, file, { simulate: seconds, roomy: 5 });
    const run = createRun(s.store, loadWorkflow(file), {});
    const tasks = s.store.taskStates(run);
    const simulate = tasks.find((task) => task.id === 'simulate[0]')!.idx;
    for (const task of tasks) if (task.idx !== simulate) s.store.transition({ runId: run, task: task.idx, from: 'waiting', to: 'succeeded', at: Date.now() });
    const expected = Date.now() + 60_000;
    s.store.insertAttempt({ runId: run, taskIdx: simulate, n: 1, state: 'submitted', target: 'hpc', host: 'hpc', command: 'mdrun', cwd: '/', dir: '/', marker: '/m', stdout: '/o', stderr: '/e', hash: null, pid: null, pidStart: null, jobId: '77', schedulerState: 'PENDING', expectedStart: null, submittedAt: Date.now(), startedAt: null, endedAt: null, exitCode: null, signal: null, reason: null, values: null });
    s.store.updateAttempt(run, simulate, 1, { expectedStart: expected });
    s.store.transition({ runId: run, task: simulate, from: 'waiting', to: 'submitted', at: Date.now() });
    const forecast = await s.value<RunForecast>('runs.forecast', { run });
    assert.equal(forecast.eta, expected + 10_000);
  });
});

describe('walltime advice', () => {
  it('warns of a cluster task whose time limit is below what its past attempts took, with a limit that would do', async (t) => {
    const s = service(t);
    const file = writeWorkflow(s.dir, CLUSTER);
    for (const seconds of [50, 70, 65]) pastRun(s.store, file, { simulate: seconds, roomy: seconds, prepare: 500 });
    const advice = await s.value<WalltimeAdvice[]>('workflows.advice', { file });
    // Six attempts of the sweep pooled: 19 in 20 took up to 70 s; 1.5 × that, in whole minutes.
    assert.deepEqual(advice.map((each) => [each.task, each.target, each.limit, each.samples, each.suggested]), [['simulate', 'hpc', 60, 6, '2m']]);
    assert.match(adviceText(advice[0]!), /^task 'simulate' on hpc: time 1m is shorter than its last 6 attempts needed \(95th percentile 70 s\)/);
    // The file as edited in the app: a limit raised far enough says nothing.
    const raised = loadYaml(CLUSTER) as { tasks: { simulate: { resources: { time: string } } } };
    raised.tasks.simulate.resources.time = '2m';
    assert.deepEqual(await s.value('workflows.advice', { file, value: raised }), []);
    assert.equal((await s.value<{ advice: WalltimeAdvice[] }>('workflows.validate', { file })).advice.length, 1);
  });

  it('counts the attempts stopped at the limit: they needed at least that long', async (t) => {
    const s = service(t);
    const file = writeWorkflow(s.dir, CLUSTER.replace('foreach: { i: [1, 2] }', 'foreach: { i: [1] }'));
    for (const seconds of [60, 60, 60, 60]) pastRun(s.store, file, { simulate: seconds }, ['simulate']);
    for (const seconds of [52, 53]) pastRun(s.store, file, { simulate: seconds });
    const advice = await s.value<WalltimeAdvice[]>('workflows.advice', { file });
    assert.deepEqual(advice.map((each) => [each.task, each.samples, each.suggested]), [['simulate', 6, '2m']]);
  });

  it('says nothing with fewer than three past attempts, of local tasks, or of a file that does not load', async (t) => {
    const s = service(t);
    const file = writeWorkflow(s.dir, CLUSTER.replace('foreach: { i: [1, 2] }', 'foreach: { i: [1] }'));
    for (const seconds of [300, 300]) pastRun(s.store, file, { simulate: seconds });
    assert.deepEqual(await s.value('workflows.advice', { file }), []);
    const local = writeWorkflow(s.dir, 'version: 1\ntasks:\n  a: { resources: { time: 1s }, run: "true" }\n', 'local.yaml');
    for (const seconds of [300, 300, 300]) pastRun(s.store, local, { a: seconds });
    assert.deepEqual(await s.value('workflows.advice', { file: local }), []);
    assert.deepEqual(await s.value('workflows.advice', { file, value: { version: 1, tasks: { a: { after: 'nothing', run: 'true' } } } }), []);
  });

  it('is printed by flotilla validate', (t) => {
    const dir = tempDir(t);
    const home = path.join(dir, 'home');
    const file = writeWorkflow(dir, CLUSTER);
    const store = Store.open(home);
    for (const seconds of [50, 70, 65]) pastRun(store, file, { simulate: seconds });
    store.close();
    const result = cli(['validate', file], { home });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /warning: task 'simulate' on hpc: time 1m is shorter .* 2m would do/);
  });
});
