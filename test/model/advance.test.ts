/**
 * Whether a loop could go on on its cluster without Flotilla, or why not (said by `validate`,
 * `--dry-run` and the app).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { remoteAdvance } from '../../core/model/advance.ts';
import { loadWorkflow } from '../../core/model/load.ts';
import { cli, tempDir, workspace, writeWorkflow } from '../helpers.ts';

const HEAD = `version: 1
params: { target: 3, list: [1, 2] }
targets:
  hpc: { type: slurm, host: hpc, root: flotilla }
  other: { type: slurm, host: other, root: flotilla }
  box: { type: ssh, host: box, root: flotilla }
tasks:
  prep: { run: 'true' }
`;

describe('whether a loop could advance on its cluster', () => {
  const advance = (t: Parameters<typeof tempDir>[0], loop: string, until = 'tasks.check.values.done') => {
    const plan = loadWorkflow(writeWorkflow(tempDir(t), `${HEAD}  md:\n    repeat: { until: "${until}", max: 5 }\n    target: hpc\n    tasks:\n${loop}`));
    return remoteAdvance(plan, plan.tasks.find((task) => task.id === 'md')!);
  };
  const CHECK = "      check: { after: run, run: 'echo done=true >> $FLOTILLA_VALUES' }\n";

  it('could, with every task on one remote target, the same inputs each time, and until reading the iteration, params and indices', (t) => {
    assert.deepEqual(advance(t, `      run: { run: 'echo {{ repeat.index }}', inputs: [data.txt] }\n${CHECK}`), { target: 'hpc' });
    assert.deepEqual(advance(t, `      run: { run: 'true' }\n${CHECK}`, 'tasks.check.values.done or repeat.index >= params.target'), { target: 'hpc' });
  });

  it('could not, and says why', (t) => {
    const cases: [string, string, string?][] = [
      [`      run: { run: 'true', target: local }\n${CHECK}`, 'task md#0/run runs on this machine'],
      [`      run: { run: 'true', target: other }\n${CHECK}`, 'its tasks run on other and hpc'],
      [`      run: { run: 'true', when: "params.target > 1" }\n${CHECK}`, 'task md#0/run has a condition (when), decided by Flotilla'],
      [`      run: { run: 'true', inputs: ['in-{{ repeat.index }}.txt'] }\n${CHECK}`, 'the inputs of md#0/run change with the iteration (Flotilla stages them)'],
      [`      run: { run: 'true', outputs: [out.txt] }\n${CHECK}`, 'md#0/run may reuse a result only Flotilla knows (cache: false lets the cluster go on)'],
      [`      run: { run: 'echo {{ k }}', foreach: { k: [1, 2] } }\n${CHECK}`, 'md/run is swept inside it (a job array Flotilla submits)'],
      [`      run: { run: 'true' }\n      inner:\n        repeat: { until: "true", max: 2 }\n        tasks: { a: { run: 'true' } }\n${CHECK}`, 'the loop md#0/inner inside it is decided by Flotilla'],
      [`      run: { run: 'true' }\n${CHECK}`, 'until reads tasks.prep.values.x, a task outside the loop', 'tasks.prep.values.x'],
      [`      run: { run: 'true' }\n${CHECK}`, 'until reads params.list, which is not a plain value', 'tasks.check.values.done or params.list == 1'],
      [`      run: { run: 'true' }\n${CHECK}`, 'until reads into a value (tasks.check.values.done.x): the cluster compares plain values only', 'tasks.check.values.done.x'],
      [`      run: { run: 'true' }\n${CHECK}`, 'until reads tasks.run.skipped, which Flotilla decides', 'tasks.run.skipped'],
    ];
    for (const [loop, reason, until] of cases) assert.deepEqual(advance(t, loop, until), { reason }, reason);
    const ssh = loadWorkflow(writeWorkflow(tempDir(t), `${HEAD}  md:\n    repeat: { until: "true", max: 5 }\n    target: box\n    tasks: { run: { run: 'true' } }\n`));
    assert.deepEqual(remoteAdvance(ssh, ssh.tasks[1]!), { target: 'box' }, 'a plain host goes on too');
    const foreach = loadWorkflow(writeWorkflow(tempDir(t), `${HEAD}  m: { foreach: { x: "{{ tasks.prep.values.xs }}" }, target: hpc, run: 'true' }\n`));
    assert.deepEqual(remoteAdvance(foreach, foreach.tasks[1]!), { reason: 'its instances are made from values Flotilla reads' });
  });

  it('is said by validate and --dry-run', (t) => {
    const { home, file } = workspace(t, `${HEAD}  md:\n    repeat: { until: "tasks.check.values.done", max: 5 }\n    target: hpc\n    tasks:\n      run: { run: 'true' }\n      check: { after: run, run: 'echo done=true >> $FLOTILLA_VALUES' }\n`);
    assert.match(cli(['validate', file], { home }).stdout, /^  loop md \(at most 5 iterations\): advances on hpc while Flotilla is away$/m);
    assert.match(cli(['run', '--dry-run', file], { home }).stdout, /; it advances on hpc while Flotilla is away; iteration 0 would run:/);
  });
});
