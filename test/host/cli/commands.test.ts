import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { spawnSync } from 'node:child_process';
import { CLI, cli, REPO, startCli, tempDir, waitFor, workspace, writeWorkflow } from '../../helpers.ts';

interface Status {
  run: { id: string; state: string };
  counts: Record<string, number>;
  tasks: { id: string; state: string; attempts: number; last?: { exitCode: number | null } }[];
}

describe('flotilla CLI', () => {
  it('run --dry-run prints the local commands and the exact remote submission, and runs and connects nothing', (t) => {
    const { dir, home, file } = workspace(
      t,
      `version: 1
targets:
  hpc: { type: slurm, host: nobody@cluster.invalid, root: /scratch/me/fl, array_limit: 2 }
tasks:
  prep: { run: echo prep > prep.txt }
  sweep:
    target: hpc
    foreach: { i: [1, 2, 3] }
    resources: { cpus: 2, memory: 4G, time: 90m, partition: debug }
    run: echo "{{ i }}" > out.txt
  post: { target: hpc, after: sweep, run: cat out.txt }
`,
    );
    const result = cli(['run', file, '--dry-run'], { home });
    assert.equal(result.code, 0, result.stderr);
    const out = result.stdout;
    assert.match(out, /^# dry run of .* \(5 tasks\) as run \S+: nothing is submitted/m);
    assert.match(out, /^echo prep > prep\.txt$/m);
    assert.match(out, /^#SBATCH --cpus-per-task=2$/m);
    assert.match(out, /^#SBATCH --mem=4096M$/m);
    assert.match(out, /^#SBATCH --time=90$/m);
    assert.match(out, /^#SBATCH --partition=debug$/m);
    assert.match(out, /sbatch --parsable --array=0-2%2 /, 'the sweep as one job array');
    assert.match(out, /--dependency=afterok:\$j_k1:\$j_k2:\$j_k3 --kill-on-invalid-dep=yes/, 'post waits for every element');
    assert.match(out, /'\/scratch\/me\/fl\/(\S+)\/\.flotilla\/\1\/sweep\[0\]\.1\/task\.sh'/);
    assert.equal(existsSync(path.join(dir, 'prep.txt')), false, 'nothing ran');
    assert.equal(cli(['history', '--json'], { home }).stdout.trim(), '[]', 'no run was recorded');
  });

  it('validate: ok with a summary; a bad file gives FILE:LINE:COL, exit 2, and runs nothing', (t) => {
    const dir = tempDir(t);
    const home = path.join(dir, 'home');
    const good = writeWorkflow(dir, 'version: 1\nname: demo\ntasks:\n  a: { run: echo a }\n  b: { run: echo b, after: a }\n', 'good.yaml');
    const ok = cli(['validate', good], { home });
    assert.equal(ok.code, 0);
    assert.match(ok.stdout, /ok — demo: 2 tasks, 1 dependency/);
    const bad = writeWorkflow(dir, 'version: 1\ntasks:\n  a: { run: touch ran, after: [zz] }\n', 'bad.yaml');
    for (const command of ['validate', 'run']) {
      const result = cli([command, bad], { home, cwd: dir });
      assert.equal(result.code, 2);
      assert.match(result.stderr, new RegExp(`${bad.replaceAll('/', '\\/')}:3:32: 'a' runs after 'zz', which does not exist`));
      assert.match(result.stderr, /nothing was run/);
    }
    assert.ok(!existsSync(path.join(dir, 'ran')));
    assert.match(cli(['history'], { home }).stdout, /no runs yet/);
  });

  it('--version prints the version of the package', (t) => {
    const home = tempDir(t);
    const { version } = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V', 'version']) {
      const result = cli([flag], { home });
      assert.equal(result.code, 0);
      assert.equal(result.stdout, `flotilla ${version} (Node.js ${process.version})\n`);
    }
  });

  it('usage errors exit 2 with a message', (t) => {
    const home = tempDir(t);
    const unknown = cli(['frobnicate'], { home });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command 'frobnicate'/);
    const missingRun = cli(['status', 'nope'], { home });
    assert.equal(missingRun.code, 2);
    assert.match(missingRun.stderr, /no run 'nope'/);
    // A value that is meant as YAML and does not parse is not taken as text.
    const file = writeWorkflow(home, 'version: 1\nparams: { x: [0] }\ntasks:\n  a: { run: "echo {{ params.x }}" }\n');
    const badParam = cli(['validate', file, '-p', 'x=[1,2'], { home });
    assert.equal(badParam.code, 2);
    assert.match(badParam.stderr, /^flotilla: -p x: the value "\[1,2" is not valid YAML \(.*\); quote it to pass it as text: -p x="'\[1,2'"/);
    assert.equal(cli(['validate', file, '-p', "x='[1,2'"], { home }).code, 0);
  });

  it('run exits 1 on a failure; status, logs and resubmit --failed take it to success', (t) => {
    const { dir, home, file } = workspace(t, `version: 1
name: fixable
tasks:
  prepare: { run: echo prepared > prepared.txt }
  compute: { retries: 0, after: prepare, run: 'echo "computing"; test -f fix || { echo "no fix yet" >&2; exit 3; }' }
  report: { after: compute, run: cat prepared.txt > report.txt }
`);
    const run = cli(['run', file], { home });
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, /failed compute: exit 3 — stderr: no fix yet — flotilla logs /);
    assert.match(run.stdout, /flotilla resubmit .* --failed/);
    // The run ended without copying the store's log into the database; the next command reads it back.
    assert.ok(statSync(path.join(home, 'store.db-wal')).size > 0);
    const status = JSON.parse(cli(['status', '--json'], { home }).stdout) as Status;
    assert.deepEqual(Object.fromEntries(status.tasks.map((task) => [task.id, task.state])), { prepare: 'succeeded', compute: 'failed', report: 'blocked' });
    assert.equal(status.tasks[1]!.last?.exitCode, 3);
    const errLog = cli(['logs', status.run.id, 'compute', '--stderr'], { home });
    assert.equal(errLog.stderr, 'no fix yet\n');
    const outLog = cli(['logs', status.run.id.slice(0, 17), 'compute', '--stdout'], { home });
    assert.equal(outLog.stdout, 'computing\n');
    writeFileSync(path.join(dir, 'fix'), '');
    const again = cli(['resubmit', status.run.id, '--failed'], { home });
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /resubmitting 1 task/);
    assert.equal(readFileSync(path.join(dir, 'report.txt'), 'utf8'), 'prepared\n');
    const after = JSON.parse(cli(['status', status.run.id, '--json'], { home }).stdout) as Status;
    assert.equal(after.run.state, 'succeeded');
    assert.equal(after.tasks[1]!.attempts, 2);
    const history = JSON.parse(cli(['history', '--json'], { home }).stdout) as { id: string; state: string; name: string }[];
    assert.deepEqual(history.map((row) => [row.id, row.state, row.name]), [[status.run.id, 'succeeded', 'fixable']]);
  });

  it('a run with many failures names the first 20 and says how many more; status lists them all', (t) => {
    const { home, file } = workspace(t, `version: 1
defaults: { retries: 0 }
tasks:
  broken: { foreach: { i: { range: [0, 25] } }, run: "exit 7" }
  fine: { run: "true" }
  later: { after: broken, run: "true" }
`);
    const run = cli(['run', file], { home });
    assert.equal(run.code, 1, run.stderr);
    // The counts, in the order of the states.
    assert.match(run.stdout, /^run \S+ failed in [\d.]+s: 1 succeeded, 25 failed, 1 blocked$/m);
    assert.equal(run.stdout.match(/^ {2}failed broken\[\d+\]: exit 7/gm)?.length, 20);
    assert.match(run.stdout, /… and 5 more failed tasks \(flotilla status \S+ lists them all\)/);
    assert.match(run.stdout, /flotilla resubmit \S+ --failed/);
    const status = cli(['status'], { home });
    assert.equal(status.stdout.match(/^broken\[\d+\] +failed/gm)?.length, 25);
  });

  it('cancel from another process stops a live run; logs --follow streams until the attempt ends', async (t) => {
    const { dir, home, file } = workspace(t, `version: 1
tasks:
  ticker: { run: 'for i in 1 2 3; do echo tick $i; sleep 0.2; done; touch ticked; sleep 60' }
`);
    const running = startCli(['run', file], { home });
    const exited = new Promise<number | null>((resolve) => running.once('exit', resolve));
    let said = '';
    running.stderr!.on('data', (chunk) => (said += chunk));
    await waitFor(() => cli(['status', '--json'], { home }).stdout.includes('"running"'), 'the task to run').catch((error: Error) => {
      const status = cli(['status', '--json'], { home });
      throw new Error(`${error.message}; the run (exit ${running.exitCode}) said: ${said || '(nothing)'}; status said: ${status.stdout || status.stderr}`);
    });
    const runId = (JSON.parse(cli(['status', '--json'], { home }).stdout) as Status).run.id;
    const follow = startCli(['logs', runId, 'ticker', '--follow'], { home });
    let followed = '';
    follow.stdout!.on('data', (chunk) => (followed += chunk));
    const followEnded = new Promise((resolve) => follow.once('exit', resolve));
    await waitFor(() => existsSync(path.join(dir, 'ticked')), 'the ticks');
    const cancel = cli(['cancel', runId], { home });
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.equal(await exited, 1);
    await followEnded;
    assert.equal(followed, 'tick 1\ntick 2\ntick 3\n');
    const status = JSON.parse(cli(['status', runId, '--json'], { home }).stdout) as Status;
    assert.equal(status.run.state, 'cancelled');
    assert.equal(status.tasks[0]!.state, 'cancelled');
  });

  it('run --only names an unknown task: exit 2 with a suggestion', (t) => {
    const dir = tempDir(t);
    const file = writeWorkflow(dir, 'version: 1\ntasks:\n  analyze: { run: echo a }\n');
    const result = cli(['run', file, '--only', 'analyse'], { home: path.join(dir, 'home') });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--only analyse: no such task or group .*did you mean 'analyze'/);
  });

  it('-p overrides params and --explain prints a reason per task', (t) => {
    const dir = tempDir(t);
    const home = path.join(dir, 'home');
    const file = writeWorkflow(dir, 'version: 1\nparams: { n: 2 }\ntasks:\n  count: { foreach: { i: { range: [0, 1] } }, run: "seq {{ params.n }} > n{{ i }}.txt", outputs: "n{{ i }}.txt" }\n');
    assert.equal(cli(['run', file, '-p', 'n=4'], { home }).code, 0);
    assert.equal(readFileSync(path.join(dir, 'n0.txt'), 'utf8'), '1\n2\n3\n4\n');
    const again = cli(['run', file, '-p', 'n=4', '--explain'], { home });
    assert.match(again.stderr, /count\[0\]: cached: result of run /);
    const changed = cli(['run', file, '-p', 'n=5', '--explain'], { home });
    assert.match(changed.stderr, /count\[0\]: runs: command changed since run /);
  });

  it('Ctrl-C cancels the run: running tasks are killed, the rest cancelled, exit 1', async (t) => {
    const { dir, home, file } = workspace(t, `version: 1
tasks:
  slow: { run: 'touch slow.started; sleep 60' }
  later: { run: 'touch later.ran', after: slow }
`);
    const running = startCli(['run', file], { home });
    const exited = new Promise<number | null>((resolve) => running.once('exit', resolve));
    await waitFor(() => existsSync(path.join(dir, 'slow.started')), 'the task to start');
    running.kill('SIGINT');
    assert.equal(await exited, 1);
    assert.ok(!existsSync(path.join(dir, 'later.ran')));
    const status = JSON.parse(cli(['status', '--json'], { home }).stdout) as Status;
    assert.equal(status.run.state, 'cancelled');
    assert.deepEqual(status.tasks.map((task) => task.state), ['cancelled', 'cancelled']);
  });

  it('a run after an edit to the workflow or to a file it includes runs what was edited', (t) => {
    // (The bundled command keeps each file's plan for its next run; every file it read is
    // checked against it first.)
    const flow = (text: string) => `version: 1\ntasks:\n  a: { run: echo ${text} > a.txt }\n  b: { include: inc.yaml, after: a }\n`;
    const { dir, home, file } = workspace(t, flow('one'));
    const include = (text: string) => writeFileSync(path.join(dir, 'inc.yaml'), `version: 1\ntasks:\n  c: { run: echo ${text} > c.txt }\n`);
    include('first');
    const run = () => {
      const result = cli(['run', file, '--quiet', '--fresh'], { home, cwd: dir });
      assert.equal(result.code, 0, result.stderr);
      return ['a.txt', 'c.txt'].map((name) => readFileSync(path.join(dir, name), 'utf8').trim()).join(' ');
    };
    assert.equal(run(), 'one first');
    assert.equal(run(), 'one first');
    writeFileSync(file, flow('two'));
    assert.equal(run(), 'two first');
    include('second');
    assert.equal(run(), 'two second');
  });

  it('a second run of a workflow that runs in the same folder is refused, naming the run and its process; a killed one holds nothing up', async (t) => {
    const { dir, home, file } = workspace(t, `version: 1
tasks:
  slow: { run: 'echo ran >> ledger; touch slow.started; sleep 60' }
`);
    const first = startCli(['run', file], { home });
    const exited = new Promise<number | null>((resolve) => first.once('exit', resolve));
    await waitFor(() => existsSync(path.join(dir, 'slow.started')), 'the first run to start its task');
    const second = cli(['run', file], { home });
    assert.equal(second.code, 2, second.stderr);
    const runId = (JSON.parse(cli(['status', '--json'], { home }).stdout) as Status).run.id;
    assert.match(second.stderr, new RegExp(`is already running in this folder: run ${runId}, driven by process ${first.pid} on `));
    assert.equal(readFileSync(path.join(dir, 'ledger'), 'utf8'), 'ran\n', 'the task ran once');
    // Killed: its task goes on, so a new run is refused still, naming the task; once it is
    // stopped, a new run may start.
    first.kill('SIGKILL');
    await exited;
    writeFileSync(file, "version: 1\ntasks:\n  slow: { run: 'echo again >> ledger' }\n");
    const orphaned = cli(['run', file], { home });
    assert.equal(orphaned.code, 2, orphaned.stderr);
    assert.match(orphaned.stderr, new RegExp(`is still running in this folder: run ${runId} lost its process, but its task 'slow' still runs here \\(process \\d+\\); 'flotilla resume ${runId}' watches it to the end, 'flotilla cancel ${runId}' stops it`));
    assert.equal(cli(['cancel', runId], { home }).code, 0);
    const third = cli(['run', file], { home });
    assert.equal(third.code, 0, third.stderr);
    assert.equal(readFileSync(path.join(dir, 'ledger'), 'utf8'), 'ran\nagain\n');
  });

  it('the same workflow reached through a symbolic link is the same workflow: its second run is refused', async (t) => {
    const { dir, home, file } = workspace(t, `version: 1
tasks:
  slow: { run: 'touch slow.started; sleep 60' }
`);
    const link = path.join(path.dirname(dir), `${path.basename(dir)}-link`);
    symlinkSync(dir, link);
    t.after(() => rmSync(link));
    const first = startCli(['run', file], { home });
    t.after(() => void cli(['cancel', 'last'], { home }));
    await waitFor(() => existsSync(path.join(dir, 'slow.started')), 'the first run to start its task');
    const second = cli(['run', path.join(link, path.basename(file))], { home });
    assert.equal(second.code, 2, second.stderr);
    assert.match(second.stderr, new RegExp(`is already running in this folder: run \\S+, driven by process ${first.pid} on `));
  });

  it('resuming a run of a workflow while another run of it is live in the same folder is refused too', async (t) => {
    const { dir, home, file } = workspace(t, `version: 1
tasks:
  slow: { run: 'touch started.$$; sleep 60' }
`);
    const started = () => readdirSync(dir).filter((name) => name.startsWith('started.')).length;
    const first = startCli(['run', file], { home });
    await waitFor(() => started() === 1, 'the first run to start');
    const firstId = (JSON.parse(cli(['status', '--json'], { home }).stdout) as Status).run.id;
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    assert.equal(cli(['cancel', firstId], { home }).code, 0);
    const second = startCli(['run', file], { home });
    t.after(() => second.kill('SIGKILL'));
    await waitFor(() => started() === 2, 'the second run to start');
    const secondId = (JSON.parse(cli(['status', '--json'], { home }).stdout) as Status).run.id;
    const resubmit = cli(['resubmit', firstId, 'slow'], { home });
    assert.equal(resubmit.code, 2, resubmit.stdout + resubmit.stderr);
    assert.match(resubmit.stderr, new RegExp(`already running in this folder: run ${secondId}`));
    assert.equal(started(), 2, 'nothing more ran');
    assert.equal(cli(['cancel', secondId], { home }).code, 0);
  });
  it('--max-parallel holds however the run is driven: at most that many tasks at once', (t) => {
    // Each task holds a lock folder while it runs: two at once would collide (exit 9).
    const { home, file } = workspace(t, `version: 1
defaults: { retries: 0 }
tasks:
  a: { run: 'mkdir lock || exit 9; sleep 0.4; rmdir lock' }
  b: { run: 'mkdir lock || exit 9; sleep 0.4; rmdir lock' }
  c: { run: 'mkdir lock || exit 9; sleep 0.4; rmdir lock' }
`);
    const run = cli(['run', file, '--max-parallel', '1'], { home });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /succeeded in .*: 3 succeeded/);
  });

  it('a broken ssh_config stops only what reaches a host, with its place and exit 2', (t) => {
    const { dir, home, file } = workspace(t, 'version: 1\ntasks:\n  a: { run: echo a }\n');
    const config = path.join(dir, 'ssh_config');
    writeFileSync(config, 'Host hpc\n  Weird\n');
    const env = { FLOTILLA_SSH_CONFIG: config };
    const local = cli(['run', file], { home, env });
    assert.equal(local.code, 0, local.stderr);
    assert.equal(cli(['logs', 'last', 'a'], { home, env }).stdout, 'a\n');
    const remote = writeWorkflow(dir, 'version: 1\ntargets: { hpc: { type: ssh, host: hpc } }\ntasks:\n  r: { target: hpc, run: echo r }\n', 'remote.yaml');
    const refused = cli(['run', remote], { home, env });
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, new RegExp(`^flotilla: ${config.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2:1: 'Weird' has no value`));
    assert.doesNotMatch(refused.stderr, /\n\s+at /, 'no stack trace');
  });

  it('logs gives the bytes a task wrote, whatever their encoding', (t) => {
    const { home, file } = workspace(t, `version: 1
tasks:
  latin: { run: 'printf "caf\\351 \\303\\251t\\303\\251\\n"; printf "\\377\\376" >&2' }
`);
    assert.equal(cli(['run', file], { home }).code, 0);
    const out = spawnSync(process.execPath, [CLI, 'logs', 'last', 'latin', '--stdout'], { env: { ...process.env, FLOTILLA_HOME: home } });
    assert.deepEqual([...out.stdout], [...Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0xc3, 0xa9, 0x74, 0xc3, 0xa9, 0x0a])]);
    const err = spawnSync(process.execPath, [CLI, 'logs', 'last', 'latin', '--stderr'], { env: { ...process.env, FLOTILLA_HOME: home } });
    assert.deepEqual([...err.stderr], [0xff, 0xfe]);
  });
});
