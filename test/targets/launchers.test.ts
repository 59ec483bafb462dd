import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadWorkflow } from '../../core/model/load.ts';
import { Runner } from '../../core/scheduler/runner.ts';
import { createRun } from '../../core/scheduler/runs.ts';
import { Store } from '../../core/store/store.ts';
import { createLauncher, protocolField } from '../../core/targets/launcher.ts';
import type { LauncherKind } from '../../core/targets/launcher.ts';
import { LocalTarget } from '../../core/targets/local.ts';
import { REPO, tempDir, waitFor, writeWorkflow } from '../helpers.ts';

const FLOW = `version: 1
targets: { local: { type: local, max_parallel: 1 } }
defaults: { retries: 0 }
tasks:
  # Input is /dev/null: cat adds nothing (and does not wait).
  ok: { run: 'echo "out $FLOTILLA_TASK_ID"; echo err >&2; cat >> ledger; echo ok >> ledger' }
  bad: { run: 'echo bad >> ledger; exit 3', after: ok }
  "odd name's $(x)": { run: 'printf "%s" "$FLOTILLA_TASK_ID" > odd.txt', after: bad }
`;

/** Runs a workflow (FLOW unless given) on a local target whose processes start through the given launcher. */
async function runWith(kind: LauncherKind, t: Parameters<typeof tempDir>[0], flow = FLOW, before?: (store: Store, runId: string) => void) {
  const dir = tempDir(t);
  const store = Store.open(path.join(dir, 'home'));
  t.after(() => store.close());
  const plan = loadWorkflow(writeWorkflow(dir, flow));
  const runId = createRun(store, plan, {});
  before?.(store, runId);
  const target = new LocalTarget(plan.targets.local!, { launcher: createLauncher(1, { ...process.env, FLOTILLA_LAUNCHER: kind }) });
  const state = await new Runner(store, runId, { targets: { local: target } }).drive();
  return { dir, store, runId, state };
}

describe('launchers', () => {
  for (const kind of ['c', 'perl', 'node'] as const) {
    it(`the ${kind} launcher runs attempts with logs, exit codes and status markers`, async (t) => {
      const { dir, store, runId, state } = await runWith(kind, t);
      assert.equal(state, 'failed');
      const attempts = store.attempts(runId);
      assert.deepEqual(attempts.slice(0, 2).map((a) => [a.taskIdx, a.state, a.exitCode]), [[0, 'succeeded', 0], [1, 'failed', 3]]);
      // The C launcher may have been handed the last task chained behind `bad` (when `ok`
      // was still running then); it never started.
      assert.deepEqual(attempts.slice(2).map((a) => [a.taskIdx, a.state]), kind === 'c' && attempts.length === 3 ? [[2, 'withdrawn']] : []);
      assert.equal(readFileSync(attempts[0]!.stdout, 'utf8'), 'out ok\n');
      assert.equal(readFileSync(attempts[0]!.stderr, 'utf8'), 'err\n');
      if (kind === 'c') {
        // With the core there to record them, the C launcher writes no markers (and no empty logs).
        assert.ok(!existsSync(attempts[1]!.marker));
        assert.ok(!existsSync(attempts[1]!.stdout));
      } else {
        const marker = readFileSync(attempts[1]!.marker, 'utf8');
        assert.match(marker, new RegExp(`^pid ${attempts[1]!.pid}$`, 'm'));
        assert.match(marker, /^exit 3$/m);
      }
      assert.equal(readFileSync(path.join(dir, 'ledger'), 'utf8'), 'ok\nbad\n');
      assert.equal(store.findTask(runId, "odd name's $(x)")!.state, 'blocked');
    });

    it(`the ${kind} launcher runs a task whose id is 300 bytes long and keeps its output`, async (t) => {
      const long = `${'ü'.repeat(100)}${'x'.repeat(100)}`;
      const { store, runId, state } = await runWith(kind, t, `version: 1
tasks:
  ${long}: { run: 'echo out; echo err >&2; exit 4', retries: 0 }
  ${long}2: { run: 'echo second' }
`);
      assert.equal(state, 'failed');
      const [first, second] = store.attempts(runId);
      assert.equal(first!.exitCode, 4);
      assert.equal(readFileSync(first!.stdout, 'utf8'), 'out\n');
      assert.equal(readFileSync(first!.stderr, 'utf8'), 'err\n');
      assert.equal(readFileSync(second!.stdout, 'utf8'), 'second\n');
      assert.notEqual(path.basename(first!.stdout), path.basename(second!.stdout));
      assert.ok(Buffer.byteLength(path.basename(first!.marker)) < 200);
    });

    it(`the ${kind} launcher: output that cannot be saved to its log fails the attempt, which says why`, async (t) => {
      const { dir, store, runId, state } = await runWith(
        kind,
        t,
        `version: 1
tasks:
  t: { run: 'echo out; echo err >&2', retries: 0 }
  next: { run: touch next.txt, after: t }
`,
        // A folder is where its stderr log goes (as on a full disk, it cannot be written).
        (store, id) => mkdirSync(path.join(store.home, 'runs', id, 't.1.err'), { recursive: true }),
      );
      assert.equal(state, 'failed');
      const [attempt, ...rest] = store.attempts(runId);
      assert.equal(attempt!.state, 'failed');
      assert.match(attempt!.reason ?? '', kind === 'c' ? /^output lost: 4 bytes of its stderr could not be written to the log file \(Is a directory\)$/ : /^output lost: its stderr log file could not be created \(EISDIR: illegal operation on a directory\)$/);
      // The C launcher ran the task (exit 0, stdout kept); a shell that cannot open its log runs nothing.
      if (kind === 'c') {
        assert.equal(attempt!.exitCode, 0);
        assert.equal(readFileSync(attempt!.stdout, 'utf8'), 'out\n');
      } else assert.equal(attempt!.exitCode, 2);
      assert.deepEqual(rest.map((a) => a.state), kind === 'c' && rest.length > 0 ? ['withdrawn'] : [], 'what waits for it never starts');
      assert.equal(store.findTask(runId, 'next')!.state, 'blocked');
      assert.ok(!existsSync(path.join(dir, 'next.txt')));
    });

    it(`the ${kind} launcher starts an attempt in a process group of its own, with no signal blocked or ignored`, async (t) => {
      // The launcher itself ignores SIGINT, SIGHUP, SIGTERM and SIGPIPE and catches SIGCHLD;
      // none of that may reach the task (a task ignoring SIGTERM outlives its cancel's grace).
      const { dir, store, runId, state } = await runWith(kind, t, `version: 1
tasks:
  look: { run: 'grep -E "^Sig(Blk|Ign)" /proc/self/status > signals.txt; set -- $(cat /proc/$$/stat); echo "$1 $5" > group.txt' }
`);
      assert.equal(state, 'succeeded');
      assert.equal(readFileSync(path.join(dir, 'signals.txt'), 'utf8'), 'SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n');
      const [pid, group] = readFileSync(path.join(dir, 'group.txt'), 'utf8').trim().split(' ');
      assert.equal(group, pid, 'the shell leads its own process group');
      assert.equal(Number(pid), store.attempts(runId)[0]!.pid);
    });

    it(`the ${kind} launcher: cancelling drops attempts that wait for a slot and kills the running one`, async (t) => {
      const dir = tempDir(t);
      const store = Store.open(path.join(dir, 'home'));
      t.after(() => store.close());
      const plan = loadWorkflow(
        writeWorkflow(dir, `version: 1
targets: { local: { type: local, max_parallel: 1 } }
tasks:
  first: { run: 'touch first.started; sleep 60' }
  second: { run: 'echo second >> ledger' }
  third: { run: 'echo third >> ledger' }
`),
      );
      const runId = createRun(store, plan, {});
      const target = new LocalTarget(plan.targets.local!, { killGraceMs: 500, launcher: createLauncher(1, { ...process.env, FLOTILLA_LAUNCHER: kind }) });
      const runner = new Runner(store, runId, { targets: { local: target } });
      const done = runner.drive();
      await waitFor(() => existsSync(path.join(dir, 'first.started')), 'the first task to start');
      runner.cancelRun();
      assert.equal(await done, 'cancelled');
      assert.ok(!existsSync(path.join(dir, 'ledger')), 'no queued attempt ran');
      assert.deepEqual(store.taskStates(runId).map((task) => task.state), ['cancelled', 'cancelled', 'cancelled']);
    });

    it(`the ${kind} launcher gets scripts and folders with tabs, newlines and backslashes as they are`, async (t) => {
      // A tab, a backslash and a line break in the script; a backslash in the working folder.
      const { dir, state } = await runWith(kind, t, `version: 1
tasks:
  odd:
    cwd: 'back\\slash'
    run: |
      printf '%s\\n' 'a\tb' 'c\\d' > out.txt
      printf 'second\\n' >> out.txt
`);
      assert.equal(state, 'succeeded');
      assert.equal(readFileSync(path.join(dir, 'back\\slash', 'out.txt'), 'utf8'), 'a\tb\nc\\d\nsecond\n');
    });
  }
});

describe('the helper launchers reading a request', () => {
  const helpers = { c: [path.join(REPO, 'out', 'launcher')], perl: ['perl', path.join(REPO, 'resources', 'launcher.pl')] };
  for (const [kind, [program, ...args]] of Object.entries(helpers)) {
    it(`the ${kind} launcher refuses a field with an unknown escape, and runs the next request`, async (t) => {
      const dir = tempDir(t);
      const helper = spawn(program!, [...args, '1'], { cwd: dir, stdio: ['pipe', 'pipe', 'inherit'] });
      t.after(() => helper.kill('SIGKILL'));
      const files = (id: string) => ['status', 'out', 'err'].map((name) => protocolField(path.join(dir, `${id}.${name}`)));
      let seen = '';
      helper.stdout!.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        if (/^exit 2 /m.test(seen)) helper.stdin!.end('bye\n');
      });
      const ended = new Promise<number | null>((resolve) => helper.once('exit', resolve));
      // `\x` is no escape the core writes; the line after it is fine.
      const script = "printf '%s\\n' 'back\\x' > ";
      helper.stdin!.write(`${['1', '/bin/sh', `${script}one.txt`, ...files('1')].join('\t')}\n${['2', '/bin/sh', protocolField(`${script}two.txt`), ...files('2')].join('\t')}\n`);
      assert.equal(await ended, 0);
      assert.match(seen, /^failed 1 field 2 of the request has an unknown escape$/m);
      assert.ok(!existsSync(path.join(dir, 'one.txt')));
      assert.match(seen, /^exit 2 0 0\b/m);
      assert.equal(readFileSync(path.join(dir, 'two.txt'), 'utf8'), 'back\\x\n');
    });
  }
});

describe('the C launcher following edges', () => {
  it('starts a launch once its `after` launches exit 0, and withdraws it (and what follows it) otherwise', async (t) => {
    const dir = tempDir(t);
    const launcher = createLauncher(2, { ...process.env, FLOTILLA_LAUNCHER: 'c' });
    t.after(() => launcher.dispose());
    assert.ok(launcher.followsEdges);
    const outcome = new Map<string, string>();
    const launch = (name: string, script: string, after: number[] = []) =>
      launcher.launch(
        { shell: '/bin/sh', script: `cd ${dir} && ${script} && echo ${name} >> ledger`, marker: path.join(dir, `${name}.status`), stdout: path.join(dir, `${name}.out`), stderr: path.join(dir, `${name}.err`), folders: [dir], after },
        {
          onStarted: () => {},
          onExit: (code) => outcome.set(name, `exit ${code}`),
          onFailed: (message) => outcome.set(name, `failed ${message}`),
          onWithdrawn: () => outcome.set(name, 'withdrawn'),
        },
      );
    const a = launch('a', 'sleep 0.1');
    const b = launch('b', 'true', [a.id]);
    const bad = launch('bad', 'sleep 0.1; exit 3');
    const c = launch('c', 'true', [b.id, bad.id]);
    launch('d', 'true', [c.id]);
    launch('unknown', 'true', [9999]);
    await waitFor(() => outcome.size === 6, 'every launch to end');
    assert.deepEqual(Object.fromEntries(outcome), { a: 'exit 0', b: 'exit 0', bad: 'exit 3', c: 'withdrawn', d: 'withdrawn', unknown: 'withdrawn' });
    assert.deepEqual(readFileSync(path.join(dir, 'ledger'), 'utf8').split('\n').filter(Boolean).sort(), ['a', 'b']);

    // A launch waiting behind a running one is dropped on request; the running one goes on.
    const slow = launch('slow', 'sleep 0.3');
    const behind = launch('behind', 'true', [slow.id]);
    behind.drop();
    await waitFor(() => outcome.has('slow'), 'the slow launch to end');
    assert.equal(outcome.get('behind'), 'withdrawn');
    assert.equal(outcome.get('slow'), 'exit 0');
  });

  it('still starts a launch whose `after` launch succeeded and was acknowledged while it waited for a slot', async (t) => {
    const dir = tempDir(t);
    const launcher = createLauncher(1, { ...process.env, FLOTILLA_LAUNCHER: 'c' });
    t.after(() => launcher.dispose());
    const outcome = new Map<string, string>();
    const launch = (name: string, script: string, after: number[] = []) =>
      launcher.launch(
        { shell: '/bin/sh', script, marker: path.join(dir, `${name}.status`), stdout: path.join(dir, `${name}.out`), stderr: path.join(dir, `${name}.err`), folders: [dir], after },
        {
          onStarted: () => {},
          // The core records the end, then acknowledges it: the launcher may forget the attempt.
          onExit: (code) => {
            outcome.set(name, `exit ${code}`);
            launcher.committed();
          },
          onFailed: (message) => outcome.set(name, `failed ${message}`),
          onWithdrawn: () => outcome.set(name, 'withdrawn'),
        },
      );
    // One slot: `next` takes it when `first` ends, so `then` (after `first`) waits for a slot
    // past the acknowledgement of `first`.
    const first = launch('first', 'sleep 0.1');
    launch('next', 'sleep 0.3');
    launch('then', 'true', [first.id]);
    await waitFor(() => outcome.size === 3, 'every launch to end');
    assert.deepEqual(Object.fromEntries(outcome), { first: 'exit 0', next: 'exit 0', then: 'exit 0' });
  });

  it('refuses a request whose id is not a positive integer, and one waiting for such an id', async (t) => {
    const dir = tempDir(t);
    const helper = spawn(path.join(REPO, 'out', 'launcher'), ['1'], { cwd: dir, stdio: ['pipe', 'pipe', 'inherit'] });
    t.after(() => helper.kill('SIGKILL'));
    const line = (id: string) => [id, protocolField('/bin/sh'), protocolField('echo ran >> ran'), ...['status', 'out', 'err'].map((name) => protocolField(path.join(dir, `${name}`)))].join('\t');
    let seen = '';
    helper.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      // Ends are reported only while the core is there: go once the good one has ended.
      if (/^exit 8 /m.test(seen)) helper.stdin!.end('bye\n');
    });
    const ended = new Promise<number | null>((resolve) => helper.once('exit', resolve));
    helper.stdin!.write(`${line('x')}\n${line('0')}\n${line('7<y')}\n${line('8')}\n`);
    assert.equal(await ended, 0);
    assert.match(seen, /^failed x the launcher takes positive integer ids$/m);
    assert.match(seen, /^failed 0 the launcher takes positive integer ids$/m);
    assert.match(seen, /^failed 7 it waits for an id that cannot be read$/m);
    // The good one still ran.
    assert.match(seen, /^exit 8 0 0 \d+$/m);
  });

  it('exits once the core is gone, also with a launch still queued behind a kept attempt', async (t) => {
    const dir = tempDir(t);
    const helper = spawn(path.join(REPO, 'out', 'launcher'), ['1'], { stdio: ['pipe', 'pipe', 'inherit'] });
    t.after(() => helper.kill('SIGKILL'));
    const line = (id: string, script: string) => [id, protocolField('/bin/sh'), protocolField(script), ...['status', 'out', 'err'].map((name) => protocolField(path.join(dir, `${id.replace(/<.*/, '')}.${name}`)))].join('\t');
    const ended = new Promise<number | null>((resolve) => helper.once('exit', resolve));
    let seen = '';
    helper.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      // `1` ended and is acknowledged while `3` (after it) waits for the slot `2` holds; then the core goes.
      if (seen.includes('exit 1 ')) helper.stdin!.end('ack 1\n');
    });
    helper.stdin!.write(`${line('1', 'true')}\n${line('2', 'sleep 0.3')}\n${line('3<1', 'true')}\n`);
    const code = await Promise.race([ended, new Promise<string>((resolve) => setTimeout(() => resolve('still running'), 5000))]);
    assert.equal(code, 0);
    // Nothing new starts without a core to report to.
    assert.doesNotMatch(seen, /started 3 /);
  });

  it('exits after a goodbye once its attempts have ended, while its input is still open', async (t) => {
    const dir = tempDir(t);
    const helper = spawn(path.join(REPO, 'out', 'launcher'), ['1'], { cwd: dir, stdio: ['pipe', 'pipe', 'inherit'] });
    t.after(() => helper.kill('SIGKILL'));
    const fields = [protocolField('/bin/sh'), protocolField('sleep 0.3; echo done > done.txt'), ...['status', 'out', 'err'].map((name) => protocolField(path.join(dir, `1.${name}`)))];
    const ended = new Promise<number | null>((resolve) => helper.once('exit', resolve));
    // The core's process may outlive its goodbye by a while: its input stays open here.
    helper.stdin!.write(`1\t${fields.join('\t')}\nbye\n`);
    const code = await Promise.race([ended, new Promise<string>((resolve) => setTimeout(() => resolve('still running'), 5000))]);
    assert.equal(code, 0);
    // It waited for the attempt, and recorded its end in the marker: the core was not there to.
    assert.equal(readFileSync(path.join(dir, 'done.txt'), 'utf8'), 'done\n');
    assert.match(readFileSync(path.join(dir, '1.status'), 'utf8'), /^(pid \d+\n)+exit 0\n$/);
  });
});

describe('the C launcher holding its reports', () => {
  /**
   * Runs `1` (script `first`) and `2` (`sleep 0.5`) on two slots after the `hold` line, and
   * returns the chunks the launcher wrote, as the core reads them.
   */
  async function chunks(t: Parameters<typeof tempDir>[0], hold: string, first: string): Promise<string[]> {
    const dir = tempDir(t);
    const helper = spawn(path.join(REPO, 'out', 'launcher'), ['2'], { cwd: dir, stdio: ['pipe', 'pipe', 'inherit'] });
    t.after(() => helper.kill('SIGKILL'));
    const line = (id: string, script: string) => [id, protocolField('/bin/sh'), protocolField(script), ...['status', 'out', 'err'].map((name) => protocolField(path.join(dir, `${id}.${name}`)))].join('\t');
    const seen: string[] = [];
    helper.stdout!.on('data', (chunk: Buffer) => {
      seen.push(chunk.toString());
      if (seen.join('').includes('exit 2 ')) helper.stdin!.end('bye\n');
    });
    const ended = new Promise<number | null>((resolve) => helper.once('exit', resolve));
    helper.stdin!.write(`${hold}${line('1', first)}\n${line('2', 'sleep 0.5')}\n`);
    assert.equal(await ended, 0);
    return seen;
  }
  const chunkWith = (seen: string[], text: string) => seen.findIndex((chunk) => chunk.includes(text));

  it('holds a success while it holds as many launches as the core asked, and sends it with the next report that cannot wait', async (t) => {
    const seen = await chunks(t, 'hold 1 5000 0\n', 'true');
    // `1` ended while `2` ran: one launch held, as asked, and no core work waiting for the slot.
    assert.equal(chunkWith(seen, 'exit 1 0 0 '), chunkWith(seen, 'exit 2 0 0 '), `the ends came in one write: ${JSON.stringify(seen)}`);
  });

  // Reports that go before the end of `2`, each for its own reason.
  const atOnce: [string, string, string, string][] = [
    ['a success that idles a slot while the core has launches ready', 'hold 1 5000 1\n', 'true', 'exit 1 0 0 '],
    ['a failure', 'hold 1 5000 0\n', 'exit 3', 'exit 1 3 0 '],
    ['a success once held as long as the core allows', 'hold 1 100 0\n', 'true', 'exit 1 0 0 '],
    ['a success when the core has not asked it to hold any', '', 'true', 'exit 1 0 0 '],
  ];
  for (const [what, hold, first, end] of atOnce) {
    it(`reports ${what} before the next end`, async (t) => {
      const seen = await chunks(t, hold, first);
      assert.ok(chunkWith(seen, end) < chunkWith(seen, 'exit 2 0 0 '), JSON.stringify(seen));
    });
  }
});

describe('the local target with a queueing launcher', () => {
  it('keeps more attempts ahead in the launcher for short tasks than for long ones', async (t) => {
    const dir = tempDir(t);
    const target = new LocalTarget({ name: 'local', type: 'local', maxParallel: 2 } as never, { launcher: createLauncher(2, { ...process.env, FLOTILLA_LAUNCHER: 'c' }) });
    t.after(() => target.dispose());
    // Before anything ran: one attempt ahead per slot.
    assert.equal(target.capacity, 4);
    const runAll = async (script: string, count: number) => {
      let ended = 0;
      for (let n = 1; n <= count; n++) {
        const task = { id: `t${n}`, run: script, env: {}, shell: 'sh', resources: {}, outputs: [], inputs: [] } as never;
        const files = Object.fromEntries(['stdout', 'stderr', 'marker'].map((name) => [name, path.join(dir, `${script.length}.${n}.${name}`)]));
        target.start(
          { runId: 'r', task, n: 1, cwd: dir, dir, ...files } as never,
          { onSubmitted: () => {}, onStarted: () => {}, onExit: () => ended++, onWithdrawn: () => assert.fail('withdrawn') },
        );
      }
      await waitFor(() => ended === count, `${count} attempts of '${script}' to end`);
      target.committed();
    };
    await runAll('true', 12);
    // Attempts of a few milliseconds: many ahead, so the core commits their ends in batches.
    assert.ok(target.capacity >= 2 * 8, `capacity ${target.capacity} after short attempts`);
    await runAll('sleep 0.2', 12);
    // Attempts longer than the look-ahead: back to one ahead per slot.
    assert.equal(target.capacity, 4);
  });

  it('has its launcher hold reports while it holds more than the core tops up, unless the core has work for an idle slot', () => {
    const holds: [number, number, boolean][] = [];
    const launcher = {
      queues: true, capturesOutput: true, followsEdges: true,
      launch: () => ({ id: 1, drop: () => {} }), committed: () => {}, dispose: () => {},
      holdReports: (below: number, ms: number, coreHasReady: boolean) => holds.push([below, ms, coreHasReady]),
    };
    // Attempts of 2 ms: 50 ahead per slot, 102 handed out; the core tops up below 2 + 50.
    const target = new LocalTarget({ name: 'local', type: 'local', maxParallel: 2 } as never, { launcher, expectedRunMs: 2 });
    assert.equal(target.capacity, 102);
    assert.deepEqual(holds.at(-1), [52, 20, false]);
    target.readyWaiting(true);
    assert.deepEqual(holds.at(-1), [52, 20, true]);
    target.readyWaiting(false);
    assert.deepEqual(holds.at(-1), [52, 20, false]);
  });

  it('starts from how long attempts ran in the workflow’s last run, when there was one', (t) => {
    const make = (expectedRunMs: number | undefined) => {
      const target = new LocalTarget({ name: 'local', type: 'local', maxParallel: 2 } as never, { launcher: createLauncher(2, { ...process.env, FLOTILLA_LAUNCHER: 'c' }), ...(expectedRunMs === undefined ? {} : { expectedRunMs }) });
      t.after(() => target.dispose());
      return target.capacity;
    };
    assert.equal(make(undefined), 4);
    assert.equal(make(2), 2 * (1 + 50));
    assert.equal(make(0), 2 * (1 + 64));
    assert.equal(make(60_000), 4);
  });
});
