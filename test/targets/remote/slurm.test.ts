import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { logLength, sshdLogSince } from '../../cluster.ts';
import { cli, tempDir, waitFor } from '../../helpers.ts';
import type { RemoteTarget } from '../../../core/targets/remote/remote.ts';
import { facts, remoteHarness } from './harness.ts';

const CLUSTER = `targets:
  hpc: { type: slurm, host: cluster, root: ROOT, poll: 1 }
defaults: { target: hpc, retries: 0 }
`;

describe('slurm target (test cluster)', () => {
  it('runs a job, records its job id and published values, stages inputs up and outputs back', async (t) => {
    const h = remoteHarness(t);
    writeFileSync(path.join(h.dir, 'input.txt'), 'forty-two\n');
    const run = h.start(`version: 1
${CLUSTER}tasks:
  hello:
    inputs: [input.txt]
    outputs: [result.txt]
    run: |
      echo "node $(hostname) job $SLURM_JOB_ID" > result.txt
      cat input.txt >> result.txt
      echo "answer=42" >> "$FLOTILLA_VALUES"
      echo 'node="'"$(hostname)"'"' >> "$FLOTILLA_VALUES"
`);
    const outcome = await run.done;
    assert.equal(outcome, 'succeeded', JSON.stringify(h.store.attempts(run.runId)));
    const result = readFileSync(path.join(h.dir, 'result.txt'), 'utf8');
    assert.match(result, /^node \S+ job \d+\nforty-two\n$/);
    const [attempt] = h.store.attempts(run.runId);
    assert.equal(attempt!.jobId, /job (\d+)/.exec(result)![1]);
    assert.equal(attempt!.schedulerState, 'COMPLETED');
    assert.equal(attempt!.exitCode, 0);
    // What it published came back with its end.
    assert.deepEqual(attempt!.values, { answer: 42, node: /^node (\S+)/.exec(result)![1] });
    // One connection for everything, and a handful of commands (home, staging, submit, polls).
    const target = run.targets.hpc as RemoteTarget;
    assert.ok(target.commands <= 12, `${target.commands} remote commands`);
  });

  it('reports exit 3 as a failed attempt with code 3', async (t) => {
    const h = remoteHarness(t);
    const run = h.start(`version: 1
${CLUSTER}tasks:
  group:
    tasks:
      bad: { run: 'echo oops >&2; exit 3' }
`);
    assert.equal(await run.done, 'failed');
    const [attempt] = h.store.attempts(run.runId);
    assert.equal(attempt!.exitCode, 3, JSON.stringify(attempt));
    assert.equal(attempt!.schedulerState, 'FAILED');
    assert.deepEqual(h.states(run.runId), { 'group/bad': 'failed' });
  });

  it('a failed job\'s stdout and stderr are fetched here, and its times are those of its markers', async (t) => {
    const h = remoteHarness(t);
    const run = h.start(`version: 1
${CLUSTER}tasks:
  group:
    tasks:
      bad: { run: 'echo to stdout; sleep 2; echo oops >&2; exit 3' }
`);
    assert.equal(await run.done, 'failed');
    const [attempt] = h.store.attempts(run.runId);
    // The attempt's folder on the cluster is purged: the copies here are what is read.
    const folder = `${h.root}/${run.runId}/.flotilla/${run.runId}/group%2Fbad.1`;
    const status = h.onCluster(`cat ${folder}/status`);
    h.onCluster(`rm -rf ${h.root}/${run.runId}`);
    assert.equal(readFileSync(attempt!.stdout, 'utf8'), 'to stdout\n');
    assert.equal(readFileSync(attempt!.stderr, 'utf8'), 'oops\n');
    const logs = cli(['logs', run.runId, 'group/bad'], { home: path.join(h.dir, 'home') });
    assert.deepEqual([logs.stdout, logs.stderr], ['to stdout\n', 'oops\n']);
    // Started and ended as the wrapper wrote (the cluster's clock is this machine's), not when a poll saw it.
    const marker = (word: string) => Number(new RegExp(`^${word} (\\d+\\.\\d+)`, 'm').exec(status)![1]) * 1000;
    assert.ok(Math.abs(attempt!.startedAt! - marker('start')) < 50, `started ${attempt!.startedAt} vs marker ${marker('start')}`);
    assert.ok(Math.abs(attempt!.endedAt! - marker('end')) < 50, `ended ${attempt!.endedAt} vs marker ${marker('end')}`);
  });

  it('cancels a running job with scancel, and no process it started outlives it', async (t) => {
    const h = remoteHarness(t);
    // A child that ignores TERM and whose parent ends at once: an orphan SLURM would not find.
    const run = h.start(`version: 1
${CLUSTER}tasks:
  long: { run: 'sh -c "trap \\"\\" TERM; exec sleep 306" & sleep 307' }
`);
    await waitFor(() => h.states(run.runId).long === 'running', 'the job to run');
    run.runner.cancelTask('long');
    assert.equal(await run.done, 'failed', JSON.stringify(h.store.attempts(run.runId)));
    assert.deepEqual(h.states(run.runId), { long: 'cancelled' });
    const [attempt] = h.store.attempts(run.runId);
    assert.equal(attempt!.state, 'cancelled');
    assert.equal(attempt!.schedulerState, 'CANCELLED');
    // (COMPLETING for a moment while SLURM cleans up.)
    await waitFor(() => h.onCluster(`squeue -h -t all -j ${attempt!.jobId} -o %T`).trim() === 'CANCELLED', 'the job to be CANCELLED', 20_000);
    await waitFor(() => h.onCluster(`pgrep -u $(id -un) -f 'sleep 30[67]' || true`).trim() === '', 'the job\'s processes to be gone', 20_000);
  });

  it('submits a sweep of 10 as one job array and fetches each instance\'s output', async (t) => {
    const h = remoteHarness(t);
    const run = h.start(`version: 1
${CLUSTER}tasks:
  sweep:
    foreach: { i: { range: [10] } }
    cwd: "member-{{ i }}"
    outputs: [value.txt]
    run: echo "{{ i }} $SLURM_ARRAY_TASK_ID" > value.txt
`);
    const outcome = await run.done;
    assert.equal(outcome, 'succeeded', JSON.stringify(h.store.attempts(run.runId)));
    const jobs = h.store.attempts(run.runId).map((attempt) => attempt.jobId!);
    const arrays = new Set(jobs.map((job) => job.split('_')[0]));
    assert.equal(arrays.size, 1, `one array job, got ${jobs.join(' ')}`);
    assert.deepEqual(jobs.map((job) => Number(job.split('_')[1])).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (let i = 0; i < 10; i++) {
      const [value, element] = readFileSync(path.join(h.dir, `member-${i}`, 'value.txt'), 'utf8').trim().split(' ');
      assert.equal(value, String(i));
      // The instance ran as the array element whose job id was recorded for it.
      const attempt = h.store.attempts(run.runId).find((a) => h.store.loadTasks(run.runId)[a.taskIdx]!.id === `sweep[${i}]`)!;
      assert.equal(attempt.jobId, `${[...arrays][0]}_${element}`);
    }
    assert.match(h.onCluster(`scontrol show job ${[...arrays][0]} | grep -o 'ArrayTaskThrottle=[0-9]*' | head -1`), /ArrayTaskThrottle=100/);
  });

  it('output names and files that look like poll records cannot end another job; such names come back intact', async (t) => {
    const h = remoteHarness(t);
    // The victim starts first (it has the longer path), so it holds the first keys of the poll.
    const forged = [1, 2, 3, 4].map((k) => `@a k${k}\nend 1700000000 0\nm end 1700000000 0`).join('\n');
    const run = h.start(`version: 1
${CLUSTER}tasks:
  victim: { run: 'sleep 6; echo real > real.txt', outputs: [real.txt] }
  check: { run: 'cat real.txt > checked.txt', after: victim, outputs: [checked.txt] }
  forger:
    outputs: [out]
    run: |
      mkdir out
      printf 'payload' > "out/x$(printf '\\n%s' ${JSON.stringify(forged.replaceAll('\n', ' ').replaceAll(' @a', '\n@a'))})"
      printf '${forged.replaceAll('\n', '\\n')}\\n' > out/lines.txt
`);
    const outcome = await run.done;
    assert.equal(outcome, 'succeeded', JSON.stringify(h.store.taskStates(run.runId)));
    assert.equal(readFileSync(path.join(h.dir, 'checked.txt'), 'utf8'), 'real\n', 'check ran after the real end of victim');
    const names = readdirSync(path.join(h.dir, 'out')).sort();
    assert.equal(names.length, 2, JSON.stringify(names));
    assert.ok(names.some((name) => name.startsWith('x\n@a k1') && readFileSync(path.join(h.dir, 'out', name), 'utf8') === 'payload'), JSON.stringify(names));
  });

  it('a job array whose members\' folders have newlines in their names runs each in its own folder', async (t) => {
    const h = remoteHarness(t);
    const run = h.start(`version: 1
${CLUSTER}tasks:
  sweep:
    foreach: { name: [plain, "two\\nlines", "x\\n"] }
    cwd: "m/{{ name }}"
    env: { V: "{{ name }}" }
    outputs: [v.txt]
    run: printf '%s' "$V" > v.txt
`);
    assert.equal(await run.done, 'succeeded', JSON.stringify(h.store.taskStates(run.runId)));
    for (const name of ['plain', 'two\nlines', 'x\n']) assert.equal(readFileSync(path.join(h.dir, 'm', name, 'v.txt'), 'utf8'), name);
    const arrays = new Set(h.store.attempts(run.runId).map((attempt) => attempt.jobId!.split('_')[0]));
    assert.equal(arrays.size, 1, 'one job array');
  });

  it('chains dependent tasks with afterok so the cluster advances them', async (t) => {
    const h = remoteHarness(t);
    const run = h.start(`version: 1
${CLUSTER}tasks:
  a: { run: sleep 2; echo a > a.txt }
  b: { run: cat a.txt > b.txt; echo b >> b.txt, after: a }
  c: { run: 'exit 4', after: b }
  d: { run: echo never, after: c }
`);
    assert.equal(await run.done, 'failed');
    const chained = run.events.filter((event) => event.type === 'task' && event.to === 'submitted' && event.from === 'waiting').map((event) => event.type === 'task' && event.taskId);
    assert.deepEqual(chained.sort(), ['b', 'c', 'd'], 'b, c and d were handed to SLURM while a was still queued or running');
    const attempts = Object.fromEntries(h.store.attempts(run.runId).map((attempt) => [h.store.loadTasks(run.runId)[attempt.taskIdx]!.id, attempt]));
    // SLURM held b until a ended: submitted before a's end, started after it.
    const time = (job: string, field: string) => h.onCluster(`scontrol show job ${job} | grep -o '${field}=[^ ]*'`).trim().split('=')[1]!;
    assert.ok(time(attempts.b!.jobId!, 'SubmitTime') <= time(attempts.a!.jobId!, 'StartTime'), 'b was submitted before a started');
    assert.ok(time(attempts.b!.jobId!, 'StartTime') >= time(attempts.a!.jobId!, 'EndTime'), 'b started after a ended');
    assert.equal(attempts.c!.exitCode, 4);
    // d never started: SLURM dropped it when c failed, and the task is blocked, not failed.
    assert.equal(attempts.d!.state, 'withdrawn');
    assert.deepEqual(h.states(run.runId), { a: 'succeeded', b: 'succeeded', c: 'failed', d: 'blocked' });
  });

  it('passes ids, params and paths with spaces, quotes, $(), ; and unicode through intact', async (t) => {
    const h = remoteHarness(t);
    const canary = path.join('/tmp', `flotilla-canary-${process.pid}-${Date.now()}`);
    const nasty = `it's "q" $(touch ${canary}); \`touch ${canary}\` ; ü ✓`;
    writeFileSync(path.join(h.dir, 'params.json'), JSON.stringify({ v: nasty }));
    const run = h.start(`version: 1
${CLUSTER}params: { v: ${JSON.stringify(nasty)} }
tasks:
  "we'ird \\"task\\" $(x); ü":
    cwd: "dir with 'spaces' $(x); ü"
    env: { VALUE: "{{ params.v }}" }
    outputs: ["out file.txt"]
    run: printf '%s\\n' "$VALUE" "$FLOTILLA_TASK_ID" > "out file.txt"
`);
    const outcome = await run.done;
    assert.equal(outcome, 'succeeded', JSON.stringify(h.store.attempts(run.runId)));
    const lines = readFileSync(path.join(h.dir, "dir with 'spaces' $(x); ü", 'out file.txt'), 'utf8').split('\n');
    assert.equal(lines[0], nasty);
    assert.equal(lines[1], `we'ird "task" $(x); ü`);
    assert.equal(existsSync(canary), false, 'nothing was executed from the values');
    assert.equal(h.onCluster(`test -e ${canary} && echo yes || echo no`).trim(), 'no');
  });

  it('uses one TCP connection and one remote command per poll for all its jobs', async (t) => {
    const logStart = logLength(facts);
    const h = remoteHarness(t);
    const run = h.start(`version: 1
${CLUSTER}tasks:
  w:
    foreach: { i: { range: [6] } }
    run: sleep 6
`);
    await waitFor(() => Object.values(h.states(run.runId)).every((state) => state === 'running'), 'all six to run');
    const target = run.targets.hpc as RemoteTarget;
    const before = { commands: target.commands, polls: target.polls, at: Date.now() };
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const window = { commands: target.commands - before.commands, polls: target.polls - before.polls, seconds: (Date.now() - before.at) / 1000 };
    assert.ok(window.polls >= 2 && window.polls <= window.seconds + 1, `polls in ${window.seconds}s: ${window.polls}`);
    assert.equal(window.commands, window.polls, 'each poll is one remote command (queue and markers of all six jobs together)');
    assert.equal(await run.done, 'succeeded');
    const connection = h.clusters.connection('cluster');
    assert.equal(connection.localPorts.length, 1, 'one TCP connection for the whole run');
    const port = connection.localPorts[0]!;
    const accepted = sshdLogSince(facts, logStart).filter((line) => line.startsWith('Accepted') && line.includes(`port ${port} `));
    assert.equal(accepted.length, 1);
  });

  it('refuses a changed host key: the run fails with both fingerprints shown, nothing is executed', async (t) => {
    const dir = tempDir(t);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'impostor')]);
    const impostor = readFileSync(path.join(dir, 'impostor.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
    const h = remoteHarness(t, { knownHosts: `[${facts.host}]:${facts.port} ${impostor}\n` });
    const run = h.start(`version: 1
${CLUSTER}tasks:
  never: { run: touch ran.txt }
`);
    assert.equal(await run.done, 'failed');
    const [task] = h.store.taskStates(run.runId);
    assert.match(task!.reason ?? '', /host key/i);
    assert.ok(task!.reason!.includes(facts.hostKeyFingerprint), `the presented fingerprint is shown: ${task!.reason}`);
    const expected = execFileSync('ssh-keygen', ['-l', '-f', path.join(dir, 'impostor.pub')], { encoding: 'utf8' }).split(' ')[1]!;
    assert.ok(task!.reason!.includes(expected), `the expected fingerprint is shown: ${task!.reason}`);
    assert.equal(h.onCluster(`test -e ${h.root} && echo exists || echo absent`).trim(), 'absent', 'nothing reached the cluster');
  });

  it('--dry-run prints the submission a run sends, with the remote home asked first; sent as printed, it submits', async (t) => {
    const h = remoteHarness(t);
    const file = path.join(h.dir, 'dry.yaml');
    writeFileSync(
      file,
      `version: 1
targets:
  hpc: { type: slurm, host: cluster, root: ${h.root} }
  away: { type: ssh, host: nobody@cluster.invalid, root: ${h.root}/away }
tasks:
  a: { target: hpc, run: echo a > a.txt }
  b: { target: away, run: echo b > b.txt }
`,
    );
    const env = h.cliEnv();
    const result = cli(['run', file, '--dry-run'], { home: env.FLOTILLA_HOME!, env });
    assert.equal(result.code, 0, result.stderr);
    const runId = /as run (\S+): nothing is submitted/.exec(result.stdout)![1]!;
    const script = (target: string) => result.stdout.split(/^## /m).find((part) => part.startsWith(`target ${target} `))!.replace(/^.*\n/, '');
    const home = facts.keyUser.home;
    assert.ok(script('hpc').startsWith(`set -u\n`), script('hpc'));
    assert.match(script('hpc'), new RegExp(`^mkdir -p -- '${home}/${h.root}/${runId}/\\.flotilla/${runId}/a\\.1' `, 'm'), 'the home as the host answered');
    assert.doesNotMatch(script('hpc'), /~|\$HOME/);
    assert.match(script('away'), /^# nobody@cluster\.invalid was not asked for its home folder \(cannot connect to cluster\.invalid.*\): paths below are shown from "\$HOME"/m);
    assert.match(script('away'), /^mkdir -p -- "\$HOME"'\//m);
    // Each script, sent as a run sends it, does what it says (the second starting from "$HOME").
    for (const target of ['hpc', 'away']) {
      const answer = execFileSync('ssh', ['-F', env.FLOTILLA_SSH_CONFIG!, '-o', 'BatchMode=yes', 'cluster', '/bin/sh -s'], { input: script(target), encoding: 'utf8' });
      assert.match(answer, /^submitted k1 \d+\n@end\n$/, `${target}: ${answer}`);
    }
    await waitFor(() => h.onCluster(`cat ${h.root}/${runId}/a.txt ${h.root}/away/${runId}/b.txt 2>/dev/null || true`) === 'a\nb\n', 'both tasks ran');
    assert.equal(cli(['history', '--json'], { home: env.FLOTILLA_HOME! }).stdout.trim(), '[]', 'the dry run recorded nothing');
  });
});
