/**
 * The poll protocol, run for real: the poll script goes through /bin/sh here (the plain-host
 * dialect needs nothing but a shell and coreutils), over attempt folders a hostile task filled.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DIALECTS } from '../../../core/targets/remote/dialects/dialect.ts';
import { escapeField, parsePoll, pollScript, unescapeField } from '../../../core/targets/remote/protocol.ts';
import { jobName } from '../../../core/targets/remote/scripts.ts';
import type { Probe } from '../../../core/targets/remote/protocol.ts';
import { tempDir } from '../../helpers.ts';

function runPoll(probes: Probe[]): ReturnType<typeof parsePoll> {
  const result = spawnSync('/bin/sh', ['-s'], { input: pollScript(DIALECTS.ssh, probes, []), encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return parsePoll(result.stdout);
}

/** An attempt folder with its markers, and its task's working folder. */
function attempt(root: string, name: string, status: string): { dir: string; cwd: string } {
  const cwd = path.join(root, name);
  const dir = path.join(cwd, '.flotilla', 'run', `${name}.1`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'status'), status);
  writeFileSync(path.join(dir, 'jobid'), '4242\n');
  return { dir, cwd };
}

describe('poll protocol', () => {
  it('file names and contents that look like records cannot mark another attempt succeeded', (t) => {
    const root = tempDir(t);
    // k1 is still running: it has started, it has not ended.
    const running = attempt(root, 'running', 'start 1700000000 node1 4242\n');
    // k2 succeeded and wrote outputs named like the answer's records, and such lines in a file.
    const forger = attempt(root, 'forger', 'start 1700000000 node1 4243\nend 1700000005 0 \n');
    const forged = '@a k1\nm end 1700000001 0\njob 1\n@end\n';
    mkdirSync(path.join(forger.cwd, 'out'));
    writeFileSync(path.join(forger.cwd, 'out', `x\n${forged}`), 'payload');
    writeFileSync(path.join(forger.cwd, 'out', 'back\\slash'), '');
    writeFileSync(path.join(forger.cwd, 'out', 'lines.txt'), forged);
    // k3's own status file holds forged lines too: they count for k3 only.
    const third = attempt(root, 'third', 'start 1700000000 node1 4244\n@a k1\nend 1700000002 0\n');
    const answer = runPoll([
      { key: 'k1', dir: running.dir, cwd: running.cwd, outputRoots: ['out'] },
      { key: 'k2', dir: forger.dir, cwd: forger.cwd, outputRoots: ['out'] },
      { key: 'k3', dir: third.dir, cwd: third.cwd, outputRoots: [] },
    ]);
    assert.equal(answer.complete, true);
    assert.deepEqual([...answer.attempts.keys()], ['k1', 'k2', 'k3']);
    const k1 = answer.attempts.get('k1')!;
    assert.deepEqual(k1.start, { at: 1_700_000_000_000, host: 'node1' });
    assert.equal(k1.end, null, 'the running attempt has not ended');
    assert.equal(k1.jobId, '4242');
    const k2 = answer.attempts.get('k2')!;
    assert.deepEqual(k2.end, { at: 1_700_000_005_000, status: 0, signal: null });
    assert.deepEqual(k2.files.map((file) => file.path).sort(), ['out/back\\slash', 'out/lines.txt', `out/x\n${forged}`].sort());
    assert.equal(k2.files.find((file) => file.path.startsWith('out/x'))!.size, 'payload'.length);
    // A forged `@a` inside a status file ends nothing and starts nothing.
    const k3 = answer.attempts.get('k3')!;
    assert.deepEqual(k3.end, { at: 1_700_000_002_000, status: 0, signal: null });
  });

  it('a marker file without a final newline cannot swallow the next attempt\'s record', (t) => {
    const root = tempDir(t);
    // k1's status, written to by its task, ends without a newline; k2 is running.
    const hostile = attempt(root, 'hostile', 'start 1700000000 node1 4242\nx');
    writeFileSync(path.join(hostile.dir, 'jobid'), '4242');
    const running = attempt(root, 'running', 'start 1700000000 node1 4243\n');
    const answer = runPoll([
      { key: 'k1', dir: hostile.dir, cwd: hostile.cwd, outputRoots: [] },
      { key: 'k2', dir: running.dir, cwd: running.cwd, outputRoots: [] },
    ]);
    assert.deepEqual([...answer.attempts.keys()], ['k1', 'k2']);
    assert.equal(answer.attempts.get('k1')!.jobId, '4242');
    assert.equal(answer.attempts.get('k2')!.jobId, '4242');
    assert.deepEqual(answer.attempts.get('k2')!.start, { at: 1_700_000_000_000, host: 'node1' });
  });

  it('an output whose name begins with - is a path to list, never an option of find', (t) => {
    const root = tempDir(t);
    const done = attempt(root, 'done', 'start 1700000000 node1 1\nend 1700000001 0\n');
    mkdirSync(path.join(done.cwd, '-delete'));
    writeFileSync(path.join(done.cwd, '-delete', 'a.csv'), 'a');
    writeFileSync(path.join(done.cwd, 'precious.txt'), 'keep');
    const answer = runPoll([{ key: 'k1', dir: done.dir, cwd: done.cwd, outputRoots: ['-delete'] }]);
    assert.deepEqual(answer.attempts.get('k1')!.files.map((file) => file.path), ['-delete/a.csv']);
    assert.equal(readFileSync(path.join(done.cwd, 'precious.txt'), 'utf8'), 'keep');
  });

  it('lists no output through a symbolic link, and says which root it left out', (t) => {
    const root = tempDir(t);
    const outside = tempDir(t);
    writeFileSync(path.join(outside, 'secret'), 'secret');
    const done = attempt(root, 'done', 'start 1700000000 node1 1\nend 1700000001 0\n');
    symlinkSync(outside, path.join(done.cwd, 'linked'));
    mkdirSync(path.join(done.cwd, 'real'));
    writeFileSync(path.join(done.cwd, 'real', 'a.txt'), 'a');
    symlinkSync(path.join(outside, 'secret'), path.join(done.cwd, 'real', 'b.txt'));
    const answer = runPoll([{ key: 'k1', dir: done.dir, cwd: done.cwd, outputRoots: ['linked', 'real', 'missing'] }]);
    const markers = answer.attempts.get('k1')!;
    assert.deepEqual(markers.files.map((file) => file.path), ['real/a.txt']);
    assert.deepEqual(markers.refusedRoots, ['linked']);
  });

  it('an answer cut short is not complete, and a queue line is never an attempt line', () => {
    const answer = parsePoll('@squeue\nq 12|RUNNING|None|flotilla.x\nq @a k1\n@squeue-rc 0\n@a k2\nm start 5 h\nfile 1 2 a\n');
    assert.equal(answer.complete, false);
    assert.deepEqual([...answer.queue!.keys()], ['12', '@a k1']);
    assert.deepEqual([...answer.attempts.keys()], ['k2']);
    assert.deepEqual(answer.attempts.get('k2')!.files, [{ path: 'a', size: 1, mtime: 2 }]);
  });

  it("reads when the scheduler expects a pending job to start (squeue's %S in epoch seconds), and lines without it", () => {
    const answer = parsePoll('@squeue\nq 12|PENDING|Resources|1796621200|flotilla.a|b\nq 13|PENDING|Priority|N/A|flotilla.c\nq 14|RUNNING|None|x\n@squeue-rc 0\n@end\n');
    assert.deepEqual(answer.queue!.get('12'), { state: 'PENDING', reason: 'Resources', name: 'flotilla.a|b', start: 1_796_621_200_000 });
    assert.deepEqual(answer.queue!.get('13'), { state: 'PENDING', reason: 'Priority', name: 'flotilla.c', start: null });
    assert.deepEqual(answer.queue!.get('14'), { state: 'RUNNING', reason: 'None', name: 'x', start: null });
    // A START in another format (a SLURM that ignored SLURM_TIME_FORMAT) is no start, never part of the name.
    assert.deepEqual(parsePoll('@squeue\nq 15|PENDING|Priority|2026-12-07T05:00:00|flotilla.d\n@squeue-rc 0\n').queue!.get('15'), { state: 'PENDING', reason: 'Priority', name: 'flotilla.d', start: null });
  });

  it('reads the slot of a job array element in both forms', () => {
    const answer = parsePoll(`@a k1\narray 3 ${escapeField('/r/a\nb')}\n@a k2\narray 4\narray /r/old\n@end\n`);
    assert.deepEqual(answer.attempts.get('k1')!.array, { index: 3, dir: '/r/a\nb' });
    assert.deepEqual(answer.attempts.get('k2')!.array, { index: 4, dir: '/r/old' });
  });

  it('escapes and unescapes any text', () => {
    for (const text of ['', 'plain', 'a\nb', 'back\\slash', '\\n', '\n\n\\', 'tab\there']) {
      const escaped = escapeField(text);
      assert.ok(!escaped.includes('\n'));
      assert.equal(unescapeField(escaped), text);
    }
  });

  it('names jobs plainly and at a fixed width, whatever the task id (what adoption searches the queue for)', () => {
    const names = ["we'ird / task", 'a'.repeat(300), 'x\ny $(rm)'].map((id) => jobName('20261121-101010-abcd', id, 2));
    for (const name of names) assert.match(name, /^flotilla\.20261121-101010-abcd\.[0-9a-f]{10}\.2$/);
    assert.equal(new Set(names).size, names.length, 'different tasks, different names');
    assert.equal(jobName('20261121-101010-abcd', 'a', 1), jobName('20261121-101010-abcd', 'a', 1), 'the same attempt, the same name');
  });
});
