import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadWorkflow } from '../../core/model/load.ts';
import { selectTasks } from '../../core/model/select.ts';
import type { Selection } from '../../core/model/select.ts';
import { Runner } from '../../core/scheduler/runner.ts';
import type { RunnerEvent, RunnerOptions } from '../../core/scheduler/runner.ts';
import { createRun } from '../../core/scheduler/runs.ts';
import { CHECKPOINT_COMMITS } from '../../core/scheduler/tuning.ts';
import { Store } from '../../core/store/store.ts';
import { createLauncher } from '../../core/targets/launcher.ts';
import type { Launcher } from '../../core/targets/launcher.ts';
import type { RunOptions } from '../../core/store/store.ts';
import { alive, tempDir, waitFor, writeWorkflow } from '../helpers.ts';

interface Harness {
  dir: string;
  store: Store;
  start(text: string, options?: { run?: RunOptions; runner?: RunnerOptions; select?: Selection; name?: string }): { runner: Runner; done: Promise<string>; events: RunnerEvent[]; runId: string };
  states(runId: string): Record<string, string>;
  ledger(): string[];
}

function harness(t: { after: (fn: () => void) => void }): Harness {
  const dir = tempDir(t);
  const store = Store.open(path.join(dir, 'home'));
  t.after(() => store.close());
  return {
    dir,
    store,
    start(text, options = {}) {
      const file = writeWorkflow(dir, text, options.name);
      const plan = selectTasks(loadWorkflow(file), options.select ?? { only: [] });
      const runId = createRun(store, plan, options.run ?? {});
      const events: RunnerEvent[] = [];
      const runner = new Runner(store, runId, { localOptions: { killGraceMs: 500 }, ...options.runner, onEvent: (event) => events.push(event) });
      return { runner, done: runner.drive(), events, runId };
    },
    states(runId) {
      return Object.fromEntries(store.taskStates(runId).map((task) => [task.id, task.state]));
    },
    ledger() {
      const file = path.join(dir, 'ledger');
      return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [];
    },
  };
}

describe('scheduler', () => {
  it('takes the specs of a run its caller just created instead of reading them back, and refuses ones that do not fit', async (t) => {
    const dir = tempDir(t);
    const store = Store.open(path.join(dir, 'home'));
    t.after(() => store.close());
    const plan = loadWorkflow(writeWorkflow(dir, `version: 1
tasks:
  a: { run: echo a >> ledger }
  b: { run: echo b >> ledger, after: a }
`));
    const runId = createRun(store, plan, {});
    assert.throws(() => new Runner(store, runId, { specs: plan.tasks.slice(1) }), /has 2 tasks, not 1/);
    store.loadTasks = () => assert.fail('the specs were read back');
    assert.equal(await new Runner(store, runId, { specs: plan.tasks }).drive(), 'succeeded');
    assert.equal(readFileSync(path.join(dir, 'ledger'), 'utf8'), 'a\nb\n');
  });

  it('runs tasks in dependency order and records every transition before reporting it', async (t) => {
    const h = harness(t);
    const run = h.start(`version: 1
tasks:
  a: { run: echo a >> ledger }
  b: { run: echo b >> ledger, after: a }
  c: { run: echo c >> ledger, after: b }
`);
    assert.equal(await run.done, 'succeeded');
    assert.deepEqual(h.ledger(), ['a', 'b', 'c']);
    const stored = h.store.events(run.runId).filter((event) => event.kind === 'state').map((event) => `${event.fromState}>${event.toState}`);
    const reported = run.events.filter((event) => event.type === 'task').map((event) => (event.type === 'task' ? `${event.from}>${event.to}` : ''));
    assert.deepEqual(reported, stored);
    assert.deepEqual(h.states(run.runId), { a: 'succeeded', b: 'succeeded', c: 'succeeded' });
  });

  it('never runs more tasks at once than the target allows, and does run them in parallel', async (t) => {
    const h = harness(t);
    const run = h.start(`version: 1
targets: { local: { type: local, max_parallel: 2 } }
tasks:
  s: { foreach: { i: { range: [0, 6] } }, run: "echo start >> ledger; sleep 0.3; echo end >> ledger" }
`);
    assert.equal(await run.done, 'succeeded');
    let now = 0;
    let most = 0;
    for (const line of h.ledger()) {
      now += line === 'start' ? 1 : -1;
      most = Math.max(most, now);
    }
    assert.equal(most, 2);
  });

  it('the global cap (--max-parallel) applies across targets', async (t) => {
    const h = harness(t);
    const run = h.start(
      `version: 1
targets: { local: { type: local, max_parallel: 4 }, other: { type: local, max_parallel: 4 } }
tasks:
  a: { foreach: { i: [1, 2, 3] }, run: "echo start >> ledger; sleep 0.2; echo end >> ledger" }
  b: { foreach: { i: [1, 2, 3] }, target: other, run: "echo start >> ledger; sleep 0.2; echo end >> ledger" }
`,
      { runner: { maxParallel: 1 } },
    );
    assert.equal(await run.done, 'succeeded');
    assert.deepEqual(h.ledger(), ['start', 'end', 'start', 'end', 'start', 'end', 'start', 'end', 'start', 'end', 'start', 'end']);
  });

  it('hands out the task with the longest remaining path first', async (t) => {
    const h = harness(t);
    const flow = `version: 1
targets: { local: { type: local, max_parallel: 1 } }
tasks:
  lone1: { run: echo lone1 >> ledger }
  lone2: { run: echo lone2 >> ledger }
  lone3: { run: echo lone3 >> ledger }
  head: { run: echo head >> ledger }
  middle: { run: echo middle >> ledger, after: head }
  tail: { run: echo tail >> ledger, after: middle }
`;
    // With a global cap nothing waits in the launcher's queue: the order is exactly by priority.
    const exact = h.start(flow, { runner: { maxParallel: 1 } });
    assert.equal(await exact.done, 'succeeded');
    assert.deepEqual(h.ledger().slice(0, 2), ['head', 'middle']);
    rmSync(path.join(h.dir, 'ledger'));
    // Without one the local launcher keeps one attempt queued per slot (for a workflow it has
    // not run before: another file): the chain may let one lone task in between.
    const queued = h.start(flow, { name: 'again.yaml', run: { fresh: true } });
    assert.equal(await queued.done, 'succeeded');
    const order = h.ledger();
    assert.equal(order[0], 'head');
    assert.ok(order.indexOf('middle') <= 2, order.join(', '));
  });

  it('a task that releases hundreds starts the first of them before all are released, highest priority first', async (t) => {
    const h = harness(t);
    const run = h.start(`version: 1
targets: { local: { type: local, max_parallel: 2 } }
tasks:
  setup: { run: echo setup >> ledger }
  sweep: { foreach: { i: { range: [0, 300] } }, after: setup, run: "echo {{ i }} >> ledger" }
  deep: { after: setup, run: echo deep >> ledger }
  deeper: { after: deep, run: echo deeper >> ledger }
`);
    assert.equal(await run.done, 'succeeded');
    assert.equal(h.ledger().length, 303);
    const moves = run.events.flatMap((event) => (event.type === 'task' ? [`${event.taskId} ${event.to}`] : []));
    const setupDone = moves.indexOf('setup succeeded');
    const firstSubmitted = moves.findIndex((move, k) => k > setupDone && move.endsWith(' submitted'));
    const releasedBefore = moves.slice(setupDone, firstSubmitted).filter((move) => move.endsWith(' ready'));
    // One commit released a few, not all 301, and the task with the longest path is among them.
    assert.equal(releasedBefore.length, 4, `${releasedBefore.join(', ')} released before the first start`);
    assert.equal(releasedBefore[0], 'deep ready');
    // Each commit after it released twice as many, up to 64 (the releases of a commit come in a row).
    const batches: number[] = [];
    for (let k = setupDone + 1, inRow = false; k < moves.length; k++) {
      const released = moves[k]!.endsWith(' ready');
      if (released && !inRow) batches.push(0);
      if (released) batches[batches.length - 1]!++;
      inRow = released;
    }
    // Commits that report nothing but releases follow each other with no other event between
    // them (on a busy machine the launcher holds its reports back): their rows run together, so
    // each row is one batch or several whole batches in turn.
    // (The last batch is what was left to release, however many that was.)
    const expected = [4, 8, 16, 32, ...Array<number>(10).fill(64)];
    let next = 0;
    batches.forEach((row, index) => {
      let sum = 0;
      while (sum < row) sum += expected[next++]!;
      if (index < batches.length - 1) assert.equal(sum, row, `rows ${batches.join(', ')} are whole batches of ${expected.join(', ')}`);
    });
    assert.ok(batches.length >= 2 && batches[0] === 4, `rows ${batches.join(', ')}`);
    assert.deepEqual(new Set(Object.values(h.states(run.runId))), new Set(['succeeded']));
  });

  it('a run learns from the workflow’s last run how long its attempts take', async (t) => {
    const h = harness(t);
    const flow = `version: 1
targets: { local: { type: local, max_parallel: 2 }, slow: { type: local, max_parallel: 1 } }
tasks:
  quick: { foreach: { i: { range: [0, 4] } }, run: "true" }
  nap: { target: slow, run: sleep 0.3 }
`;
    const first = h.start(flow);
    assert.equal(await first.done, 'succeeded');
    const file = path.join(h.dir, 'workflow.yaml');
    const times = h.store.history.recentRunTimes(file, 'another-run');
    assert.deepEqual(Object.keys(times).sort(), ['local', 'slow']);
    assert.ok(times.local! < 250, `local ${times.local} ms`);
    assert.ok(times.slow! >= 250, `slow ${times.slow} ms`);
    // Its own attempts do not count; another file has no history.
    assert.deepEqual(h.store.history.recentRunTimes(file, first.runId), {});
    assert.deepEqual(h.store.history.recentRunTimes(path.join(h.dir, 'other.yaml'), 'another-run'), {});
  });

  it('an attempt’s times are when it ran, as the launcher measured it, not when the core committed its end', async (t) => {
    const h = harness(t);
    // A launcher that reports, 30 ms after each launch, a start and an end 5 s later.
    const launcher: Launcher = {
      queues: false,
      capturesOutput: true,
      followsEdges: false,
      launch(_request, callbacks) {
        setTimeout(() => {
          callbacks.onStarted(process.pid);
          callbacks.onExit(0, null, 5000);
        }, 30);
        return { id: 1, drop: () => {} };
      },
      committed() {},
      dispose() {},
    };
    const before = Date.now();
    const run = h.start('version: 1\ntasks:\n  a: { run: "true" }\n  b: { run: "true", after: a }\n', { runner: { localOptions: { launcher } } });
    assert.equal(await run.done, 'succeeded');
    const after = Date.now();
    for (const attempt of h.store.attempts(run.runId)) {
      assert.equal(attempt.endedAt! - attempt.startedAt!, 5000);
      assert.ok(attempt.endedAt! >= before && attempt.endedAt! <= after, `ended ${attempt.endedAt} within the run`);
    }
    assert.deepEqual(h.store.history.recentRunTimes(path.join(h.dir, 'workflow.yaml'), 'another-run'), { local: 5000 });
  });

  it('retries a failed attempt, then succeeds', async (t) => {
    const h = harness(t);
    const run = h.start(`version: 1
tasks:
  flaky: { retries: 1, run: "if [ -f tried ]; then echo ok; else touch tried; echo first >&2; exit 3; fi" }
`);
    assert.equal(await run.done, 'succeeded');
    const attempts = h.store.attempts(run.runId);
    assert.deepEqual(attempts.map((a) => [a.n, a.state, a.exitCode]), [[1, 'failed', 3], [2, 'succeeded', 0]]);
    assert.equal(readFileSync(attempts[0]!.stderr, 'utf8'), 'first\n');
    assert.equal(readFileSync(attempts[1]!.stdout, 'utf8'), 'ok\n');
  });

  it('a task that fails every attempt fails, its downstream is blocked, independent branches go on', async (t) => {
    const h = harness(t);
    const run = h.start(`version: 1
defaults: { retries: 2 }
tasks:
  bad: { run: "echo bad >> ledger; exit 3" }
  after_bad: { run: echo never >> ledger, after: bad }
  further: { run: echo never >> ledger, after: after_bad }
  good: { run: echo good >> ledger }
  after_good: { run: echo after_good >> ledger, after: good }
`);
    assert.equal(await run.done, 'failed');
    assert.deepEqual(h.states(run.runId), { bad: 'failed', after_bad: 'blocked', further: 'blocked', good: 'succeeded', after_good: 'succeeded' });
    assert.equal(h.ledger().filter((line) => line === 'bad').length, 3);
    assert.ok(!h.ledger().includes('never'));
    assert.match(h.store.findTask(run.runId, 'bad')!.reason!, /exit 3/);
  });

  it('cancelling a run kills each running task’s whole process group', async (t) => {
    const h = harness(t);
    const run = h.start(`version: 1
tasks:
  long: { run: "sleep 60 & echo $! > child.pid; wait" }
  next: { run: echo never >> ledger, after: long }
`);
    const childFile = path.join(h.dir, 'child.pid');
    const child = await waitFor(() => existsSync(childFile) && Number(readFileSync(childFile, 'utf8')), 'the task to start its child');
    assert.ok(alive(child));
    run.runner.cancelRun();
    assert.equal(await run.done, 'cancelled');
    await waitFor(() => !alive(child), 'the background child to be killed');
    assert.deepEqual(h.states(run.runId), { long: 'cancelled', next: 'cancelled' });
    assert.equal(h.store.attempts(run.runId)[0]!.state, 'cancelled');
  });

  it('cancelling one task blocks its downstream and lets the rest finish', async (t) => {
    const h = harness(t);
    const run = h.start(`version: 1
tasks:
  slow: { run: "touch slow.started; sleep 60" }
  after_slow: { run: echo never >> ledger, after: slow }
  other: { run: "echo other >> ledger" }
`);
    await waitFor(() => existsSync(path.join(h.dir, 'slow.started')), 'slow to start');
    assert.ok(run.runner.cancelTask('slow'));
    assert.equal(await run.done, 'failed');
    assert.deepEqual(h.states(run.runId), { slow: 'cancelled', after_slow: 'blocked', other: 'succeeded' });
  });

  it('enforces resources.time locally: the attempt is killed and recorded as a timeout', async (t) => {
    const h = harness(t);
    const run = h.start(`version: 1
tasks:
  slow: { retries: 0, resources: { time: 1s }, run: "sleep 60" }
`);
    assert.equal(await run.done, 'failed');
    const [attempt] = h.store.attempts(run.runId);
    assert.equal(attempt!.reason, 'timeout');
    assert.equal(attempt!.schedulerState, 'TIMEOUT');
    assert.equal(attempt!.signal, 'SIGTERM');
    assert.match(h.store.findTask(run.runId, 'slow')!.reason!, /timed out after 1s/);
  });

  it('runs each attempt in its cwd (created) with env merged and its identity exported', async (t) => {
    const h = harness(t);
    const run = h.start(`version: 1
defaults: { env: { SHARED: top } }
tasks:
  g:
    cwd: "sub dir"
    env: { OWN: "{{ task.id }}" }
    tasks:
      t: { run: 'echo "$SHARED $OWN $FLOTILLA_TASK_ID $FLOTILLA_ATTEMPT $(basename "$PWD")" > out.txt' }
`);
    assert.equal(await run.done, 'succeeded');
    assert.equal(readFileSync(path.join(h.dir, 'sub dir', 'out.txt'), 'utf8'), 'top g g/t 1 sub dir\n');
  });

  it('a task whose shell cannot start fails with the reason', async (t) => {
    const h = harness(t);
    const run = h.start(`version: 1
tasks:
  a: { retries: 0, shell: /nonexistent/bash, run: echo a }
`);
    assert.equal(await run.done, 'failed');
    const [attempt] = h.store.attempts(run.runId);
    assert.equal(attempt!.state, 'failed');
    assert.match(attempt!.reason!, /could not start: cannot run \/nonexistent\/bash: No such file/);
    assert.match(h.store.findTask(run.runId, 'a')!.reason!, /cannot run \/nonexistent\/bash/);
  });

  it('--only with --upstream and --downstream picks the right tasks', async (t) => {
    const h = harness(t);
    const text = `version: 1
tasks:
  a: { run: echo a >> ledger }
  b: { run: echo b >> ledger, after: a }
  c: { run: echo c >> ledger, after: b }
  d: { run: echo d >> ledger }
`;
    const only = h.start(text, { select: { only: ['b'] } });
    assert.equal(await only.done, 'succeeded');
    assert.deepEqual(h.ledger(), ['b']);
    rmSync(path.join(h.dir, 'ledger'));
    const up = h.start(text, { select: { only: ['b'], upstream: true, downstream: true }, run: { fresh: true } });
    assert.equal(await up.done, 'succeeded');
    assert.deepEqual(h.ledger(), ['a', 'b', 'c']);
  });
});

describe('resubmit and limits', () => {
  it('resubmitting one of two failed upstreams reruns it and leaves the shared downstream blocked, and the run ends', async (t) => {
    const h = harness(t);
    const first = h.start(`version: 1
defaults: { retries: 0 }
tasks:
  a: { run: "test -f fixed-a && echo a >> ledger" }
  c: { run: "exit 4" }
  b: { run: echo b >> ledger, after: [a, c] }
`);
    assert.equal(await first.done, 'failed');
    writeFileSync(path.join(h.dir, 'fixed-a'), '');
    const again = new Runner(h.store, first.runId);
    const done = again.drive();
    again.resubmit(['a'], false);
    assert.equal(await done, 'failed');
    assert.deepEqual(h.states(first.runId), { a: 'succeeded', c: 'failed', b: 'blocked' });
    assert.deepEqual(h.ledger(), ['a']);
  });

  it('resubmit with downstream reruns a dependent that was still running once it ends', async (t) => {
    const h = harness(t);
    const run = h.start(`version: 1
tasks:
  a: { run: echo a >> ledger }
  b: { run: 'echo b-start >> ledger; while [ ! -f go ]; do sleep 0.05; done; echo b >> ledger', after: a }
  c: { run: echo c >> ledger, after: b }
`);
    // b may start (chained in the launcher) before the core has recorded a's end.
    await waitFor(() => h.ledger().includes('b-start') && h.states(run.runId).a === 'succeeded', 'b to run');
    assert.deepEqual(run.runner.resubmit(['a'], true), ['a']);
    writeFileSync(path.join(h.dir, 'go'), '');
    assert.equal(await run.done, 'succeeded');
    // a again, then b again (after the new a), then c once, after the new b.
    assert.deepEqual(h.ledger(), ['a', 'b-start', 'a', 'b', 'b-start', 'b', 'c']);
  });

  it('a time limit beyond 24.8 days does not fire at once', async (t) => {
    const h = harness(t);
    const run = h.start(`version: 1
tasks:
  patient: { resources: { time: 30-00:00:00 }, run: "sleep 0.2; echo done >> ledger" }
`);
    assert.equal(await run.done, 'succeeded');
    assert.deepEqual(h.ledger(), ['done']);
  });
});

describe('the store during a run', () => {
  it('copies its log into the database every few commits, between them, so the close at the end has little left to copy', async (t) => {
    const h = harness(t);
    let commits = 0;
    let inside = false;
    const checkpoints: number[] = [];
    const transaction = h.store.transaction.bind(h.store);
    const checkpoint = h.store.checkpoint.bind(h.store);
    h.store.transaction = <T>(fn: () => T): T => {
      commits++;
      inside = true;
      try {
        return transaction(fn);
      } finally {
        inside = false;
      }
    };
    h.store.checkpoint = () => {
      assert.ok(!inside, 'a checkpoint inside a commit');
      checkpoints.push(commits);
      checkpoint();
    };
    // One at a time: each end is a commit of its own, however loaded the machine.
    const run = h.start('version: 1\ntargets: { local: { type: local, max_parallel: 1 } }\ntasks:\n  t: { foreach: { i: { range: [0, 120] } }, run: "sleep 0.03" }\n');
    assert.equal(await run.done, 'succeeded');
    t.diagnostic(`${commits} commits, checkpoints after ${checkpoints.join(' ')}`);
    assert.ok(commits > CHECKPOINT_COMMITS, `${commits} commits`);
    assert.ok(checkpoints.length >= Math.max(1, Math.floor(commits / CHECKPOINT_COMMITS) - 1), `checkpoints after commits ${checkpoints.join(' ')} of ${commits}`);
  });
});

describe('caching', () => {
  const flow = `version: 1
tasks:
  prep: { run: "cat data.txt > prep.out; echo prep >> ledger", inputs: data.txt, outputs: prep.out }
  use: { run: "cat prep.out > use.out; echo use >> ledger", after: prep, outputs: use.out }
  volatile: { run: "echo volatile >> ledger", cache: false }
`;

  it('a second run reuses every result whose hash matches; --explain says why', async (t) => {
    const h = harness(t);
    writeFileSync(path.join(h.dir, 'data.txt'), 'one');
    assert.equal(await h.start(flow).done, 'succeeded');
    const second = h.start(flow, { runner: { explain: true } });
    assert.equal(await second.done, 'succeeded');
    assert.deepEqual(h.states(second.runId), { prep: 'cached', use: 'cached', volatile: 'succeeded' });
    assert.deepEqual([...h.ledger()].sort(), ['prep', 'use', 'volatile', 'volatile']);
    const explained = Object.fromEntries(second.events.flatMap((event) => (event.type === 'explain' ? [[event.taskId, event.reason]] : [])));
    assert.match(explained.prep!, /^cached: result of run \S+ \(attempt 1\): same command, inputs and upstream results, outputs as it left them$/);
    assert.equal(explained.volatile, 'runs: it declares no outputs (cache: true would reuse its result)');
  });

  it('a task that declares no outputs runs every time unless it says cache: true', async (t) => {
    const h = harness(t);
    const text = `version: 1
tasks:
  sample: { foreach: { i: { range: [3] } }, run: "head -c 8 /dev/urandom | od -An -tx1 >> samples-{{ i }}; echo sample >> ledger" }
  kept: { run: echo kept >> ledger, cache: true }
`;
    assert.equal(await h.start(text).done, 'succeeded');
    const second = h.start(text, { runner: { explain: true } });
    assert.equal(await second.done, 'succeeded');
    assert.deepEqual(h.states(second.runId), { 'sample[0]': 'succeeded', 'sample[1]': 'succeeded', 'sample[2]': 'succeeded', kept: 'cached' });
    assert.equal(readFileSync(path.join(h.dir, 'samples-0'), 'utf8').trim().split('\n').length, 2, 'two samples, one per run');
    assert.deepEqual([...h.ledger()].sort(), ['kept', ...Array(6).fill('sample')]);
  });

  it('a result is reused only by the same task of the same workflow file', async (t) => {
    const h = harness(t);
    const text = 'version: 1\ntasks:\n  make: { run: "echo made >> ledger; echo x > out.txt", outputs: out.txt }\n';
    assert.equal(await h.start(text, { name: 'one.yaml' }).done, 'succeeded');
    const other = h.start(text, { name: 'two.yaml', runner: { explain: true } });
    assert.equal(await other.done, 'succeeded');
    assert.deepEqual(h.states(other.runId), { make: 'succeeded' });
    const again = h.start(text, { name: 'two.yaml' });
    assert.equal(await again.done, 'succeeded');
    assert.deepEqual(h.states(again.runId), { make: 'cached' });
    const renamed = h.start(text.replace('make:', 'build:'), { name: 'two.yaml' });
    assert.equal(await renamed.done, 'succeeded');
    assert.deepEqual(h.states(renamed.runId), { build: 'succeeded' });
    assert.deepEqual(h.ledger(), ['made', 'made', 'made']);
  });

  it('an output changed since the result was recorded reruns the task, saying which', async (t) => {
    const h = harness(t);
    const text = 'version: 1\ntasks:\n  make: { run: "echo made >> ledger; mkdir -p out; echo good > out/a.txt", outputs: [out] }\n';
    assert.equal(await h.start(text).done, 'succeeded');
    writeFileSync(path.join(h.dir, 'out', 'a.txt'), 'tampered, longer\n');
    const second = h.start(text, { runner: { explain: true } });
    assert.equal(await second.done, 'succeeded');
    const why = second.events.find((event) => event.type === 'explain' && event.taskId === 'make');
    assert.match(why?.type === 'explain' ? why.reason : '', /^runs: output out\/a\.txt changed since run /);
    assert.equal(readFileSync(path.join(h.dir, 'out', 'a.txt'), 'utf8'), 'good\n');
    const third = h.start(text);
    assert.equal(await third.done, 'succeeded');
    assert.deepEqual(h.states(third.runId), { make: 'cached' });
  });

  it('a changed input reruns the task and everything downstream, and --explain names the change', async (t) => {
    const h = harness(t);
    writeFileSync(path.join(h.dir, 'data.txt'), 'one');
    assert.equal(await h.start(flow).done, 'succeeded');
    writeFileSync(path.join(h.dir, 'data.txt'), 'two!');
    const second = h.start(flow, { runner: { explain: true } });
    assert.equal(await second.done, 'succeeded');
    const explained = Object.fromEntries(second.events.flatMap((event) => (event.type === 'explain' ? [[event.taskId, event.reason]] : [])));
    assert.match(explained.prep!, /^runs: input data.txt changed since run /);
    assert.match(explained.use!, /^runs: upstream prep changed since run /);
    assert.equal(readFileSync(path.join(h.dir, 'use.out'), 'utf8'), 'two!');
  });

  it('a task whose upstream ran again runs again too, though the upstream’s hash is the same', async (t) => {
    const h = harness(t);
    writeFileSync(path.join(h.dir, 'data.txt'), 'one');
    // `prep` writes what it read and when: run again, it gives `use` something new.
    const stamped = flow.replace('cat data.txt > prep.out', 'cat data.txt > prep.out; date +%N >> prep.out');
    const first = h.start(stamped);
    assert.equal(await first.done, 'succeeded');
    rmSync(path.join(h.dir, 'prep.out'));
    const second = h.start(stamped, { runner: { explain: true } });
    assert.equal(await second.done, 'succeeded');
    assert.deepEqual(h.states(second.runId), { prep: 'succeeded', use: 'succeeded', volatile: 'succeeded' });
    const explained = Object.fromEntries(second.events.flatMap((event) => (event.type === 'explain' ? [[event.taskId, event.reason]] : [])));
    assert.equal(explained.prep, 'runs: output prep.out missing');
    assert.equal(explained.use, `runs: upstream prep ran again (run ${second.runId}, attempt 1) since run ${first.runId}`);
    assert.equal(readFileSync(path.join(h.dir, 'use.out'), 'utf8'), readFileSync(path.join(h.dir, 'prep.out'), 'utf8'), 'use read the new prep.out');
    // Nothing ran again since: both are reused.
    const third = h.start(stamped);
    assert.equal(await third.done, 'succeeded');
    assert.deepEqual(h.states(third.runId), { prep: 'cached', use: 'cached', volatile: 'succeeded' });
  });

  it('a changed command or a missing output reruns; --fresh ignores the cache', async (t) => {
    const h = harness(t);
    writeFileSync(path.join(h.dir, 'data.txt'), 'one');
    assert.equal(await h.start(flow).done, 'succeeded');
    rmSync(path.join(h.dir, 'use.out'));
    const missing = h.start(flow, { runner: { explain: true } });
    assert.equal(await missing.done, 'succeeded');
    assert.deepEqual(h.states(missing.runId), { prep: 'cached', use: 'succeeded', volatile: 'succeeded' });
    const reason = missing.events.find((event) => event.type === 'explain' && event.taskId === 'use');
    assert.equal(reason?.type === 'explain' && reason.reason, 'runs: output use.out missing');
    const changed = h.start(flow.replace('cat prep.out > use.out', 'cat prep.out prep.out > use.out'), { runner: { explain: true } });
    assert.equal(await changed.done, 'succeeded');
    const why = changed.events.find((event) => event.type === 'explain' && event.taskId === 'use');
    assert.match(why?.type === 'explain' ? why.reason : '', /^runs: command changed since run /);
    const fresh = h.start(flow, { run: { fresh: true } });
    assert.equal(await fresh.done, 'succeeded');
    assert.deepEqual(h.states(fresh.runId), { prep: 'succeeded', use: 'succeeded', volatile: 'succeeded' });
  });

  it('resubmitting a finished run’s failed task after a fix reruns it and releases its downstream', async (t) => {
    const h = harness(t);
    const text = `version: 1
tasks:
  fragile: { retries: 0, run: "test -f fixed && echo fragile >> ledger" }
  next: { run: echo next >> ledger, after: fragile }
`;
    const first = h.start(text);
    assert.equal(await first.done, 'failed');
    assert.deepEqual(h.states(first.runId), { fragile: 'failed', next: 'blocked' });
    writeFileSync(path.join(h.dir, 'fixed'), '');
    const again = new Runner(h.store, first.runId);
    const done = again.drive();
    assert.deepEqual(again.resubmit(['fragile'], false), ['fragile', 'next']);
    assert.equal(await done, 'succeeded');
    assert.deepEqual(h.ledger(), ['fragile', 'next']);
    // `next` was handed to the launcher chained behind `fragile`, and withdrawn when it failed.
    assert.deepEqual(h.store.attempts(first.runId).map((a) => [a.taskIdx, a.n, a.state]), [[0, 1, 'failed'], [0, 2, 'succeeded'], [1, 1, 'withdrawn'], [1, 2, 'succeeded']]);
  });
});

/** A run's attempts as [task id, n, state, reason], by task id and attempt. */
function attemptsOf(h: Harness, runId: string): [string, number, string, string | null][] {
  const ids = new Map(h.store.loadTasks(runId).map((task) => [task.idx, task.id]));
  return h.store
    .attempts(runId)
    .map((a): [string, number, string, string | null] => [ids.get(a.taskIdx)!, a.n, a.state, a.reason])
    .sort((x, y) => x[0].localeCompare(y[0]) || x[1] - y[1]);
}

describe('chained submission (the C launcher follows edges)', () => {
  /** Transitions as `task:from>to`, in the order they were committed. */
  const moves = (events: RunnerEvent[]) => events.flatMap((event) => (event.type === 'task' ? [`${event.taskId}:${event.from}>${event.to}`] : []));

  it('hands a chain over ahead, so each task starts in the launcher as its upstream ends', async (t) => {
    const h = harness(t);
    const run = h.start(`version: 1
targets: { local: { type: local, max_parallel: 2 } }
tasks:
  a: { run: sleep 0.2; echo a >> ledger }
  b: { run: echo b >> ledger, after: a }
  c: { run: echo c >> ledger, after: b }
`);
    assert.equal(await run.done, 'succeeded');
    assert.deepEqual(h.ledger(), ['a', 'b', 'c']);
    const order = moves(run.events);
    // b was handed over, waiting for a, before a's end was recorded; c likewise behind b.
    assert.ok(order.includes('b:waiting>submitted') && order.includes('c:waiting>submitted'), order.join(' '));
    assert.ok(order.indexOf('b:waiting>submitted') < order.findIndex((move) => move.startsWith('a:') && move.endsWith('>succeeded')), order.join(' '));
    assert.ok(order.indexOf('c:waiting>submitted') < order.findIndex((move) => move.startsWith('b:') && move.endsWith('>succeeded')), order.join(' '));
    assert.ok(!order.includes('b:waiting>ready'));
    const chained = run.events.find((event) => event.type === 'task' && event.taskId === 'b' && event.to === 'submitted');
    assert.equal(chained?.type === 'task' && chained.detail, 'after a');
  });

  it('chains a wide fan-out in small commits, the first smallest, so the first of it is handed over at once', async (t) => {
    const h = harness(t);
    // A launcher that queues and follows edges, and records what each turn of the event loop handed it.
    const turns: string[][] = [];
    let current: string[] | undefined;
    const ends: (() => void)[] = [];
    const launcher: Launcher = {
      queues: true,
      capturesOutput: true,
      followsEdges: true,
      launch(request, callbacks) {
        if (!current) {
          turns.push((current = []));
          setImmediate(() => (current = undefined));
        }
        current.push(request.after?.length ? 'chained' : 'plain');
        ends.push(() => {
          callbacks.onStarted(process.pid);
          callbacks.onExit(0, null, 1);
        });
        return { id: ends.length, drop: () => {} };
      },
      committed() {},
      dispose() {},
    };
    const run = h.start('version: 1\ntargets: { local: { type: local, max_parallel: 2 } }\ntasks:\n  a: { run: "true" }\n  fan: { foreach: { i: { range: [0, 100] } }, run: "true", after: a }\n', {
      runner: { localOptions: { launcher, expectedRunMs: 1 } },
    });
    // `a` runs on; its dependents are handed over, chained behind it, a few per commit.
    await waitFor(() => turns.flat().length >= 101, 'the fan-out handed over');
    for (const end of ends) end();
    assert.equal(await run.done, 'succeeded');
    assert.deepEqual(turns[0], ['plain']);
    // 2, 4, 8, then 16 per commit: the first are recorded (and handed over) soonest.
    assert.deepEqual(turns.slice(1, 5).map((turn) => turn.length), [2, 4, 8, 16]);
    // One turn for `a`, three growing ones, then the rest 16 at a time at most.
    assert.ok(turns.length >= 1 + 3 + Math.ceil((100 - 2 - 4 - 8) / 16), `handed over in ${turns.length} turns`);
    for (const turn of turns.slice(1)) assert.ok(turn.length <= 16 && turn.every((kind) => kind === 'chained'), `a turn handed over ${turn.length}: ${turn.join(' ')}`);
  });

  it('a failed upstream withdraws what was chained behind it; after its retry succeeds they run', async (t) => {
    const h = harness(t);
    const run = h.start(`version: 1
tasks:
  a: { retries: 1, run: 'if [ -f tried ]; then echo a >> ledger; else touch tried; sleep 0.1; exit 1; fi' }
  b: { run: echo b >> ledger, after: a }
  c: { run: echo c >> ledger, after: b }
`);
    assert.equal(await run.done, 'succeeded');
    assert.deepEqual(h.ledger(), ['a', 'b', 'c']);
    const withdrawn = 'an attempt it waited for did not succeed, or it was dropped';
    assert.deepEqual(attemptsOf(h, run.runId), [
      ['a', 1, 'failed', null],
      ['a', 2, 'succeeded', null],
      ['b', 1, 'withdrawn', withdrawn],
      ['b', 2, 'succeeded', null],
      ['c', 1, 'withdrawn', withdrawn],
      ['c', 2, 'succeeded', null],
    ]);
    // Withdrawn attempts are no failures.
    assert.deepEqual(h.store.loadTasks(run.runId).map((task) => [task.id, task.failures]), [['a', 1], ['b', 0], ['c', 0]]);
  });

  it('when the upstream fails for good, the chained tasks never start and are blocked', async (t) => {
    const h = harness(t);
    const run = h.start(`version: 1
tasks:
  a: { retries: 0, run: sleep 0.1; exit 4 }
  b: { run: echo b >> ledger, after: a }
  c: { run: echo c >> ledger, after: b }
  other: { run: echo other >> ledger }
`);
    assert.equal(await run.done, 'failed');
    assert.deepEqual(h.ledger(), ['other']);
    assert.deepEqual(h.states(run.runId), { a: 'failed', b: 'blocked', c: 'blocked', other: 'succeeded' });
    assert.deepEqual(attemptsOf(h, run.runId).filter(([id]) => id !== 'other').map(([id, , state]) => [id, state]), [['a', 'failed'], ['b', 'withdrawn'], ['c', 'withdrawn']]);
  });

  it('cancelling a chained task drops it before it starts; its upstream goes on', async (t) => {
    const h = harness(t);
    const run = h.start(`version: 1
tasks:
  a: { run: 'touch a.started; while [ ! -f go ]; do sleep 0.05; done; echo a >> ledger' }
  b: { run: echo b >> ledger, after: a }
  c: { run: echo c >> ledger, after: b }
`);
    await waitFor(() => existsSync(path.join(h.dir, 'a.started')) && h.states(run.runId).b === 'submitted', 'a to run with b chained');
    assert.ok(run.runner.cancelTask('b'));
    writeFileSync(path.join(h.dir, 'go'), '');
    assert.equal(await run.done, 'failed');
    assert.deepEqual(h.ledger(), ['a']);
    assert.deepEqual(h.states(run.runId), { a: 'succeeded', b: 'cancelled', c: 'blocked' });
    assert.deepEqual(attemptsOf(h, run.runId).filter(([id]) => id === 'b'), [['b', 1, 'withdrawn', 'cancelled before it started']]);
  });

  it('a task with declared inputs waits for its upstream to end (its inputs may change)', async (t) => {
    const h = harness(t);
    const run = h.start(`version: 1
tasks:
  a: { run: echo a > a.out, outputs: a.out }
  b: { run: cat a.out >> ledger, inputs: a.out, after: a }
`);
    assert.equal(await run.done, 'succeeded');
    assert.deepEqual(h.ledger(), ['a']);
    assert.ok(moves(run.events).includes('b:waiting>ready'));
  });

  it('the Perl launcher does not follow edges: the same chain goes through ready', async (t) => {
    const h = harness(t);
    const run = h.start(
      `version: 1
tasks:
  a: { run: echo a >> ledger }
  b: { run: echo b >> ledger, after: a }
`,
      { runner: { localOptions: { launcher: createLauncher(2, { ...process.env, FLOTILLA_LAUNCHER: 'perl' }) } } },
    );
    assert.equal(await run.done, 'succeeded');
    assert.ok(moves(run.events).includes('b:waiting>ready'));
  });
});
