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

  it('inversion: per-event solves, misfit, adjoint and a three-step line search lower the misfit', (t) => {
    const { dir, home } = copyExamples(t);
    run(path.join(dir, 'inversion/workflow.yaml'), home);
    assert.equal(read(path.join(dir, 'inversion/out/iter-1/result.txt')), 'iteration 1\nmisfit 0.895000\nbest_step 0.01\nnew_misfit 0.192840\n');
    assert.equal(read(path.join(dir, 'inversion/out/iter-1/model-updated.txt')), '1 3.059750\n2 3.066000\n3 3.054250\n4 3.066000\n');
    run(path.join(dir, 'inversion/workflow.yaml'), home, '-p', 'iteration=2');
    const second = read(path.join(dir, 'inversion/out/iter-2/result.txt'));
    assert.match(second, /^iteration 2\nmisfit 0.192840\n/);
    assert.match(second, /new_misfit 0.183848\n$/);
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
    assert.match(result.stdout, /succeeded .*: 8 succeeded/);
    const rows = read(path.join(dir, 'md-gromacs/out/energies.csv')).trim().split('\n');
    assert.equal(rows[0], 'replica,potential_kj_mol,temperature_k');
    assert.deepEqual(rows.slice(1).map((row) => row.split(',')[0]), ['1', '2', '3']);
    for (const row of rows.slice(1)) {
      const [, potential, temperature] = row.split(',').map(Number);
      assert.ok(potential! < -5000, `a water box has a large negative potential energy: ${row}`);
      assert.ok(temperature! > 150 && temperature! < 600, `a thermostatted temperature: ${row}`);
    }
    // The replicas differ (their own velocities), and ran as SLURM jobs.
    assert.equal(new Set(rows.slice(1).map((row) => row.split(',')[1])).size, 3);
    const status = JSON.parse(cli(['status', 'last', '--json'], { home: env.FLOTILLA_HOME!, env }).stdout) as { tasks: { id: string; last: { jobId: string | null } | null }[] };
    for (const task of status.tasks.filter((task) => task.id.endsWith('/mdrun'))) assert.match(task.last?.jobId ?? '', /^\d+(_\d+)?$/);
  });
});
