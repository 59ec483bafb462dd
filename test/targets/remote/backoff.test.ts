/**
 * Polling manners, with a scripted stand-in for the cluster's connection: a scheduler that
 * answers with an error or slowly is asked less often, and every poll is one command.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TaskSpec } from '../../../core/model/types.ts';
import type { ExecResult } from '../../../core/ssh/connection.ts';
import type { Clusters } from '../../../core/targets/remote/clusters.ts';
import { RemoteTarget } from '../../../core/targets/remote/remote.ts';
import type { AttemptExit } from '../../../core/targets/target.ts';
import { waitFor } from '../../helpers.ts';

/** A connection that answers each command through `answer`, and records them. */
function fakeClusters(answer: (command: string) => string): { clusters: Clusters; commands: string[] } {
  const commands: string[] = [];
  const connection = {
    destination: 'fake',
    state: 'online',
    lastSeen: Date.now(),
    connect: async () => {},
    exec: async (_command: string, input?: string): Promise<ExecResult> => {
      const script = input ?? _command;
      commands.push(script);
      return { code: 0, signal: null, stdout: answer(script), stderr: '' };
    },
  };
  const clusters = { connection: () => connection, watch: () => () => {} } as unknown as Clusters;
  return { clusters, commands };
}

const task: TaskSpec = { id: 't', path: 't', run: 'true', shell: '/bin/sh', cwd: '', env: {}, target: 'hpc', resources: {}, retries: 0, inputs: [], outputs: [], cache: false, vars: {}, after: [] };

describe('slurm polling manners', () => {
  it('backs off while squeue fails, and returns to the interval once it answers', async () => {
    let failing = true;
    let exit: AttemptExit | undefined;
    const { clusters, commands } = fakeClusters((script) => {
      if (script === 'pwd') return '/home/me\n';
      if (script.includes('sbatch')) return 'submitted k1 42\n';
      const key = /printf '@a %s\\n' '?(k\d+)/.exec(script)?.[1] ?? 'k1';
      if (failing) return `@squeue\nq slurm_load_jobs error: Socket timed out on send/recv operation\n@squeue-rc 1\n@a ${key}\njob 42\n@end\n`;
      return `@squeue\nq 42|COMPLETED|None|x\n@squeue-rc 0\n@a ${key}\njob 42\nm start 1 node01 42\nm end 2 0 \n@end\n`;
    });
    const target = new RemoteTarget({ name: 'hpc', type: 'slurm', maxParallel: 10, host: 'fake', root: 'flotilla', pollSeconds: 1 }, { clusters, runId: 'r1', localRoot: '/tmp', pollMs: 50 });
    target.start(
      { runId: 'r1', task, n: 1, cwd: '/tmp', dir: '/tmp', marker: '/tmp/m', stdout: '/tmp/o', stderr: '/tmp/e' },
      { onStarted: () => {}, onExit: (value) => (exit = value), onWithdrawn: () => {} },
    );
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const failedPolls = commands.filter((command) => command.includes('squeue')).length;
    // 50 ms, then 100, 200, 400 (capped at 8×): about 5 polls in 1.5 s instead of 30.
    assert.ok(failedPolls >= 3 && failedPolls <= 8, `polls while squeue failed: ${failedPolls}`);
    assert.equal(exit, undefined, 'a failing squeue decides nothing');
    failing = false;
    await waitFor(() => exit, 'the end once squeue answers', 5_000);
    assert.deepEqual(exit, { exitCode: 0, signal: null, reason: null, schedulerState: 'COMPLETED', startedAt: 1000, endedAt: 2000 }, 'with the times of its markers');
    // Every command was a whole poll or the one submission: never one command per job.
    assert.ok(commands.every((command) => command === 'pwd' || command.includes('sbatch') || command.includes('@squeue')));
    target.dispose();
  });

  it('decides from the markers once squeue has forgotten a job (after MinJobAge)', async () => {
    const exits: Record<string, AttemptExit> = {};
    const markers: Record<string, string> = {
      done: 'job 7\nm start 1 node01 7\nm end 2 3 \n',
      vanished: 'job 8\nm start 1 node01 8\n',
    };
    const { clusters } = fakeClusters((script) => {
      if (script === 'pwd') return '/home/me\n';
      if (script.includes('sbatch')) return 'submitted k1 7\nsubmitted k2 8\n';
      // squeue answers, but neither job is in it any more.
      let out = '@squeue\n@squeue-rc 0\n';
      for (const [key, name] of [['k1', 'done'], ['k2', 'vanished']]) if (script.includes(`'${key}'`)) out += `@a ${key}\n${markers[name!]}`;
      return `${out}@end\n`;
    });
    const target = new RemoteTarget({ name: 'hpc', type: 'slurm', maxParallel: 10, host: 'fake', root: 'flotilla', pollSeconds: 1 }, { clusters, runId: 'r1', localRoot: '/tmp', pollMs: 50 });
    for (const id of ['done', 'vanished']) {
      target.start(
        { runId: 'r1', task: { ...task, id, path: id, resources: { cpus: Number(id.length) } }, n: 1, cwd: '/tmp', dir: '/tmp', marker: '/tmp/m', stdout: '/tmp/o', stderr: '/tmp/e' },
        { onStarted: () => {}, onExit: (value) => (exits[id] = value), onWithdrawn: () => {} },
      );
    }
    await waitFor(() => exits.done && exits.vanished, 'both ends', 5_000);
    target.dispose();
    assert.deepEqual(exits.done, { exitCode: 3, signal: null, reason: null, schedulerState: 'FAILED', startedAt: 1000, endedAt: 2000 });
    // Started, never ended, gone from the queue: killed without a trace (a node lost, SIGKILL).
    assert.equal(exits.vanished?.exitCode, null);
    assert.match(exits.vanished?.reason ?? '', /ended without an exit status/);
  });

  it('an answer cut short by a dropped connection decides nothing', async () => {
    let cut = true;
    const exits: AttemptExit[] = [];
    const { clusters } = fakeClusters((script) => {
      if (script === 'pwd') return '/home/me\n';
      if (script.includes('sbatch')) return 'submitted k1 42\n@end\n';
      // Cut: the queue no longer lists the job, and the markers never came.
      if (cut) return '@squeue\n@squeue-rc 0\n@a k1\njob 42\n';
      return '@squeue\n@squeue-rc 0\n@a k1\njob 42\nm start 1 node01 42\nm end 2 0 \n@end\n';
    });
    const target = new RemoteTarget({ name: 'hpc', type: 'slurm', maxParallel: 10, host: 'fake', root: 'flotilla', pollSeconds: 1 }, { clusters, runId: 'r1', localRoot: '/tmp', pollMs: 50 });
    target.start(
      { runId: 'r1', task, n: 1, cwd: '/tmp', dir: '/tmp', marker: '/tmp/m', stdout: '/tmp/o', stderr: '/tmp/e' },
      { onStarted: () => {}, onExit: (value) => exits.push(value), onWithdrawn: () => assert.fail('not withdrawn') },
    );
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(exits.length, 0, 'half an answer is no evidence that the job left the queue');
    cut = false;
    await waitFor(() => exits.length > 0, 'the end from a whole answer', 5_000);
    target.dispose();
    assert.deepEqual(exits.map((exit) => exit.exitCode), [0]);
  });
});
