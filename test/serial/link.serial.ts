/**
 * Cutting the link to the test cluster (test/cluster/outage.sh). Each cut affects every
 * connection to the cluster, so these run alone, after the other tests (see `npm test`).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { RemoteTarget } from '../../core/targets/remote/remote.ts';
import { CLI, REPO, killHard, waitFor, writeWorkflow } from '../helpers.ts';
import { clusterLoop, facts, remoteHarness } from '../targets/remote/harness.ts';

const outage = path.join(import.meta.dirname, '..', 'cluster', 'outage.sh');

describe('link outages', { concurrency: 1 }, () => {
  it('a lost connection goes offline, then reconnects on its own with back-off (no prompt needed)', async (t) => {
    t.after(() => execFileSync(outage, ['up']));
    const h = remoteHarness(t, { reconnectMs: { first: 300, max: 1200 } });
    const states: string[] = [];
    const ssh = h.clusters.connection('cluster');
    h.clusters.watch('cluster', (status) => states.push(status.state));
    await ssh.connect();
    const seen = ssh.lastSeen!;
    // Connections to sshd are reset from now on, the established one as soon as it sends.
    execFileSync(outage, ['down', 'reject']);
    await assert.rejects(ssh.exec('true'));
    await waitFor(() => ssh.state === 'offline', 'the connection to be seen lost');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.notEqual(ssh.state, 'online', 'no connection while the link is cut');
    execFileSync(outage, ['up']);
    await waitFor(() => ssh.state === 'online', 'the connection to come back by itself', 10_000);
    assert.equal((await ssh.exec('echo back')).stdout, 'back\n');
    assert.ok(ssh.lastSeen! > seen);
    assert.ok(ssh.connections >= 3, `reconnect attempts made: ${ssh.connections}`);
    assert.deepEqual(states.slice(0, 3), ['connecting', 'online', 'offline']);
    assert.equal(states.at(-1), 'online');
  });

  it('a 60 s cut mid-run: the cluster is offline, not its tasks; jobs finish; reconciled on return, nothing lost', { timeout: 240_000 }, async (t) => {
    t.after(() => execFileSync(outage, ['up']));
    const h = remoteHarness(t, { sshConfig: '  ServerAliveInterval 2\n  ServerAliveCountMax 2\n', reconnectMs: { first: 5_000, max: 10_000 } });
    const run = h.start(`version: 1
targets:
  hpc: { type: slurm, host: cluster, root: ROOT, poll: 1 }
defaults: { target: hpc, retries: 0 }
tasks:
  a: { run: sleep 15; echo a > a.txt }
  b: { run: sleep 10; cat a.txt > b.txt; echo b >> b.txt, after: a, outputs: [b.txt] }
  x: { run: sleep 20; echo x > x.txt, outputs: [x.txt] }
`);
    await waitFor(() => h.states(run.runId).a === 'running' && h.states(run.runId).x === 'running', 'a and x to run');
    const target = run.targets.hpc as RemoteTarget;
    // The laptop loses the network: packets vanish.
    execFileSync(outage, ['down', 'drop']);
    const cutAt = Date.now();
    const connectionsAtCut = h.clusters.connection('cluster').connections;
    const offline = await waitFor(() => h.clusterEvents.find((status) => status.state === 'offline'), 'the cluster to be seen offline', 30_000);
    assert.ok(offline.lastSeen !== null && offline.lastSeen <= Date.now(), 'an offline cluster shows when it was last seen');
    const during = h.states(run.runId);
    assert.ok(!Object.values(during).some((state) => state === 'failed' || state === 'blocked'), `no task failed while offline: ${JSON.stringify(during)}`);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 60_000 - (Date.now() - cutAt))));
    const statesAtReturn = h.states(run.runId);
    // While cut, only the connection's back-off reconnects (5 s doubling to 10 s), although the
    // target polls every second: about 7 attempts in 60 s, not 60.
    const attempts = h.clusters.connection('cluster').connections - connectionsAtCut;
    assert.ok(attempts <= 10, `${attempts} connection attempts during the cut`);
    execFileSync(outage, ['up']);
    await waitFor(() => h.clusterEvents.at(-1)?.state === 'online', 'the cluster to come back', 30_000);
    const commandsAtReturn = target.commands;
    assert.equal(await run.done, 'succeeded', JSON.stringify(h.store.attempts(run.runId)));
    assert.ok(target.commands - commandsAtReturn <= 3, `reconciled in ${target.commands - commandsAtReturn} remote commands`);
    // Everything ended during the cut; the store learnt it only on return.
    assert.notDeepEqual(statesAtReturn, h.states(run.runId));
    assert.equal(h.store.attempts(run.runId).length, 3, 'nothing ran twice');
    assert.equal(readFileSync(path.join(h.dir, 'b.txt'), 'utf8'), 'a\nb\n');
    assert.equal(readFileSync(path.join(h.dir, 'x.txt'), 'utf8'), 'x\n');
  });

  it('a loop goes on on the cluster while the link is cut and the core is killed; on return one poll reads what it did, each iteration ran once', { timeout: 240_000 }, async (t) => {
    t.after(() => execFileSync(outage, ['up']));
    const h = remoteHarness(t, { sshConfig: '  ServerAliveInterval 2\n  ServerAliveCountMax 2\n' });
    const env = h.cliEnv();
    const file = writeWorkflow(h.dir, clusterLoop(h.root, 4, 2));
    const child = spawn(process.execPath, [CLI, 'run', file], { cwd: REPO, env: { ...process.env, ...env }, stdio: 'ignore' });
    const runId = await waitFor(() => {
      const run = h.store.listRuns(1)[0];
      return run && h.store.attempts(run.id).filter((attempt) => attempt.state === 'running').length > 0 && run.id;
    }, 'iteration 0 to run');
    // The laptop loses the network, then its Flotilla is gone too.
    execFileSync(outage, ['down', 'drop']);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await killHard(child);
    // The cluster is this machine: its files can be read while the link is cut.
    const loop = `${h.root}/${runId}/.flotilla/loops/md`;
    await waitFor(() => existsSync(path.join(facts.keyUser.home, loop, 'decided-4', 'answer')), 'the cluster to decide after iteration 4', 120_000);
    assert.equal(h.states(runId)['md#2/run'], undefined, 'the store has not seen iteration 2');
    execFileSync(outage, ['up']);
    const back = Date.now();
    const again = h.resume(runId);
    const target = again.targets.hpc as RemoteTarget;
    assert.equal(await again.done, 'succeeded', JSON.stringify(h.states(runId)));
    assert.ok(target.commands <= 3, `reconciled in ${target.commands} remote commands`);
    // The cluster decided after iterations 0–4 (and submitted 1–4) while the link was cut.
    const decided = h.onCluster(`for k in 0 1 2 3 4; do echo "$(stat -c %Y ${loop}/decided-$k) $(cat ${loop}/decided-$k/answer)"; done`).trim().split('\n');
    assert.deepEqual(decided.map((line) => line.split(' ').slice(1).join(' ')), ['value b 0', 'value b 0', 'value b 0', 'value b 0', 'value b 1']);
    assert.ok(decided.every((line) => Number(line.split(' ')[0]) * 1000 < back), decided.join('\n'));
    const attempts = h.store.attempts(runId);
    assert.equal(attempts.length, 10);
    assert.ok(attempts.every((attempt) => attempt.n === 1 && attempt.state === 'succeeded'));
    const jobs = h.onCluster(`squeue -h -t all -o %j`).split('\n').filter((name) => name.startsWith(`flotilla.${runId}.`));
    assert.equal(jobs.length, 10, 'every job submitted once');
    for (const k of [0, 1, 2, 3, 4]) assert.equal(readFileSync(path.join(h.dir, `segment-${k}`, 'out.txt'), 'utf8'), `${k}\n`);
  });

  it('a cancel made while the cluster is offline is applied when it returns', { timeout: 120_000 }, async (t) => {
    t.after(() => execFileSync(outage, ['up']));
    const h = remoteHarness(t, { reconnectMs: { first: 1_000, max: 2_000 } });
    const run = h.start(`version: 1
targets:
  hpc: { type: slurm, host: cluster, root: ROOT, poll: 1 }
defaults: { target: hpc, retries: 0 }
tasks:
  long: { run: sleep 300 }
`);
    await waitFor(() => h.states(run.runId).long === 'running', 'the job to run');
    execFileSync(outage, ['down', 'reject']);
    await waitFor(() => h.clusterEvents.some((status) => status.state === 'offline'), 'the cluster to be seen offline', 30_000);
    run.runner.cancelTask('long');
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    assert.equal(h.states(run.runId).long, 'running', 'nothing changes while the cluster cannot be reached');
    execFileSync(outage, ['up']);
    assert.equal(await run.done, 'failed');
    assert.deepEqual(h.states(run.runId), { long: 'cancelled' });
    const [attempt] = h.store.attempts(run.runId);
    // (COMPLETING for a moment while SLURM cleans up.)
    await waitFor(() => h.onCluster(`squeue -h -t all -j ${attempt!.jobId} -o %T`).trim() === 'CANCELLED', 'the job to be CANCELLED', 20_000);
  });

  it('a resume while the cluster cannot be reached does not wait for it; its jobs are adopted on return', { timeout: 120_000 }, async (t) => {
    t.after(() => execFileSync(outage, ['up']));
    const h = remoteHarness(t, { reconnectMs: { first: 1_000, max: 2_000 } });
    const run = h.start(`version: 1
targets:
  hpc: { type: slurm, host: cluster, root: ROOT, poll: 1 }
defaults: { retries: 0 }
tasks:
  remote: { target: hpc, run: sleep 6; echo remote > r.txt, outputs: [r.txt] }
  here: { target: local, run: sleep 1; echo here > here.txt }
  after here: { target: local, after: here, run: echo next > next.txt }
`);
    await waitFor(() => h.states(run.runId).remote === 'running', 'the job to run');
    run.runner.detach();
    assert.equal(await run.done, 'running');
    execFileSync(outage, ['down', 'reject']);
    const again = h.resume(run.runId);
    // The local branch goes on while the cluster is away.
    await waitFor(() => h.states(run.runId)['after here'] === 'succeeded', 'the local tasks to finish', 30_000);
    assert.equal(h.states(run.runId).remote, 'running');
    execFileSync(outage, ['up']);
    assert.equal(await again.done, 'succeeded', JSON.stringify(h.store.attempts(run.runId)));
    assert.equal(readFileSync(path.join(h.dir, 'r.txt'), 'utf8'), 'remote\n');
    assert.equal(h.store.attempts(run.runId).filter((attempt) => attempt.target === 'hpc').length, 1, 'adopted, not submitted again');
  });
});
