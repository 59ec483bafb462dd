import assert from 'node:assert/strict';
import { cpSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cli, REPO, tempDir } from './helpers.ts';

/** Copies examples/ to a fresh folder, so runs write nowhere in the repository. */
function copyExamples(t: Parameters<typeof tempDir>[0]): { dir: string; home: string } {
  const dir = tempDir(t);
  cpSync(path.join(REPO, 'examples'), path.join(dir, 'examples'), { recursive: true });
  return { dir: path.join(dir, 'examples'), home: path.join(dir, 'home') };
}

function run(file: string, home: string, ...args: string[]): string {
  const result = cli(['run', file, ...args], { home });
  assert.equal(result.code, 0, `${file}: ${result.stdout}${result.stderr}`);
  return result.stdout;
}

const read = (file: string) => readFileSync(file, 'utf8');

describe('examples', () => {
  it('md-sweep: setup, a sweep of equilibration and production, analysis into a CSV; a rerun is all cached', (t) => {
    const { dir, home } = copyExamples(t);
    const file = path.join(dir, 'md-sweep/workflow.yaml');
    assert.match(run(file, home), /succeeded .*12 succeeded/);
    assert.equal(
      read(path.join(dir, 'md-sweep/out/summary.csv')),
      'window,centre,mean_x,mean_energy,samples\n0,-1.000,-1.0027,0.3709,200\n1,-0.500,-0.5113,0.8845,200\n2,0.000,-0.0019,1.2931,200\n3,0.500,0.5015,0.9224,200\n4,1.000,1.0048,0.3961,200\n',
    );
    assert.match(run(file, home), /12 cached/);
  });

  it('inversion: iterations until the misfit reduction falls below the tolerance, each with a halving line search; misfit_only skips the adjoints', (t) => {
    const { dir, home } = copyExamples(t);
    const file = path.join(dir, 'inversion/workflow.yaml');
    assert.match(run(file, home), /succeeded in .*: 103 succeeded/);
    const rows = read(path.join(dir, 'inversion/out/history.csv')).trim().split('\n');
    assert.equal(rows[0], 'iteration,misfit,searches,new_misfit,reduction');
    // Six iterations: the first halves the step twice (three trials), the last reduces the misfit by less than 2 %.
    assert.deepEqual(rows.slice(1).map((row) => row.split(',').slice(0, 3).join(',')), ['0,0.895000,3', '1,0.192840,2', '2,0.185640,2', '3,0.179467,2', '4,0.174485,2', '5,0.170934,2']);
    const reductions = rows.slice(1).map((row) => Number(row.split(',')[4]));
    assert.ok(reductions.slice(0, -1).every((r) => r >= 0.02) && reductions.at(-1)! < 0.02, reductions.join(' '));
    assert.equal(read(path.join(dir, 'inversion/out/iter-0/result.txt')), 'iteration 0\nmisfit 0.895000\nsearch search-2\nnew_misfit 0.192840\nreduction 0.784536\n');
    const status = cli(['status', 'last'], { home }).stdout;
    assert.match(status, /^inversion\s+succeeded\s+iteration 6\/≤8  until params\.misfit_only or tasks\.update\.values\.reduction < params\.tolerance is true \(params\.misfit_only = false, tasks\.update\.values\.reduction = 0\.01046, params\.tolerance = 0\.02\) after 6 iterations$/m);
    // The starting misfit only: one iteration, no adjoint solves, no line search.
    const { dir: other, home: otherHome } = copyExamples(t);
    assert.match(run(path.join(other, 'inversion/workflow.yaml'), otherHome, '-p', 'misfit_only=true'), /14 succeeded, 6 skipped/);
    assert.equal(read(path.join(other, 'inversion/out/history.csv')), 'iteration,misfit,searches,new_misfit,reduction\n0,0.895000,,,\n');
  });

  it('decisions: a planner publishes each decision\'s runs, they fan out from its value, a decision task says when to stop', (t) => {
    const { dir, home } = copyExamples(t);
    assert.match(run(path.join(dir, 'decisions/workflow.yaml'), home), /succeeded in .*: 34 succeeded/);
    assert.equal(read(path.join(dir, 'decisions/out/decisions.csv')), 'decision,runs,level,cost\n0,5,4.0000,0.590000\n1,3,4.0000,0.590000\n2,3,3.5000,0.540000\n3,3,3.7500,0.502500\n4,3,3.7500,0.502500\n');
    const status = JSON.parse(cli(['status', 'last', '--json'], { home }).stdout) as { tasks: { id: string; state: string }[] };
    assert.deepEqual(status.tasks.filter((task) => task.id.startsWith('decisions#0/models[')).map((task) => task.id), [0, 1, 2, 3, 4].map((i) => `decisions#0/models[${i}]`));
    assert.ok(status.tasks.every((task) => task.state === 'succeeded'));
  });

  const patterns: [string, string, string][] = [
    ['bag-of-tasks', 'results.txt', '0.618034\n0.236068\n0.854102\n0.472136\n0.090170\n0.708204\n0.326238\n0.944272\n0.562306\n0.180340\n'],
    ['sequential', 'output.txt', '7\n'],
    ['parallel', 'doubled_z.txt', '20\n'],
    ['parallel-loop', 'outputs.txt', '1\n1\n3\n2\n'],
    ['passing-files', 'total.txt', '36\n'],
    ['map-reduce', 'total.txt', '12\n'],
  ];
  for (const [pattern, output, expected] of patterns) {
    it(`Parsl pattern "${pattern}" gives its result`, (t) => {
      const { dir, home } = copyExamples(t);
      run(path.join(dir, `parsl-patterns/${pattern}.yaml`), home);
      assert.equal(read(path.join(dir, 'parsl-patterns/out', pattern, output)), expected);
    });
  }
});

describe('examples on the test cluster', () => {
  it('md-gromacs: solvate and grompp here, replicas through SLURM with gmx mdrun, energies back into a CSV', { timeout: 180_000 }, async (t) => {
    const { remoteHarness } = await import('./targets/remote/harness.ts');
    const h = remoteHarness(t);
    const env = h.cliEnv();
    const { dir } = copyExamples(t);
    const file = path.join(dir, 'md-gromacs/workflow.yaml');
    const result = cli(['run', file, '-p', 'replicas=[1, 2, 3]'], { home: env.FLOTILLA_HOME!, env });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /succeeded .*: 9 succeeded/);
    const rows = read(path.join(dir, 'md-gromacs/out/energies.csv')).trim().split('\n');
    assert.equal(rows[0], 'replica,potential_kj_mol,temperature_k');
    assert.deepEqual(rows.slice(1).map((row) => row.split(',')[0]), ['1', '2', '3']);
    for (const row of rows.slice(1)) {
      const [, potential, temperature] = row.split(',').map(Number);
      assert.ok(potential! < -5000, `a water box has a large negative potential energy: ${row}`);
      // Minimized first, and averaged after equilibration: the thermostat's 300 K within 10 K.
      assert.ok(Math.abs(temperature! - 300) <= 10, `a thermostatted temperature: ${row}`);
    }
    // The replicas differ (their own velocities), and ran as SLURM jobs.
    assert.equal(new Set(rows.slice(1).map((row) => row.split(',')[1])).size, 3);
    const status = JSON.parse(cli(['status', 'last', '--json'], { home: env.FLOTILLA_HOME!, env }).stdout) as { tasks: { id: string; last: { jobId: string | null } | null }[] };
    for (const task of status.tasks.filter((task) => task.id.endsWith('/mdrun'))) assert.match(task.last?.jobId ?? '', /^\d+(_\d+)?$/);
  });

  it('md-continue: segments through SLURM, each continuing the last from its checkpoint, until the target time; production stays within 10 K', { timeout: 300_000 }, async (t) => {
    const { remoteHarness } = await import('./targets/remote/harness.ts');
    const h = remoteHarness(t);
    const env = h.cliEnv();
    const { dir } = copyExamples(t);
    const file = path.join(dir, 'md-continue/workflow.yaml');
    const result = cli(['run', file, '-p', 'target_ps=6'], { home: env.FLOTILLA_HOME!, env });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /succeeded .*: 9 succeeded/);
    const rows = read(path.join(dir, 'md-continue/out/segments.csv')).trim().split('\n');
    assert.equal(rows[0], 'segment,end_ps,potential_kj_mol,temperature_k');
    // Three segments of 2 ps, each ending where the next begins: 2, 4, 6 ps simulated.
    assert.deepEqual(rows.slice(1).map((row) => row.split(',').slice(0, 2).map(Number)), [[0, 2], [1, 4], [2, 6]]);
    for (const row of rows.slice(2)) assert.ok(Math.abs(Number(row.split(',')[3]) - 300) <= 10, `a production segment near 300 K: ${row}`);
    const status = JSON.parse(cli(['status', 'last', '--json'], { home: env.FLOTILLA_HOME!, env }).stdout) as { tasks: { id: string; loop?: { iterations: number }; last: { jobId: string | null; values: Record<string, unknown> | null } | null }[] };
    assert.deepEqual(status.tasks.find((task) => task.id === 'md')!.loop, { iterations: 3, max: 12 });
    for (const k of [0, 1, 2]) {
      assert.match(status.tasks.find((task) => task.id === `md#${k}/run`)!.last?.jobId ?? '', /^\d+(_\d+)?$/);
      assert.deepEqual(status.tasks.find((task) => task.id === `md#${k}/check`)!.last?.values, { time_ps: 2 * (k + 1), done: k === 2 });
    }
  });
});
