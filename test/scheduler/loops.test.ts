/**
 * Loops (`repeat` on a group) while a run goes: iterations made one after another, `until`
 * judged on each finished iteration's values, `max` and `on_max`, a failure that stops the loop
 * and a resubmit that continues it, loops in loops, the cache, and kill -9 at iteration ends.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadWorkflow } from '../../core/model/load.ts';
import { selectTasks } from '../../core/model/select.ts';
import { Runner } from '../../core/scheduler/runner.ts';
import type { RunnerEvent } from '../../core/scheduler/runner.ts';
import { createRun } from '../../core/scheduler/runs.ts';
import { Store } from '../../core/store/store.ts';
import { cli, killHard, startCli, tempDir, waitFor, workspace, writeWorkflow } from '../helpers.ts';

/** Each task appends its id to a ledger: what really ran, in order. */
function ledgerOf(dir: string): () => string[] {
  const file = path.join(dir, 'ledger');
  return () => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : []);
}

async function runFlow(t: Parameters<typeof tempDir>[0], text: string, params: Record<string, unknown> = {}) {
  const dir = tempDir(t);
  const store = Store.open(path.join(dir, 'home'));
  t.after(() => store.close());
  const plan = loadWorkflow(writeWorkflow(dir, text.replaceAll('LEDGER', JSON.stringify(path.join(dir, 'ledger')))), { params });
  const runId = createRun(store, plan, {});
  const events: RunnerEvent[] = [];
  const state = await new Runner(store, runId, { onEvent: (event) => events.push(event) }).drive();
  const tasks = new Map(store.taskStates(runId).map((task) => [task.id, task]));
  return { dir, store, runId, state, tasks, events, ledger: ledgerOf(dir)(), plan };
}

const COUNTING = `version: 1
params: { target: 3 }
defaults: { retries: 0 }
tasks:
  prepare: { run: 'echo prepare >> LEDGER; echo "x=1" >> "$FLOTILLA_VALUES"' }
  md:
    after: [prepare]
    repeat: { until: "tasks.check.values.n >= params.target", max: 10 }
    cwd: "segment-{{ repeat.index }}"
    tasks:
      run: { run: 'echo "$FLOTILLA_TASK_ID {{ repeat.previous }}" >> LEDGER; pwd > where' }
      check: { after: [run], when: "tasks.prepare.values.x == 1", run: 'echo "$FLOTILLA_TASK_ID" >> LEDGER; echo "n={{ repeat.index }}" >> "$FLOTILLA_VALUES"' }
  after_md: { after: [md], run: 'echo after_md >> LEDGER' }
`;

describe('a loop (repeat)', () => {
  it('runs iterations one after another until its condition holds on the last one; tasks after it run after the last', async (t) => {
    const { state, tasks, ledger, dir, events } = await runFlow(t, COUNTING);
    assert.equal(state, 'succeeded');
    assert.deepEqual(ledger, ['prepare', 'md#0/run null', 'md#0/check', 'md#1/run 0', 'md#1/check', 'md#2/run 1', 'md#2/check', 'md#3/run 2', 'md#3/check', 'after_md']);
    // Each iteration in its own folder, as `cwd` says with repeat.index.
    for (let k = 0; k < 4; k++) assert.equal(readFileSync(path.join(dir, `segment-${k}`, 'where'), 'utf8').trim(), path.join(dir, `segment-${k}`));
    const md = tasks.get('md')!;
    assert.equal(md.state, 'succeeded');
    assert.equal(md.attempts, 0);
    assert.match(md.reason ?? '', /until tasks\.check\.values\.n >= params\.target is true \(tasks\.check\.values\.n = 3, params\.target = 3\) after 4 iterations/);
    // Each decision is said with the values it read.
    const decisions = events.filter((event) => event.type === 'grew').map((event) => event.type === 'grew' && event.reason);
    assert.deepEqual(decisions, [
      'md: iteration 0',
      'md: until tasks.check.values.n >= params.target is false (tasks.check.values.n = 0, params.target = 3): iteration 1',
      'md: until tasks.check.values.n >= params.target is false (tasks.check.values.n = 1, params.target = 3): iteration 2',
      'md: until tasks.check.values.n >= params.target is false (tasks.check.values.n = 2, params.target = 3): iteration 3',
    ]);
  });

  it('always runs the first iteration, and judges until only once the whole iteration succeeded', async (t) => {
    // `until` is true from the start; `slow` finishes long after `check` published.
    const { ledger, tasks } = await runFlow(t, `version: 1
defaults: { retries: 0 }
tasks:
  md:
    repeat: { until: "tasks.check.values.stop", max: 5 }
    tasks:
      check: { run: 'echo check >> LEDGER; echo "stop=true" >> "$FLOTILLA_VALUES"' }
      slow: { run: 'sleep 0.4; echo slow >> LEDGER' }
  next: { after: md, run: 'echo next >> LEDGER' }
`);
    assert.deepEqual(ledger, ['check', 'slow', 'next']);
    assert.equal(tasks.get('md')!.state, 'succeeded');
    assert.ok(!tasks.has('md#1/check'));
  });

  it('stops at max: failing by default (what follows is blocked), or succeeding with on_max: succeed', async (t) => {
    const flow = (onMax: string) => `version: 1
defaults: { retries: 0 }
tasks:
  md:
    repeat: { until: "false", max: 3${onMax} }
    tasks: { step: { run: 'echo "$FLOTILLA_TASK_ID" >> LEDGER' } }
  next: { after: md, run: 'echo next >> LEDGER' }
`;
    const failing = await runFlow(t, flow(''));
    assert.equal(failing.state, 'failed');
    assert.deepEqual(failing.ledger, ['md#0/step', 'md#1/step', 'md#2/step']);
    assert.equal(failing.tasks.get('md')!.state, 'failed');
    assert.match(failing.tasks.get('md')!.reason ?? '', /until false is false after 3 iterations, the most 'max' allows \(on_max: fail\)/);
    assert.equal(failing.tasks.get('next')!.state, 'blocked');
    const succeeding = await runFlow(t, flow(', on_max: succeed'));
    assert.equal(succeeding.state, 'succeeded');
    assert.deepEqual(succeeding.ledger, ['md#0/step', 'md#1/step', 'md#2/step', 'next']);
  });

  it('a failed task stops the loop as a failed task stops a group; resubmitting it continues the loop from that iteration', async (t) => {
    const dir = tempDir(t);
    const store = Store.open(path.join(dir, 'home'));
    t.after(() => store.close());
    const flag = path.join(dir, 'fixed');
    const plan = loadWorkflow(writeWorkflow(dir, `version: 1
defaults: { retries: 0 }
tasks:
  md:
    repeat: { until: "tasks.step.values.k >= 3", max: 10 }
    tasks:
      step: { run: 'echo "$FLOTILLA_TASK_ID" >> ledger; if [ {{ repeat.index }} = 2 ] && [ ! -e ${JSON.stringify(flag)} ]; then exit 4; fi; echo "k={{ repeat.index }}" >> "$FLOTILLA_VALUES"' }
  next: { after: md, run: 'echo next >> ledger' }
`));
    const runId = createRun(store, plan, {});
    assert.equal(await new Runner(store, runId).drive(), 'failed');
    const states = () => new Map(store.taskStates(runId).map((task) => [task.id, task.state]));
    assert.equal(states().get('md#2/step'), 'failed');
    assert.equal(states().get('md'), 'blocked');
    assert.equal(states().get('next'), 'blocked');
    assert.ok(!states().has('md#3/step'));
    writeFileSync(flag, '');
    store.addRequest(runId, 'resubmit', { tasks: ['md#2/step'] }, Date.now());
    assert.equal(await new Runner(store, runId).drive(), 'succeeded');
    assert.deepEqual(ledgerOf(dir)(), ['md#0/step', 'md#1/step', 'md#2/step', 'md#2/step', 'md#3/step', 'next']);
    assert.equal(states().get('md'), 'succeeded');
  });

  it('loops nest: an inner loop reads the outer index as repeat.outer.index, and each outer iteration runs the inner loop anew', async (t) => {
    const { ledger, state, tasks } = await runFlow(t, `version: 1
defaults: { retries: 0 }
tasks:
  outer:
    repeat: { until: "repeat.index >= 1", max: 5 }
    tasks:
      inner:
        repeat: { until: "tasks.step.values.j >= repeat.outer.index + 1", max: 5 }
        tasks:
          step: { run: 'echo "$FLOTILLA_TASK_ID {{ repeat.outer.index }}.{{ repeat.index }}" >> LEDGER; echo "j={{ repeat.index }}" >> "$FLOTILLA_VALUES"' }
      sum: { after: inner, run: 'echo "$FLOTILLA_TASK_ID" >> LEDGER' }
`);
    assert.equal(state, 'succeeded');
    assert.deepEqual(ledger, [
      'outer#0/inner#0/step 0.0', 'outer#0/inner#1/step 0.1', 'outer#0/sum',
      'outer#1/inner#0/step 1.0', 'outer#1/inner#1/step 1.1', 'outer#1/inner#2/step 1.2', 'outer#1/sum',
    ]);
    assert.equal(tasks.get('outer#1/inner')!.state, 'succeeded');
  });

  it('caches each iteration by its own index and inputs: the same command in two iterations is two results, each reused on the next run', async (t) => {
    const dir = tempDir(t);
    const store = Store.open(path.join(dir, 'home'));
    t.after(() => store.close());
    const file = writeWorkflow(dir, `version: 1
defaults: { retries: 0 }
tasks:
  md:
    repeat: { until: "repeat.index >= 1", max: 3 }
    tasks:
      same: { run: 'echo same >> ../ledger; echo same > out', cwd: 'it-{{ repeat.index }}', outputs: [out] }
`);
    for (let round = 0; round < 2; round++) {
      const runId = createRun(store, loadWorkflow(file), {});
      assert.equal(await new Runner(store, runId).drive(), 'succeeded');
      const states = new Map(store.taskStates(runId).map((task) => [task.id, task.state]));
      const expected = round === 0 ? 'succeeded' : 'cached';
      assert.deepEqual([states.get('md#0/same'), states.get('md#1/same')], [expected, expected]);
    }
    assert.deepEqual(ledgerOf(dir)(), ['same', 'same']);
  });

  it('a condition inside the loop reads a task outside it; a loop after a skipped task is skipped, its iterations never made', async (t) => {
    const { ledger, tasks } = await runFlow(t, `version: 1
params: { misfit_only: true }
defaults: { retries: 0 }
tasks:
  gate: { run: 'echo gate >> LEDGER', when: "not params.misfit_only" }
  md:
    after: gate
    repeat: { until: "true", max: 2 }
    tasks: { step: { run: 'echo step >> LEDGER' } }
  other:
    repeat: { until: "true", max: 2 }
    tasks: { step: { run: 'echo other >> LEDGER', when: "params.misfit_only" } }
`);
    assert.deepEqual(ledger, ['other']);
    assert.equal(tasks.get('md')!.state, 'skipped');
    assert.ok(![...tasks.keys()].some((id) => id.startsWith('md#')));
    assert.equal(tasks.get('other')!.state, 'succeeded');
  });
});

it('a task skipped at the end of an iteration does not skip the next iteration (it runs after it only in order)', async (t) => {
  const { state, ledger, tasks } = await runFlow(t, `version: 1
defaults: { retries: 0 }
tasks:
  md:
    repeat: { until: "repeat.index >= 2", max: 5 }
    tasks:
      step: { run: 'echo "$FLOTILLA_TASK_ID" >> LEDGER' }
      extra: { after: step, when: "repeat.index == 1", run: 'echo "$FLOTILLA_TASK_ID" >> LEDGER' }
      tail: { after: extra, run: 'echo "$FLOTILLA_TASK_ID" >> LEDGER' }
`);
  assert.equal(state, 'succeeded');
  // Inside an iteration a skip carries on (tail after a skipped extra); across iterations it does not.
  assert.deepEqual(ledger, ['md#0/step', 'md#1/step', 'md#1/extra', 'md#1/tail', 'md#2/step']);
  assert.deepEqual(['md#0/tail', 'md#2/tail'].map((id) => tasks.get(id)!.state), ['skipped', 'skipped']);
});

describe('a loop, checked when the workflow loads', () => {
  const load = (t: Parameters<typeof tempDir>[0], text: string) => () => loadWorkflow(writeWorkflow(tempDir(t), text));
  const group = (repeat: string, tasks = "{ step: { run: 'true' } }", extra = '') => `version: 1\ntasks:\n  prep: { run: 'true' }\n  md:\n    repeat: ${repeat}\n${extra}    tasks: ${tasks}\n`;

  it('needs max and until, and says where', (t) => {
    assert.throws(load(t, group('{ until: "true" }')), /workflow\.yaml:5:13: 'repeat' needs 'max'/);
    assert.throws(load(t, group('{ max: 3 }')), /workflow\.yaml:5:13: 'repeat' needs 'until'/);
    assert.throws(load(t, group('{ until: "true", max: 0 }')), /5:35: 'max' must be a whole number from 1 to 250,000, not 0/);
    assert.throws(load(t, group('{ until: "true", max: 2, on_max: maybe }')), /'on_max' must be fail \(the default/);
  });

  it('checks until like a when: syntax, unknown names, values of a sweep', (t) => {
    assert.throws(load(t, group('{ until: "tasks.stepp.values.x", max: 3 }')), /until reads the values of 'stepp', which does not exist \(did you mean 'step'\?\)|'md' reads the values of 'stepp', which does not exist/);
    assert.throws(load(t, group('{ until: "tasks.step.values.x ==", max: 3 }')), /5:\d+: until: /);
    assert.throws(load(t, group('{ until: "repeat.next", max: 3 }')), /a loop gives repeat\.index, repeat\.previous/);
    assert.throws(load(t, group('{ until: "tasks.step.values.x", max: 3 }', "{ step: { foreach: { i: [1, 2] }, run: 'true' } }")), /until reads 'step', a sweep of 2 instances/);
  });

  it('refuses an include in a loop, a task inside naming the loop, repeat.index outside a loop, and # in names', (t) => {
    assert.throws(load(t, group('{ until: "true", max: 3 }', '{}', '    include: other.yaml\n')), /cannot 'include' a file/);
    assert.throws(load(t, group('{ until: "true", max: 3 }', "{ step: { after: md, run: 'true' } }")), /cannot run after 'md': it is inside 'md'/);
    assert.throws(load(t, "version: 1\ntasks:\n  a: { run: 'echo {{ repeat.index }}' }\n"), /undefined template variable 'repeat.index'/);
    assert.throws(load(t, "version: 1\ntasks:\n  'a#1': { run: 'true' }\n"), /must not contain '\/', '\[', '\]' or '#'/);
  });

  it('refuses reading a loop as a task, naming a task inside it from outside, and a max a run cannot hold', (t) => {
    assert.throws(load(t, group('{ until: "true", max: 3 }', "{ step: { run: 'true' } }").replace("  prep: { run: 'true' }\n", "  prep: { run: 'true', after: md, when: 'tasks.md.values.done' }\n")), /when reads 'md', a loop, which publishes no values: read them from a task after it that does/);
    assert.throws(load(t, group('{ until: "true", max: 3 }', "{ step: { run: 'true' } }").replace("  prep: { run: 'true' }\n", "  prep: { run: 'true', when: \"tasks['md/step'].values.done\" }\n")), /'md' is a loop, whose tasks are made while the run goes/);
    assert.throws(load(t, group('{ until: "false", max: 200000 }', "{ a: { run: 'true' }, b: { run: 'true' } }")), /5:\d+: max 200,000: 2 tasks an iteration, a run holds at most 125,000 iterations \(250,000 tasks\)/);
  });

  it('--only keeps what a loop reads outside itself, or says so', (t) => {
    const plan = loadWorkflow(writeWorkflow(tempDir(t), "version: 1\ntasks:\n  prep: { run: 'true' }\n  md:\n    repeat: { until: 'true', max: 2 }\n    tasks: { step: { run: 'true', when: 'tasks.prep.values.go' } }\n"));
    assert.throws(() => selectTasks(plan, { only: ['md'] }), /--only leaves out prep, whose values the loop md reads: select it too, or add --upstream/);
    assert.deepEqual(selectTasks(plan, { only: ['md'], upstream: true }).tasks.map((task) => task.id), ['prep', 'md']);
  });

  it('the loop is one task in the plan; tasks after the group run after it, and it runs after what its body names outside', (t) => {
    const plan = loadWorkflow(writeWorkflow(tempDir(t), group('{ until: "tasks.step.values.done", max: 3 }', "{ step: { after: prep, run: 'true' } }").replace("  prep: { run: 'true' }\n", "  prep: { run: 'true' }\n  last: { after: md, run: 'true' }\n")));
    assert.deepEqual(plan.tasks.map((task) => [task.id, task.after]), [['prep', []], ['md', ['prep']], ['last', ['md']]]);
    assert.equal(plan.tasks[1]!.loop?.max, 3);
  });
});


/** A loop whose tasks write their ids to `ledger` as they run, until its iteration `last`. */
function ledgerLoop(last: number, work = ''): string {
  return `version: 1
defaults: { retries: 0 }
tasks:
  md:
    repeat: { until: "tasks.check.values.k >= ${last}", max: 20 }
    tasks:
      work: { run: '${work}echo "$FLOTILLA_TASK_ID" >> ledger' }
      check: { after: work, run: 'echo "k={{ repeat.index }}" >> "$FLOTILLA_VALUES"; echo "$FLOTILLA_TASK_ID" >> ledger' }
`;
}

it('kill -9 of the core as iterations end, then resume: every iteration runs once, none is skipped, the loop ends where its condition says', async (t) => {
  const { dir, home, file } = workspace(t, ledgerLoop(5, 'sleep 0.2; '));
  const ledger = ledgerOf(dir);

  // Killed right as a decision task has written its value (its end may or may not be recorded yet).
  for (const k of [0, 2, 3]) {
    const child = startCli(ledger().length === 0 ? ['run', file] : ['resume', 'last'], { home });
    await waitFor(() => ledger().includes(`md#${k}/check`), `iteration ${k}'s check`);
    await killHard(child);
  }
  // Nobody drives it now: the loop waits (it is not shown running).
  assert.match(cli(['status', 'last'], { home }).stdout, /^md\s+waiting\s+iteration \d+\/≤20/m);
  const last = cli(['resume', 'last'], { home });
  assert.equal(last.code, 0, last.stdout + last.stderr);
  const expected = Array.from({ length: 6 }, (_, k) => [`md#${k}/work`, `md#${k}/check`]).flat();
  assert.deepEqual(ledger(), expected);
  const status = JSON.parse(cli(['status', 'last', '--json'], { home }).stdout) as { tasks: { id: string; state: string }[] };
  assert.deepEqual(status.tasks.map((task) => task.id).sort(), ['md', ...expected].sort());
});

it('kill -9 right after a decision made the next iteration, before anything of it was handed out, then resume: that iteration once', (t) => {
  const { dir, home, file } = workspace(t, ledgerLoop(2));
  // Killed after each decision that made an iteration (iteration 0's too), resumed each time.
  for (const [k, command] of [[0, ['run', file]], [1, ['resume', 'last']], [2, ['resume', 'last']]] as const) {
    const crashed = cli([...command], { home, env: { FLOTILLA_FAILPOINT: 'after-iteration-made' } });
    assert.equal(crashed.signal ?? crashed.code, 'SIGKILL', crashed.stderr);
    assert.deepEqual(ledgerOf(dir)(), Array.from({ length: k }, (_, j) => [`md#${j}/work`, `md#${j}/check`]).flat());
    const made = JSON.parse(cli(['status', 'last', '--json'], { home }).stdout) as { tasks: { id: string; state: string }[] };
    // Recorded (a task of it may be recorded as submitted: it is handed out only after the commit), and nothing of it ran.
    const states = made.tasks.filter((task) => task.id.startsWith(`md#${k}/`)).map((task) => task.state);
    assert.ok(states.length === 2 && states.every((state) => ['waiting', 'ready', 'submitted'].includes(state)), `iteration ${k}: ${states.join(', ')}`);
  }
  const resumed = cli(['resume', 'last'], { home, env: { FLOTILLA_FAILPOINT: 'after-iteration-made' } });
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  assert.deepEqual(ledgerOf(dir)(), Array.from({ length: 3 }, (_, k) => [`md#${k}/work`, `md#${k}/check`]).flat());
});

describe('a loop in the CLI', () => {
  it('status prints a loop as one line; a resubmit that would discard later iterations is refused, one of the last iteration goes on', (t) => {
    const { dir, home, file } = workspace(t, `version: 1
defaults: { retries: 0 }
tasks:
  md:
    repeat: { until: "tasks.step.values.k >= 2", max: 4 }
    tasks:
      step: { run: 'echo "k={{ repeat.index }}" >> "$FLOTILLA_VALUES"; echo "$FLOTILLA_TASK_ID" >> ledger' }
      side: { run: 'true' }
  next: { after: md, run: 'echo next >> ledger' }
`);
    const dry = cli(['run', '--dry-run', file], { home }).stdout;
    assert.match(dry, /^# md: a loop, iterations until tasks\.step\.values\.k >= 2 holds after one, at most 4 \(on_max: fail\); it advances only while Flotilla is connected: task md#0\/step runs on this machine; iteration 0 would run:\n#   md#0\/step in \S+\n#     echo "k=0" >> "\$FLOTILLA_VALUES"; echo "\$FLOTILLA_TASK_ID" >> ledger\n#   md#0\/side in/m);
    assert.match(cli(['validate', file], { home }).stdout, /^  loop md \(at most 4 iterations\): advances only while Flotilla is connected: task md#0\/step runs on this machine$/m);
    assert.equal(cli(['run', file], { home }).code, 0);
    const status = cli(['status', 'last'], { home }).stdout;
    assert.match(status, /^md\s+succeeded\s+iteration 3\/≤4  until tasks\.step\.values\.k >= 2 is true \(tasks\.step\.values\.k = 2\) after 3 iterations$/m);
    assert.doesNotMatch(status, /^md#/m);
    assert.match(status, /\(6 done tasks of loop iterations not listed: flotilla status \S+ --json lists every task\)/);
    const json = JSON.parse(cli(['status', 'last', '--json'], { home }).stdout) as { tasks: { id: string; loop?: { iterations: number; max: number } }[] };
    assert.deepEqual(json.tasks.find((task) => task.id === 'md')!.loop, { iterations: 3, max: 4 });
    assert.equal(json.tasks.length, 8);

    // The last iteration's task runs again; the loop decides again once it has (the same values: it ends again).
    const again = cli(['resubmit', 'last', 'md#2/step'], { home });
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.deepEqual(ledgerOf(dir)(), ['md#0/step', 'md#1/step', 'md#2/step', 'next', 'md#2/step']);
    assert.match(cli(['status', 'last'], { home }).stdout, /^md\s+succeeded\s+iteration 3\/≤4/m);

    // With --reload, an iteration's task is made again from the loop as the file writes it now.
    writeFileSync(file, readFileSync(file, 'utf8').replace('echo "$FLOTILLA_TASK_ID" >> ledger', 'echo "$FLOTILLA_TASK_ID fixed" >> ledger'));
    const reload = cli(['resubmit', 'last', 'md#2/step', '--reload'], { home });
    assert.equal(reload.code, 0, reload.stdout + reload.stderr);
    // (The loop too: the iterations it makes from now on are made from the loop as written now.)
    assert.match(reload.stdout, /taking the changed spec of md, md#2\/step from/);
    assert.equal(ledgerOf(dir)().at(-1), 'md#2/step fixed');
    // A dependency added inside the loop is a new shape: refused, nothing changed.
    writeFileSync(file, readFileSync(file, 'utf8').replace("side: { run: 'true' }", "side: { after: step, run: 'true' }"));
    const reshaped = cli(['resubmit', 'last', 'md#2/side', '--reload'], { home });
    assert.notEqual(reshaped.code, 0);
    assert.match(reshaped.stderr, /task 'md#2\/side' has other dependencies now/);
  });

  it('resubmitting a task of an earlier iteration runs that iteration again and discards the later ones; made again if the loop gets there, skipped if it ends before', (t) => {
    const { dir, home, file } = workspace(t, `version: 1
defaults: { retries: 0 }
tasks:
  md:
    repeat: { until: "tasks.check.values.k >= 4", max: 10 }
    tasks:
      step: { run: 'echo "$FLOTILLA_TASK_ID" >> ledger' }
      check: { after: step, run: 'echo "k=$(( {{ repeat.index }} * $(cat factor) ))" >> "$FLOTILLA_VALUES"' }
  next: { after: md, run: 'echo next >> ledger' }
`);
    writeFileSync(path.join(dir, 'factor'), '1');

    assert.equal(cli(['run', file], { home }).code, 0);
    assert.deepEqual(ledgerOf(dir)(), ['md#0/step', 'md#1/step', 'md#2/step', 'md#3/step', 'md#4/step', 'next']);
    // Iteration 1 again, now deciding to stop there: iterations 2-4 are discarded, and stay so.
    writeFileSync(path.join(dir, 'factor'), '4');
    const again = cli(['resubmit', 'last', 'md#1/step'], { home });
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /^discarding md: iterations 2–4 \(made again if the loop gets there\)$/m);
    assert.deepEqual(ledgerOf(dir)().slice(6), ['md#1/step']);
    const json = () => JSON.parse(cli(['status', 'last', '--json'], { home }).stdout) as { tasks: { id: string; state: string; attempts: number; reason: string | null; loop?: { iterations: number } }[] };
    let tasks = json().tasks;
    assert.deepEqual(tasks.find((task) => task.id === 'md')!.loop, { iterations: 2, max: 10 });
    assert.deepEqual(tasks.filter((task) => /^md#[234]\//.test(task.id)).map((task) => task.state), Array(6).fill('skipped'));
    assert.match(tasks.find((task) => task.id === 'md#3/step')!.reason ?? '', /^discarded: md#1\/step ran again; the loop ended without making its iteration again$/);
    // From iteration 0 with the old factor: iteration 1 is discarded too, then all are made again in their rows.
    writeFileSync(path.join(dir, 'factor'), '1');
    const back = cli(['resubmit', 'last', 'md#0/step'], { home });
    assert.equal(back.code, 0, back.stdout + back.stderr);
    assert.match(back.stdout, /^discarding md: iteration 1 \(made again/m);
    assert.deepEqual(ledgerOf(dir)().slice(7), ['md#0/step', 'md#1/step', 'md#2/step', 'md#3/step', 'md#4/step']);
    tasks = json().tasks;
    assert.ok(tasks.every((task) => task.state === 'succeeded'), JSON.stringify(tasks.filter((task) => task.state !== 'succeeded')));
    assert.deepEqual(tasks.find((task) => task.id === 'md')!.loop, { iterations: 5, max: 10 });
    // Each made again keeps its row: its attempts go on from the last (its logs are kept).
    assert.deepEqual(['md#0/step', 'md#1/step', 'md#2/step', 'md#4/check'].map((id) => tasks.find((task) => task.id === id)!.attempts), [2, 3, 2, 2]);
    assert.equal(tasks.length, 12);
  });

  it('refuses to discard an iteration that runs now, changing nothing', async (t) => {
    const { dir, home, file } = workspace(t, `version: 1
defaults: { retries: 0 }
tasks:
  md:
    repeat: { until: "false", max: 3, on_max: succeed }
    tasks: { step: { run: 'echo "$FLOTILLA_TASK_ID" >> ledger; if [ {{ repeat.index }} = 1 ]; then sleep 3; fi' } }
`);
    const child = startCli(['run', file], { home });
    await waitFor(() => ledgerOf(dir)().includes('md#1/step'), 'iteration 1 to start');
    const refused = cli(['resubmit', 'last', 'md#0/step'], { home });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /iteration 0 of the loop 'md' would run again, but its iteration 1 runs now \(md#1\/step\): cancel it, or wait for it to end, then resubmit/);
    await new Promise((resolve) => child.once('exit', resolve));
    assert.deepEqual(ledgerOf(dir)(), ['md#0/step', 'md#1/step', 'md#2/step']);
  });
});

describe('discarding iterations, at the edges', () => {
  it('an iteration holding a loop and a foreach over values is discarded whole and made again whole; a discarded task cannot be named', (t) => {
    const { dir, home, file } = workspace(t, `version: 1
defaults: { retries: 0 }
tasks:
  outer:
    repeat: { until: "repeat.index >= 1", max: 3 }
    tasks:
      plan: { run: 'echo "$FLOTILLA_TASK_ID" >> ledger; echo "xs=[1, 2]" >> "$FLOTILLA_VALUES"' }
      fan: { foreach: { x: "{{ tasks.plan.values.xs }}" }, run: 'echo "$FLOTILLA_TASK_ID" >> ledger' }
      inner:
        after: fan
        repeat: { until: "repeat.index >= 1", max: 3 }
        tasks: { step: { run: 'echo "$FLOTILLA_TASK_ID" >> ledger' } }
      fin: { after: inner, run: 'echo "$FLOTILLA_TASK_ID" >> ledger' }
`);
    assert.equal(cli(['run', file], { home }).code, 0);
    const once = (k: number) => [`outer#${k}/plan`, `outer#${k}/fan[0]`, `outer#${k}/fan[1]`, `outer#${k}/inner#0/step`, `outer#${k}/inner#1/step`, `outer#${k}/fin`];
    const sorted = (list: string[]) => [...list.slice(0, 1), ...list.slice(1, 3).sort(), ...list.slice(3)];
    assert.deepEqual(sorted(ledgerOf(dir)()).slice(0, 6), once(0));
    const again = cli(['resubmit', 'last', 'outer#0/fin'], { home });
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /^discarding outer: iteration 1 \(made again/m);
    const after = ledgerOf(dir)().slice(12);
    assert.deepEqual([after[0], ...sorted(after.slice(1))], ['outer#0/fin', ...once(1)]);
    const status = JSON.parse(cli(['status', 'last', '--json'], { home }).stdout) as { run: { state: string }; tasks: { id: string; state: string; attempts: number }[] };
    assert.equal(status.run.state, 'succeeded');
    assert.ok(status.tasks.every((task) => task.state === 'succeeded'), JSON.stringify(status.tasks.filter((task) => task.state !== 'succeeded')));
    assert.equal(status.tasks.find((task) => task.id === 'outer#1/inner#1/step')!.attempts, 2);

    // Discard iteration 1 again, and name one of its tasks: refused, nothing changes.
    writeFileSync(file, readFileSync(file, 'utf8').replace('repeat.index >= 1", max: 3 }\n    tasks:\n      plan', 'repeat.index >= 0", max: 3 }\n    tasks:\n      plan'));
    assert.equal(cli(['resubmit', 'last', 'outer#0/fin', '--reload'], { home }).code, 0);
    const refused = cli(['resubmit', 'last', 'outer#1/fin'], { home });
    assert.equal(refused.code, 2, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /outer#1\/fin was discarded when an earlier iteration of its loop ran again/);
  });

  it('with --reload, the iterations made again after a discard follow the loop as the file writes it now (a task it gained gets a row)', (t) => {
    const { dir, home, file } = workspace(t, `version: 1
defaults: { retries: 0 }
tasks:
  md:
    repeat: { until: "repeat.index >= 2", max: 4 }
    tasks:
      step: { run: 'echo "$FLOTILLA_TASK_ID" >> ledger' }
      check: { after: step, run: 'true' }
`);
    assert.equal(cli(['run', file], { home }).code, 0);
    writeFileSync(file, readFileSync(file, 'utf8').replace("      check: { after: step, run: 'true' }\n", "      check: { after: step, run: 'true' }\n      extra: { after: check, run: 'echo \"$FLOTILLA_TASK_ID\" >> ledger' }\n"));
    const again = cli(['resubmit', 'last', 'md#1/check', '--reload'], { home });
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /^discarding md: iteration 2/m);
    assert.deepEqual(ledgerOf(dir)().slice(3), ['md#2/step', 'md#2/extra']);
    const status = JSON.parse(cli(['status', 'last', '--json'], { home }).stdout) as { run: { state: string } };
    assert.equal(status.run.state, 'succeeded');
  });

  it('a resubmit from before a loop runs its first iteration again and decides again, discarding the rest', (t) => {
    const { dir, home, file } = workspace(t, `version: 1
defaults: { retries: 0 }
tasks:
  prep: { run: 'echo prep >> ledger' }
  md:
    after: prep
    repeat: { until: "tasks.check.values.k >= tasks.check.values.limit", max: 6 }
    tasks:
      check: { run: 'echo "$FLOTILLA_TASK_ID" >> ledger; echo "k={{ repeat.index }}" >> "$FLOTILLA_VALUES"; echo "limit=$(cat limit)" >> "$FLOTILLA_VALUES"' }
  next: { after: md, run: 'echo next >> ledger' }
`);
    writeFileSync(path.join(dir, 'limit'), '3');

    assert.equal(cli(['run', file], { home }).code, 0);
    writeFileSync(path.join(dir, 'limit'), '1');
    const again = cli(['resubmit', 'last', 'prep', '--downstream'], { home });
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /^discarding md: iterations 1–3/m);
    assert.deepEqual(ledgerOf(dir)().slice(6), ['prep', 'md#0/check', 'md#1/check', 'next']);
    assert.match(cli(['status', 'last'], { home }).stdout, /^md\s+succeeded\s+iteration 2\/≤6/m);
  });

  it('a task of a later iteration waiting for a slot is held, not run, when its iteration is discarded', async (t) => {
    const { dir, home, file } = workspace(t, `version: 1
targets: { one: { type: local, max_parallel: 1 } }
defaults: { retries: 0, target: one }
tasks:
  a:
    repeat: { until: "repeat.index >= 3", max: 4 }
    tasks: { step: { run: 'echo "$FLOTILLA_TASK_ID" >> ledger; sleep 0.2' } }
  b:
    repeat: { until: "repeat.index >= 3", max: 4 }
    tasks: { slow: { run: 'sleep 0.6' } }
`);
    // (The node launcher takes one attempt per free slot: the next waits, ready, in the core's queue.)
    const env = { FLOTILLA_LAUNCHER: 'node' };
    const child = startCli(['run', file], { home, env });
    const store = Store.open(home);
    t.after(() => store.close());
    let held: string | undefined;
    await waitFor(() => {
      const run = store.listRuns(1)[0];
      const ready = run && store.taskStates(run.id).find((task) => /^a#[1-3]\/step$/.test(task.id) && task.state === 'ready');
      held = ready?.id;
      return held !== undefined;
    }, 'a later iteration of a to wait for the slot');
    const k = Number(held!.slice(2, 3));
    const again = cli(['resubmit', 'last', `a#${k - 1}/step`], { home, env });
    assert.equal(again.code, 0, again.stdout + again.stderr);
    await new Promise((resolve) => child.once('exit', resolve));
    const final = JSON.parse(cli(['status', 'last', '--json'], { home }).stdout) as { run: { state: string }; tasks: { id: string; state: string }[] };
    assert.equal(final.run.state, 'succeeded');
    // Every iteration of a ran, iteration k-1 twice; none twice otherwise.
    const ran = ledgerOf(dir)().filter((line) => line.startsWith('a#'));
    assert.deepEqual([...ran].sort(), ['a#0/step', 'a#1/step', 'a#2/step', 'a#3/step', `a#${k - 1}/step`].sort());
  });
});
