/**
 * Values a task publishes, end to end: a local run records them with the attempt that
 * succeeded (and only then), `status --json` shows them, a values file that is not one fails
 * the attempt; a remote attempt's values come back with its poll (the poll script run by /bin/sh
 * over an attempt folder, as a plain host runs it).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DIALECTS } from '../../core/targets/remote/dialects/dialect.ts';
import { parsePoll, pollScript } from '../../core/targets/remote/protocol.ts';
import { readAttempt } from '../../core/targets/remote/verdict.ts';
import type { RemoteAttempt } from '../../core/targets/remote/attempt.ts';
import { cli, tempDir, workspace } from '../helpers.ts';

interface Status {
  tasks: { id: string; state: string; reason: string | null; last?: { n: number; values: Record<string, unknown> | null } }[];
}

describe('published values', () => {
  it('a local attempt that succeeded records its values; status shows them; a broken values file fails it', (t) => {
    const { home, file } = workspace(
      t,
      `version: 1
defaults: { retries: 0 }
tasks:
  check: { run: 'echo "done=true" >> "$FLOTILLA_VALUES"; printf "misfit=%s\\n" 0.25 >> "$FLOTILLA_VALUES"; echo "models=[\\"a\\", \\"b\\"]" >> "$FLOTILLA_VALUES"' }
  quiet: { run: 'true' }
  failing: { run: 'echo "x=1" >> "$FLOTILLA_VALUES"; exit 4' }
  broken: { run: 'echo "done=true" >> "$FLOTILLA_VALUES"; echo "oops" >> "$FLOTILLA_VALUES"' }
  linked: { run: 'echo "x=1" > elsewhere; ln -s "$PWD/elsewhere" "$FLOTILLA_VALUES"' }
`,
    );
    const run = cli(['run', file], { home });
    assert.equal(run.code, 1, run.stderr);
    const status = JSON.parse(cli(['status', '--json'], { home }).stdout) as Status;
    const task = (id: string) => status.tasks.find((each) => each.id === id)!;
    assert.equal(task('check').state, 'succeeded');
    assert.deepEqual(task('check').last?.values, { done: true, misfit: 0.25, models: ['a', 'b'] });
    assert.equal(task('quiet').last?.values, null, 'nothing published: nothing recorded');
    assert.equal(task('failing').state, 'failed');
    assert.equal(task('failing').last?.values, null, 'a failed attempt publishes nothing');
    assert.equal(task('broken').state, 'failed');
    assert.match(task('broken').reason ?? '', /its values file, line 2: "oops" is not name=value/);
    assert.equal(task('broken').last?.values, null);
    // A link is not followed (as on a cluster): it publishes nothing.
    assert.equal(task('linked').state, 'succeeded');
    assert.equal(task('linked').last?.values, null);
  });

  it('a remote attempt that ended with 0 brings its values back with the poll, within the cap', (t) => {
    const root = tempDir(t);
    const cwd = path.join(root, 'task');
    const dir = path.join(cwd, '.flotilla', 'run', 'check.1');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'status'), 'start 1700000000 node1 4242\nend 1700000005 0 \n');
    writeFileSync(path.join(dir, 'jobid'), '4242\n');
    // Lines that look like the poll's own records stay values (and here, a broken one).
    writeFileSync(path.join(dir, 'values'), 'done=true\n@end\nsteps=3');
    const answer = parsePoll(spawnSync('/bin/sh', ['-s'], { input: pollScript(DIALECTS.ssh, [{ key: 'k1', dir, cwd, outputRoots: [] }], []), encoding: 'utf8' }).stdout);
    assert.equal(answer.complete, true);
    const markers = answer.attempts.get('k1')!;
    assert.deepEqual(markers.values, { size: 22, lines: ['done=true', '@end', 'steps=3'] });
    const attempt = { key: 'k1', taskId: 'check', n: 1, task: { outputs: [] }, cwd, localCwd: cwd, after: [], stop: null, misses: 0, jobId: '4242', schedulerState: null } as unknown as RemoteAttempt;
    const context = { dialect: DIALECTS.ssh, runId: 'run', host: 'h', localTime: (ms: number) => ms };
    const broken = readAttempt(attempt, markers, answer, context).verdict;
    assert.ok(broken.kind === 'ended' && /line 2: "@end" is not name=value/.test(broken.exit.reason ?? ''), JSON.stringify(broken));
    writeFileSync(path.join(dir, 'values'), 'done=true\nsteps=3\n');
    const again = parsePoll(spawnSync('/bin/sh', ['-s'], { input: pollScript(DIALECTS.ssh, [{ key: 'k1', dir, cwd, outputRoots: [] }], []), encoding: 'utf8' }).stdout);
    const ok = readAttempt(attempt, again.attempts.get('k1')!, again, context).verdict;
    assert.ok(ok.kind === 'ended' && ok.exit.exitCode === 0, JSON.stringify(ok));
    assert.deepEqual(ok.kind === 'ended' && ok.exit.values, { done: true, steps: 3 });
    // A values file of a failed attempt is not read at all.
    writeFileSync(path.join(dir, 'status'), 'start 1700000000 node1 4242\nend 1700000005 3 \n');
    const failed = parsePoll(spawnSync('/bin/sh', ['-s'], { input: pollScript(DIALECTS.ssh, [{ key: 'k1', dir, cwd, outputRoots: [] }], []), encoding: 'utf8' }).stdout);
    assert.equal(failed.attempts.get('k1')!.values, null);
    // Nor one too big to be a few values (its size says so; only the cap is sent).
    writeFileSync(path.join(dir, 'status'), 'start 1700000000 node1 4242\nend 1700000005 0 \n');
    writeFileSync(path.join(dir, 'values'), `big=${'x'.repeat(200_000)}\n`);
    const big = parsePoll(spawnSync('/bin/sh', ['-s'], { input: pollScript(DIALECTS.ssh, [{ key: 'k1', dir, cwd, outputRoots: [] }], []), encoding: 'utf8', maxBuffer: 1 << 24 }).stdout);
    const bigMarkers = big.attempts.get('k1')!;
    assert.equal(bigMarkers.values?.size, 200_005);
    assert.ok((bigMarkers.values?.lines.join('\n').length ?? 0) <= 65_537);
    const refused = readAttempt(attempt, bigMarkers, big, context).verdict;
    assert.ok(refused.kind === 'ended' && /values file is 200,005 bytes/.test(refused.exit.reason ?? ''), JSON.stringify(refused).slice(0, 300));
  });
});
