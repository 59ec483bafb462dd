import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadWorkflow } from '../../core/model/load.ts';
import { Runner } from '../../core/scheduler/runner.ts';
import { createRun } from '../../core/scheduler/runs.ts';
import { Store } from '../../core/store/store.ts';
import { createLauncher } from '../../core/targets/launcher.ts';
import type { LauncherKind } from '../../core/targets/launcher.ts';
import { LocalTarget } from '../../core/targets/local.ts';
import { tempDir, waitFor, writeWorkflow } from '../helpers.ts';

const FLOW = `version: 1
targets: { local: { type: local, max_parallel: 1 } }
defaults: { retries: 0 }
tasks:
  ok: { run: 'echo "out $FLOTILLA_TASK_ID"; echo err >&2; echo ok >> ledger' }
  bad: { run: 'echo bad >> ledger; exit 3', after: ok }
  "odd name's $(x)": { run: 'printf "%s" "$FLOTILLA_TASK_ID" > odd.txt', after: bad }
`;

/** Runs FLOW on a local target whose processes start through the given launcher. */
async function runWith(kind: LauncherKind, t: Parameters<typeof tempDir>[0]) {
  const dir = tempDir(t);
  const store = Store.open(path.join(dir, 'home'));
  t.after(() => store.close());
  const plan = loadWorkflow(writeWorkflow(dir, FLOW));
  const runId = createRun(store, plan, {});
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
      assert.deepEqual(attempts.map((a) => [a.taskIdx, a.state, a.exitCode]), [[0, 'succeeded', 0], [1, 'failed', 3]]);
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
  }
});
