/**
 * A run that grows while it runs (Runner.grow, what a loop's next iteration and a foreach over
 * a value will use): tasks added in one commit with their rows, released as their dependencies
 * allow, kept by a resume; a batch that names a task twice or an unknown dependency changes nothing.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadWorkflow } from '../../core/model/load.ts';
import type { TaskSpec } from '../../core/model/types.ts';
import { Runner } from '../../core/scheduler/runner.ts';
import type { RunnerEvent } from '../../core/scheduler/runner.ts';
import { createRun } from '../../core/scheduler/runs.ts';
import { Store } from '../../core/store/store.ts';
import { tempDir, waitFor, writeWorkflow } from '../helpers.ts';

function spec(base: TaskSpec, id: string, run: string, after: string[]): TaskSpec {
  return { ...base, id, path: id, run, after, outputs: [], cache: false };
}

describe('a run that grows', () => {
  it('runs the tasks added while it runs, after what they name; a resume keeps them', async (t) => {
    const dir = tempDir(t);
    const store = Store.open(path.join(dir, 'home'));
    t.after(() => store.close());
    // (`hold` keeps the run going while it grows, as a loop's control will.)
    const plan = loadWorkflow(writeWorkflow(dir, "version: 1\ndefaults: { retries: 0 }\ntasks:\n  first: { run: 'touch first.ran' }\n  hold: { run: 'sleep 2' }\n"));
    const runId = createRun(store, plan, {});
    const base = plan.tasks[0]!;
    const events: RunnerEvent[] = [];
    let grown = false;
    const runner: Runner = new Runner(store, runId, {
      onEvent: (event) => {
        events.push(event);
        if (event.type === 'task' && event.taskId === 'first' && event.to === 'succeeded' && !grown) {
          grown = true;
          // The next step, decided from what `first` did: two tasks in a chain.
          queueMicrotask(() => runner.grow([spec(base, 'next#0', 'touch next0.ran', ['first']), spec(base, 'next#1', 'sleep 1; touch next1.ran', ['next#0'])]));
        }
      },
    });
    const done = runner.drive();
    await waitFor(() => existsSync(path.join(dir, 'next0.ran')), 'the first grown task to run');
    // Refused whole, changing nothing: a task it already has, and one after a task it has not.
    assert.throws(() => runner.grow([spec(base, 'extra', 'true', []), spec(base, 'first', 'true', [])]), /already has a task 'first'/);
    assert.throws(() => runner.grow([spec(base, 'lost', 'true', ['nowhere'])]), /runs after 'nowhere', which run \S+ does not have/);
    // The driver stops while the last grown task runs; another picks the run up from the store.
    await waitFor(() => store.taskStates(runId).find((task) => task.id === 'next#1')?.state === 'running', 'the second grown task to start');
    runner.detach();
    assert.equal(await done, 'running');
    const again = await new Runner(store, runId).drive();
    assert.equal(again, 'succeeded');
    assert.deepEqual(store.taskStates(runId).map((task) => [task.id, task.state]), [['first', 'succeeded'], ['hold', 'succeeded'], ['next#0', 'succeeded'], ['next#1', 'succeeded']]);
    assert.ok(existsSync(path.join(dir, 'next1.ran')));
    assert.deepEqual(events.filter((event) => event.type === 'grew').map((event) => event.type === 'grew' && event.tasks), [['next#0', 'next#1']]);
    assert.ok(store.events(runId).some((event) => event.kind === 'grew' && event.detail === '2 tasks'));
  });
});
