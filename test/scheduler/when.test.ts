/**
 * Conditions as a run decides them (core/scheduler/conditions.ts): once a task's dependencies
 * have ended, its `when` runs it or skips it, on the values its upstream published; skipping
 * carries downstream unless a task's own `when` decides; a condition that cannot be decided
 * fails its task. Each decision is a committed move, shown with what decided it.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cli, startCli, waitFor, workspace } from '../helpers.ts';

interface Status {
  run: { state: string };
  counts: Record<string, number>;
  tasks: { id: string; state: string; reason: string | null; attempts: number }[];
}

function status(home: string): Status {
  return JSON.parse(cli(['status', '--json'], { home }).stdout) as Status;
}

describe('when, as a run decides it', () => {
  it('runs or skips each task on what its upstream published; skipping carries downstream unless a task decides for itself', (t) => {
    const { dir, home, file } = workspace(t, `version: 1
params: { misfit_only: true }
defaults: { retries: 0 }
tasks:
  check: { run: 'echo "done=false" >> "$FLOTILLA_VALUES"; echo "misfit=0.5" >> "$FLOTILLA_VALUES"' }
  more: { after: check, when: "not tasks.check.values.done", run: 'touch more.ran' }
  adjoint: { when: "not params.misfit_only", run: 'touch adjoint.ran' }
  gradient: { after: adjoint, run: 'touch gradient.ran' }
  report: { after: [adjoint], when: "tasks.adjoint.skipped and tasks.check.values.misfit < 1", run: 'touch report.ran' }
  rows:
    foreach: { w: [1, 2, 3] }
    when: "w != 2"
    tasks:
      row: { run: 'touch row-{{ w }}.ran' }
`);
    const run = cli(['run', file], { home });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /succeeded in .*: 5 succeeded, 3 skipped/);
    const states = Object.fromEntries(status(home).tasks.map((task) => [task.id, task.state]));
    assert.deepEqual(states, { check: 'succeeded', more: 'succeeded', adjoint: 'skipped', gradient: 'skipped', report: 'succeeded', 'rows[0]/row': 'succeeded', 'rows[1]/row': 'skipped', 'rows[2]/row': 'succeeded' });
    for (const ran of ['more', 'report', 'row-1', 'row-3']) assert.ok(existsSync(path.join(dir, `${ran}.ran`)), ran);
    for (const skipped of ['adjoint', 'gradient', 'row-2']) assert.ok(!existsSync(path.join(dir, `${skipped}.ran`)), skipped);
    const reasons = Object.fromEntries(status(home).tasks.map((task) => [task.id, task.reason]));
    assert.equal(reasons.adjoint, 'when not params.misfit_only is false (params.misfit_only = true)');
    assert.equal(reasons.gradient, 'upstream adjoint skipped');
    assert.equal(reasons['rows[1]/row'], 'when w != 2 is false (w = 2)');
  });

  it('a condition that cannot be decided fails its task, saying why, and blocks what follows', (t) => {
    const { home, file } = workspace(t, `version: 1
defaults: { retries: 0 }
tasks:
  check: { run: 'echo "done=maybe" >> "$FLOTILLA_VALUES"' }
  decide: { when: "tasks.check.values.done", run: 'true' }
  missing: { when: "tasks.check.values.misfit > 1", run: 'true' }
  after: { after: decide, run: 'true' }
`);
    const run = cli(['run', file], { home });
    assert.equal(run.code, 1, run.stdout + run.stderr);
    const tasks = Object.fromEntries(status(home).tasks.map((task) => [task.id, task]));
    assert.equal(tasks.decide!.state, 'failed');
    assert.equal(tasks.decide!.reason, 'when tasks.check.values.done: when needs true or false, not "maybe"');
    assert.equal(tasks.decide!.attempts, 0, 'nothing ran');
    assert.equal(tasks.missing!.reason, "when tasks.check.values.misfit > 1: tasks.check.values.misfit: check published no value 'misfit' (it published done)");
    assert.equal(tasks.after!.state, 'blocked');
    // Nothing of it ran: the summary sends nobody to its (absent) logs.
    assert.match(run.stdout, /failed decide: when tasks\.check\.values\.done: when needs true or false, not "maybe"\n/);
    assert.doesNotMatch(run.stdout, /flotilla logs \S+ 'decide'/);
  });

  it('a resubmit decides again with what the upstream publishes now', (t) => {
    const { dir, home, file } = workspace(t, `version: 1
defaults: { retries: 0 }
tasks:
  check: { run: 'if [ -e go ]; then echo "go=true"; else echo "go=false"; fi >> "$FLOTILLA_VALUES"' }
  work: { when: "tasks.check.values.go", run: 'touch work.ran' }
  next: { after: work, run: 'touch next.ran' }
`);
    assert.equal(cli(['run', file], { home }).code, 0);
    assert.deepEqual(status(home).tasks.map((task) => task.state), ['succeeded', 'skipped', 'skipped']);
    // The next attempt of `check` finds this and publishes go=true.
    writeFileSync(path.join(dir, 'go'), '');
    const again = cli(['resubmit', 'last', 'check'], { home });
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.deepEqual(status(home).tasks.map((task) => task.state), ['succeeded', 'succeeded', 'succeeded']);
    assert.ok(existsSync(path.join(dir, 'next.ran')));
  });
  it('--explain says each decision with the values it read', (t) => {
    const { home, file } = workspace(t, `version: 1
params: { misfit_only: true }
tasks:
  check: { run: 'echo "done=false" >> "$FLOTILLA_VALUES"' }
  more: { when: "not tasks.check.values.done", run: 'true' }
  adjoint: { when: "not params.misfit_only", run: 'true' }
`);
    const run = cli(['run', file, '--explain'], { home });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /^more: when not tasks\.check\.values\.done is true \(tasks\.check\.values\.done = false\)$/m);
    assert.match(run.stderr, /^adjoint: when not params\.misfit_only is false \(params\.misfit_only = true\)$/m);
  });
  it('values a local attempt published while Flotilla was dead are read when the run resumes', async (t) => {
    const { dir, home, file } = workspace(t, `version: 1
defaults: { retries: 0 }
tasks:
  slow: { run: 'touch started; sleep 2; echo "x=1" >> "$FLOTILLA_VALUES"' }
  next: { when: "tasks.slow.values.x == 1", run: 'touch next.ran' }
`);
    const first = startCli(['run', file], { home });
    await waitFor(() => existsSync(path.join(dir, 'started')), 'the task to start');
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    // The task ends (and publishes) while nothing watches it.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const resumed = cli(['resume', 'last'], { home });
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
    assert.ok(existsSync(path.join(dir, 'next.ran')));
  });

  it('--only keeps what a condition reads; a dry run shows conditions, and never chains a task that has one', (t) => {
    const { dir, home, file } = workspace(t, `version: 1
targets: { hpc: { type: slurm, host: nobody@cluster.invalid, root: /scratch/fl } }
tasks:
  check: { target: hpc, run: 'echo "go=true" >> "$FLOTILLA_VALUES"' }
  work: { target: hpc, after: check, when: "tasks.check.values.go", run: 'true' }
  plain: { target: hpc, after: check, run: 'true' }
  here: { when: "tasks.check.values.go", run: 'true' }
`);
    const only = cli(['run', file, '--only', 'work'], { home });
    assert.equal(only.code, 2, only.stderr);
    assert.match(only.stderr, /--only leaves out check, whose values work reads \(when tasks\.check\.values\.go\): select it too, or add --upstream/);
    const dry = cli(['run', file, '--dry-run'], { home, cwd: dir });
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^# here \(after check, when tasks\.check\.values\.go\) in /m);
    assert.match(dry.stdout, /^# work: submitted once check succeeded and when tasks\.check\.values\.go holds$/m);
    assert.match(dry.stdout, /--dependency=afterok:\$j_k1 /, 'a plain dependent is still chained');
    assert.equal((dry.stdout.match(/--dependency=afterok/g) ?? []).length, 1, 'only the task without a condition');
  });

  it('a task after a skipped one, with its own condition, is reused from the cache on a second run', (t) => {
    const { home, file } = workspace(t, `version: 1
tasks:
  maybe: { when: "false", run: 'true' }
  after: { after: maybe, when: "true", outputs: [out.txt], run: 'echo done > out.txt' }
`);
    assert.equal(cli(['run', file], { home }).code, 0);
    const second = cli(['run', file], { home });
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /succeeded in .*: 1 cached, 1 skipped/);
  });
});
