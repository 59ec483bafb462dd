/**
 * A foreach over a value a task publishes: its instances are made once the value is recorded,
 * with the ids a sweep gives; an empty list skips it; a failed instance is retried alone;
 * a value that is not a list, or too many instances, fails it with the reason.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadWorkflow } from '../../core/model/load.ts';
import { Runner } from '../../core/scheduler/runner.ts';
import { createRun } from '../../core/scheduler/runs.ts';
import { Store } from '../../core/store/store.ts';
import { tempDir, writeWorkflow } from '../helpers.ts';

async function run(t: Parameters<typeof tempDir>[0], text: string) {
  const dir = tempDir(t);
  const store = Store.open(path.join(dir, 'home'));
  t.after(() => store.close());
  const runId = createRun(store, loadWorkflow(writeWorkflow(dir, text)), {});
  const state = await new Runner(store, runId).drive();
  const ledgerFile = path.join(dir, 'ledger');
  const ledger = () => (existsSync(ledgerFile) ? readFileSync(ledgerFile, 'utf8').trim().split('\n') : []);
  const tasks = () => new Map(store.taskStates(runId).map((task) => [task.id, task]));
  return { dir, store, runId, state, ledger, tasks };
}

describe('a foreach over a published value', () => {
  it('makes one instance per element once the value is recorded; what runs after the node runs after all of them', async (t) => {
    const { state, ledger, tasks } = await run(t, `version: 1
defaults: { retries: 0 }
tasks:
  plan: { run: 'echo "models=[{\\"name\\": \\"a\\"}, {\\"name\\": \\"b\\"}]" >> "$FLOTILLA_VALUES"; echo "size=[1, 2]" >> "$FLOTILLA_VALUES"' }
  models:
    foreach: { m: "{{ tasks.plan.values.models }}", n: "{{ tasks.plan.values.size }}" }
    tasks:
      fit: { run: 'echo "$FLOTILLA_TASK_ID {{ m.name }} {{ n }}" >> ../ledger' , cwd: 'fit-{{ m.name }}-{{ n }}' }
  reduce: { after: models, run: 'echo reduce >> ledger' }
`);
    assert.equal(state, 'succeeded');
    assert.deepEqual(ledger().slice(0, 4).sort(), ['models[0]/fit a 1', 'models[1]/fit a 2', 'models[2]/fit b 1', 'models[3]/fit b 2']);
    assert.equal(ledger()[4], 'reduce');
    assert.equal(tasks().get('models')!.state, 'succeeded');
    assert.match(tasks().get('models')!.reason ?? '', /its 4 tasks done/);
  });

  it('an empty list makes the node skipped (and what runs after it only), not failed', async (t) => {
    const { state, ledger, tasks } = await run(t, `version: 1
defaults: { retries: 0 }
tasks:
  plan: { run: 'echo "models=[]" >> "$FLOTILLA_VALUES"' }
  models: { foreach: { m: "{{ tasks.plan.values.models }}" }, run: 'echo {{ m }} >> ledger' }
  after_models: { after: models, run: 'echo after >> ledger' }
  reduce: { after: models, when: "true", run: 'echo reduce >> ledger' }
`);
    assert.equal(state, 'succeeded');
    assert.deepEqual(ledger(), ['reduce']);
    assert.equal(tasks().get('models')!.state, 'skipped');
    assert.match(tasks().get('models')!.reason ?? '', /an empty list, no instances/);
    assert.equal(tasks().get('after_models')!.state, 'skipped');
  });

  it('retrying one failed instance runs it alone; the instances that succeeded stay', async (t) => {
    const { dir, store, runId, state, ledger, tasks } = await run(t, `version: 1
defaults: { retries: 0 }
tasks:
  plan: { run: 'echo "ks=[1, 2, 3]" >> "$FLOTILLA_VALUES"' }
  work: { foreach: { k: "{{ tasks.plan.values.ks }}" }, run: 'echo "$FLOTILLA_TASK_ID" >> ledger; if [ {{ k }} = 2 ] && [ ! -e fixed ]; then exit 3; fi' }
  reduce: { after: work, run: 'echo reduce >> ledger' }
`);
    assert.equal(state, 'failed');
    assert.equal(tasks().get('work[1]')!.state, 'failed');
    assert.equal(tasks().get('work')!.state, 'blocked');
    writeFileSync(path.join(dir, 'fixed'), '');
    store.addRequest(runId, 'resubmit', { tasks: ['work[1]'] }, Date.now());
    assert.equal(await new Runner(store, runId).drive(), 'succeeded');
    assert.deepEqual(ledger().filter((line) => line !== 'reduce').sort(), ['work[0]', 'work[1]', 'work[1]', 'work[2]']);
    assert.equal(ledger().at(-1), 'reduce');
    assert.deepEqual(['work[0]', 'work[2]'].map((id) => tasks().get(id)!.attempts), [1, 1]);
  });

  it('a value that is not a list, or more instances than a run may have, fails the node with the reason', async (t) => {
    const notList = await run(t, `version: 1
defaults: { retries: 0 }
tasks:
  plan: { run: 'echo "models=3" >> "$FLOTILLA_VALUES"' }
  models: { foreach: { m: "{{ tasks.plan.values.models }}" }, run: 'true' }
`);
    assert.equal(notList.state, 'failed');
    assert.match(notList.tasks().get('models')!.reason ?? '', /its instances cannot be made: sweep values must be a list; '\{\{ tasks\.plan\.values\.models \}\}' gives 3/);
    const huge = await run(t, `version: 1
defaults: { retries: 0 }
tasks:
  plan: { run: 'echo "a=$(seq -s, 0 599 | sed "s/.*/[&]/")" >> "$FLOTILLA_VALUES"' }
  models: { foreach: { x: "{{ tasks.plan.values.a }}", y: "{{ tasks.plan.values.a }}" }, run: 'true' }
`);
    assert.equal(huge.state, 'failed');
    assert.match(huge.tasks().get('models')!.reason ?? '', /foreach gives 360,000 instances \(x: 600 × y: 600\); a workflow has at most 250,000 tasks/);
    assert.equal(huge.tasks().size, 2);
  });

  it('is checked when the workflow loads: the task it reads must exist and be one task; templates of its instances are checked', (t) => {
    const load = (text: string) => () => loadWorkflow(writeWorkflow(tempDir(t), text));
    assert.throws(load("version: 1\ntasks:\n  plan: { run: 'true' }\n  m: { foreach: { x: '{{ tasks.plann.values.xs }}' }, run: 'echo {{ x }}' }\n"), /'m' reads the values of 'plann', which does not exist \(did you mean 'plan'\?\)/);
    assert.throws(load("version: 1\ntasks:\n  plan: { foreach: { i: [1, 2] }, run: 'true' }\n  m: { foreach: { x: '{{ tasks.plan.values.xs }}' }, run: 'echo {{ x }}' }\n"), /foreach reads the values of 'plan', which is a sweep of 2 instances: name one task/);
    assert.throws(load("version: 1\ntasks:\n  plan: { run: 'true' }\n  m: { foreach: { x: '{{ tasks.plan.values.xs }}' }, run: 'echo {{ y }}' }\n"), /undefined template variable 'y'/);
    const plan = loadWorkflow(writeWorkflow(tempDir(t), "version: 1\ntasks:\n  plan: { run: 'true' }\n  m: { foreach: { x: '{{ tasks.plan.values.xs }}' }, run: 'echo {{ x.name }}' }\n  r: { after: m, run: 'true' }\n"));
    assert.deepEqual(plan.tasks.map((task) => [task.id, task.after]), [['plan', []], ['m', ['plan']], ['r', ['m']]]);
    assert.deepEqual(plan.tasks[1]!.loop?.foreach, { name: 'm', reads: { plan: 'plan' } });
  });
});
