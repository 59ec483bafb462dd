/**
 * What a poll's answer means for one remote attempt (verdict.ts), case by case, for both
 * dialects; and the attempt phases' table (attempt.ts). The same cases run end to end against
 * the test cluster in slurm.test.ts and ssh.test.ts; here each is one function call.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TaskSpec } from '../../../core/model/types.ts';
import { moveAttempt, PHASE_MOVES } from '../../../core/targets/remote/attempt.ts';
import type { Phase, RemoteAttempt } from '../../../core/targets/remote/attempt.ts';
import { DIALECTS } from '../../../core/targets/remote/dialects/dialect.ts';
import type { AttemptMarkers, PollAnswer, QueueRow } from '../../../core/targets/remote/protocol.ts';
import { jobName } from '../../../core/targets/remote/scripts.ts';
import { noteQueue, readAttempt, STALE_SUBMISSION_S } from '../../../core/targets/remote/verdict.ts';
import type { Reading } from '../../../core/targets/remote/verdict.ts';
import { readSubmitAnswer } from '../../../core/targets/remote/submit.ts';

const task: TaskSpec = {
  id: 'md', path: 'md', run: 'true', shell: '/bin/sh', cwd: 'md', env: {}, target: 'hpc', resources: {}, retries: 0, inputs: [], outputs: ['out/*.dat'], cache: true, vars: {}, after: [],
};

function attempt(fields: Partial<RemoteAttempt> = {}): RemoteAttempt {
  return {
    key: 'k1', taskId: 'md', n: 1, task, localCwd: '/local/md', stdout: '/l/out', stderr: '/l/err', cwd: '/remote/run/md', dir: '/remote/run/md/.flotilla/r/md.1',
    events: {} as RemoteAttempt['events'], after: [], phase: 'queued', jobId: '77', schedulerState: null, expectedStart: null, stop: null, misses: 0, stale: false, ...fields,
  };
}

function markers(fields: Partial<AttemptMarkers> = {}): AttemptMarkers {
  return { jobId: null, array: null, start: null, end: null, timeout: false, alive: false, submitting: null, files: [], refusedRoots: [], values: null, ...fields };
}

function answer(queue: Record<string, QueueRow> | null): PollAnswer {
  return { complete: true, queue: queue === null ? null : new Map(Object.entries(queue)), queueError: queue === null ? 'squeue: error: slurm_load_jobs error' : null, attempts: new Map(), now: 0 };
}

function read(kind: 'ssh' | 'slurm', entry: RemoteAttempt, seen: AttemptMarkers, poll: PollAnswer): Reading {
  return readAttempt(entry, seen, poll, { dialect: DIALECTS[kind], runId: 'r', host: 'hpc', localTime: (ms) => ms - 1000 });
}

const START = { at: 5_000, host: 'node1' };

describe('remote attempt verdicts', () => {
  it('an attempt that ended with 0 is fetched with the outputs it matches, its times on this clock', () => {
    const seen = markers({ start: START, end: { at: 9_000, status: 0, signal: null }, files: [{ path: 'out/a.dat', size: 3, mtime: 1 }, { path: 'log.txt', size: 1, mtime: 1 }] });
    const reading = read('slurm', attempt(), seen, answer({}));
    assert.equal(reading.started, true);
    assert.deepEqual(reading.verdict, {
      kind: 'ended',
      exit: { exitCode: 0, signal: null, reason: null, schedulerState: 'COMPLETED', startedAt: 4_000, endedAt: 8_000 },
      files: [{ remote: '/remote/run/md/out/a.dat', local: '/local/md/out/a.dat', size: 3, mtime: 1 }],
    });
  });

  it('a plain host has no scheduler state; SLURM keeps the one its queue still shows', () => {
    const failed = markers({ start: START, end: { at: 9_000, status: 3, signal: null } });
    assert.equal(read('ssh', attempt({ jobId: '4242' }), failed, answer(null)).verdict.kind, 'ended');
    const ssh = read('ssh', attempt({ jobId: '4242' }), failed, { ...answer(null), queueError: null });
    assert.equal(ssh.verdict.kind === 'ended' && ssh.verdict.exit.schedulerState, null);
    const slurm = read('slurm', attempt(), failed, answer({ 77: { state: 'OUT_OF_MEMORY', reason: 'None', name: 'x', start: null } }));
    assert.equal(slurm.verdict.kind === 'ended' && slurm.verdict.exit.schedulerState, 'OUT_OF_MEMORY');
    assert.equal(slurm.verdict.kind === 'ended' && slurm.verdict.files.length, 0);
  });

  it('a cancel or a time limit names itself; a withdrawal that ended is a withdrawal', () => {
    const ended = markers({ start: START, end: { at: 9_000, status: 143, signal: null }, timeout: true });
    const cancelled = read('slurm', attempt({ stop: { how: 'cancel', sent: true } }), ended, answer({}));
    assert.equal(cancelled.verdict.kind === 'ended' && cancelled.verdict.exit.reason, 'cancelled');
    const timedOut = read('slurm', attempt(), ended, answer({}));
    assert.deepEqual(timedOut.verdict.kind === 'ended' && [timedOut.verdict.exit.reason, timedOut.verdict.exit.schedulerState], ['timeout', 'TIMEOUT']);
    const withdrawn = read('slurm', attempt({ stop: { how: 'withdraw', sent: true } }), ended, answer({}));
    assert.deepEqual(withdrawn.verdict, { kind: 'gone', withdrawn: 'withdrawn: a dependency runs again' });
  });

  it('outputs behind a symbolic link fail a succeeded attempt', () => {
    const reading = read('ssh', attempt(), markers({ start: START, end: { at: 9_000, status: 0, signal: null }, refusedRoots: ['out'] }), answer(null));
    assert.match(reading.verdict.kind === 'ended' ? (reading.verdict.exit.reason ?? '') : '', /'out' leads through a symbolic link on hpc/);
  });

  it('a started job gone from the queue is forgiven once, then ends without an exit status', () => {
    const seen = markers({ start: START });
    assert.deepEqual(read('slurm', attempt({ phase: 'running' }), seen, answer({})).verdict, { kind: 'running', missed: true });
    const second = read('slurm', attempt({ phase: 'running', misses: 1, schedulerState: 'RUNNING' }), seen, answer({}));
    assert.equal(second.verdict.kind, 'ended');
    assert.match(second.verdict.kind === 'ended' ? (second.verdict.exit.reason ?? '') : '', /ended without an exit status \(RUNNING: running\)/);
    // Listed as ended (NODE_FAIL): no forgiveness, and the state's meaning is told.
    const lost = read('slurm', attempt({ phase: 'running' }), seen, answer({ 77: { state: 'NODE_FAIL', reason: 'None', name: 'x', start: null } }));
    assert.match(lost.verdict.kind === 'ended' ? (lost.verdict.exit.reason ?? '') : '', /NODE_FAIL: its node failed/);
    // The queue unreadable: nobody can tell, so it runs on.
    assert.deepEqual(read('slurm', attempt({ phase: 'running', misses: 5 }), seen, answer(null)).verdict, { kind: 'running' });
    // A plain host tells by its process.
    assert.deepEqual(read('ssh', attempt({ phase: 'running' }), markers({ start: START, alive: true }), answer(null)).verdict, { kind: 'running' });
  });

  it('a queued job waiting on a failed upstream is withdrawn; one that left the queue unstarted fails or is withdrawn', () => {
    const never = read('slurm', attempt(), markers(), answer({ 77: { state: 'PENDING', reason: 'DependencyNeverSatisfied', name: 'x', start: null } }));
    assert.deepEqual(never.verdict, { kind: 'queued', withdraw: true });
    assert.deepEqual(read('slurm', attempt(), markers(), answer({ 77: { state: 'PENDING', reason: 'Priority', name: 'x', start: null } })).verdict, { kind: 'queued', withdraw: false });
    // When its scheduler expects to start it: reported, on this machine's clock, only when the scheduler's figure moves.
    const waiting = read('slurm', attempt(), markers(), answer({ 77: { state: 'PENDING', reason: 'Resources', name: 'x', start: 60_000 } }));
    assert.equal(waiting.expectedStart, 60_000);
    const told: (number | null)[] = [];
    const entry = attempt({ events: { onQueued: (at: number | null) => void told.push(at), onStarted: () => undefined, onExit: () => undefined, onWithdrawn: () => undefined } });
    let offset = 1000;
    const localTime = (ms: number) => ms - offset;
    noteQueue(entry, waiting, localTime);
    // The clock's offset is estimated anew at each poll: the same figure is not reported again.
    offset = 1003;
    noteQueue(entry, waiting, localTime);
    // A poll whose squeue failed says nothing of it: what was known stands.
    noteQueue(entry, read('slurm', attempt(), markers(), answer(null)), localTime);
    // A job not pending (configuring, running before its start marker) has no expected start.
    assert.equal(read('slurm', attempt(), markers(), answer({ 77: { state: 'CONFIGURING', reason: 'None', name: 'x', start: 60_000 } })).expectedStart, null);
    noteQueue(entry, read('slurm', attempt(), markers({ start: { at: 61_000, host: 'n1' } }), answer({ 77: { state: 'RUNNING', reason: 'None', name: 'x', start: 60_000 } })), localTime);
    assert.deepEqual([told, entry.schedulerState], [[59_000, null], 'RUNNING']);
    assert.deepEqual(read('slurm', attempt({ after: [{ taskId: 'prep', n: 1 }] }), markers(), answer({})).verdict, { kind: 'gone', withdrawn: 'a job it ran after did not succeed' });
    assert.deepEqual(read('slurm', attempt({ stop: { how: 'cancel', sent: true } }), markers(), answer({})).verdict, { kind: 'gone', withdrawn: 'cancelled before it started' });
    const left = read('slurm', attempt(), markers(), answer({}));
    assert.match(left.verdict.kind === 'gone' && 'exit' in left.verdict ? (left.verdict.exit.reason ?? '') : '', /job 77 left the queue without starting/);
    // The queue unreadable: ask again.
    assert.deepEqual(read('slurm', attempt(), markers(), answer(null)).verdict, { kind: 'wait' });
  });

  it('a job whose id was lost is found by its name in the queue', () => {
    const name = jobName('r', 'md', 1);
    const reading = read('slurm', attempt({ jobId: null, phase: 'unsure' }), markers(), answer({ 90: { state: 'RUNNING', reason: 'None', name: 'other', start: null }, 91: { state: 'PENDING', reason: 'Priority', name, start: null } }));
    assert.equal(reading.jobId, '91');
    assert.equal(reading.schedulerState, 'PENDING');
    assert.deepEqual(reading.verdict, { kind: 'queued', withdraw: false });
  });

  it('no job anywhere: a young submission is waited for, an old one is replaced, none is submitted again', () => {
    const unsure = attempt({ jobId: null, phase: 'unsure' });
    assert.deepEqual(read('slurm', unsure, markers({ submitting: 5 }), answer({})).verdict, { kind: 'wait' });
    assert.deepEqual(read('slurm', unsure, markers({ submitting: STALE_SUBMISSION_S + 1 }), answer({})).verdict, { kind: 'not-submitted', stale: true });
    assert.deepEqual(read('ssh', unsure, markers(), answer(null)).verdict, { kind: 'not-submitted', stale: false });
  });
});

describe('remote attempt phases', () => {
  it('moves only as the table says', () => {
    const phases = Object.keys(PHASE_MOVES) as Phase[];
    for (const from of phases) {
      for (const to of phases) {
        const entry = attempt({ phase: from });
        if (from === to || PHASE_MOVES[from].includes(to)) {
          moveAttempt(entry, to);
          assert.equal(entry.phase, to);
        } else {
          assert.throws(() => moveAttempt(entry, to), new RegExp(`cannot move from ${from} to ${to}`));
          assert.equal(entry.phase, from);
        }
      }
    }
    // Every phase but the last can end, and nothing leaves the end.
    for (const phase of phases) assert.equal(PHASE_MOVES[phase].includes('ended'), phase !== 'ended');
  });
});

describe('submission answers', () => {
  it('reads whole lines only: an answer cut short loses its last, half-written job id', () => {
    const lines = readSubmitAnswer('submitted k1 101\nrefused k2 sbatch: error: invalid partition\nsubmitted k3 10');
    assert.deepEqual([...lines], [['k1', { word: 'submitted', rest: '101' }], ['k2', { word: 'refused', rest: 'sbatch: error: invalid partition' }]]);
    assert.equal(readSubmitAnswer('submitted k1 101\nsubmitted k3 102\n@end\n').get('k3')?.rest, '102');
    assert.equal(readSubmitAnswer('job.sh: submitted k9 1\n@end\n').size, 0);
  });
});
