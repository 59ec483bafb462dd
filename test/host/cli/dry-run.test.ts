/**
 * What `--dry-run` prints for a remote target whose home folder is known, and for one that
 * could not be asked: the same script, its paths then starting at "$HOME" — checked by running
 * both scripts' path lines through a shell.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { dryRun } from '../../../core/host/cli/dry-run.ts';
import { loadWorkflow } from '../../../core/model/load.ts';
import { tempDir, writeWorkflow } from '../../helpers.ts';

const FLOW = `version: 1
targets:
  hpc: { type: ssh, host: somewhere, root: ../shared/runs }
tasks:
  t: { target: hpc, cwd: "deep/er", run: "echo \\"x ''\\"$HOME\\"\\" done" }
`;

/** The `mkdir -p` line of a printed script, as the shell would expand it with HOME set. */
function mkdirArgs(script: string, home: string): string[] {
  const line = script.split('\n').find((text) => text.startsWith('mkdir -p -- '))!;
  const words = execFileSync('sh', ['-c', `set -- ${line.slice('mkdir -p -- '.length, line.indexOf(' || '))}; printf '%s\\n' "$@"`], { env: { HOME: home }, encoding: 'utf8' });
  return words.trim().split('\n');
}

describe('--dry-run', () => {
  it('prints the script a run sends; with the home folder unknown, the same paths from "$HOME", and the task’s own text as written', (t) => {
    const plan = loadWorkflow(writeWorkflow(tempDir(t), FLOW));
    const known = dryRun(plan, 'RUN1', new Map([['hpc', { home: '/home/me' }]]));
    const unknown = dryRun(plan, 'RUN1', new Map([['hpc', { unknown: 'cannot connect' }]]));
    assert.deepEqual(mkdirArgs(known, '/elsewhere'), ['/home/shared/runs/RUN1/deep/er/.flotilla/RUN1/t.1', '/home/shared/runs/RUN1/deep/er']);
    assert.match(unknown, /^# somewhere was not asked for its home folder \(cannot connect\): paths below are shown from "\$HOME"/m);
    // Run through a shell with the same home, the printed paths are the same folders.
    assert.deepEqual(mkdirArgs(unknown, '/home/me').map((folder) => path.posix.normalize(folder)), mkdirArgs(known, '/elsewhere'));
    // The task's command is printed as written in both.
    for (const script of [known, unknown]) assert.ok(script.includes(`echo "x ''"$HOME"" done\n`), script);
    assert.doesNotMatch(known, /\$HOME"\//);
    assert.doesNotMatch(unknown, /\u0000/);
  });
});
