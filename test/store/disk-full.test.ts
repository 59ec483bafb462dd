/**
 * A full disk under the store: a run stopped by it says so in a line and exits 70, what was
 * recorded stands, and once there is space `resume` finishes the run. The disk is a 4 MiB
 * tmpfs mounted in a mount namespace of the test's own (unshare: no privilege needed).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { CLI, tempDir, writeWorkflow } from '../helpers.ts';
import { shellQuote as q } from '../../core/util/shell.ts';

describe('a full disk', () => {
  it('stops a run with a plain message and exit 70; with space again, resume finishes it', (t) => {
    const dir = tempDir(t);
    const home = path.join(dir, 'home');
    mkdirSync(home);
    // The first attempt of `fill` fills the disk the store is on; later attempts do not.
    const file = writeWorkflow(dir, `version: 1
tasks:
  fill: { run: '[ -e filled ] || { touch filled; dd if=/dev/zero of="$FLOTILLA_HOME/fill" bs=64k 2>/dev/null; }; echo fill' }
  after: { run: 'echo after > after.txt', after: fill }
`);
    const flotilla = (args: string) => `${q(process.execPath)} ${q(CLI)} ${args} </dev/null; echo "@exit $?"`;
    const script = [
      'set -u',
      `mount -t tmpfs -o size=4m tmpfs ${q(home)} || exit 99`,
      `export FLOTILLA_HOME=${q(home)}`,
      'echo @run',
      flotilla(`run ${q(file)}`),
      'echo @history',
      flotilla('history'),
      `rm -f ${q(path.join(home, 'fill'))}`,
      'echo @resume',
      flotilla('resume last'),
      'echo @status',
      flotilla('status --json'),
    ].join('\n');
    const result = spawnSync('unshare', ['--user', '--map-root-user', '--mount', 'sh', '-c', script], { encoding: 'utf8', cwd: dir, timeout: 120_000 });
    assert.notEqual(result.status, 99, `cannot mount a tmpfs in a namespace here: ${result.stderr}`);
    const sections = Object.fromEntries(
      result.stdout
        .split(/^@(?=run|history|resume|status)/m)
        .filter(Boolean)
        .map((part) => [part.slice(0, part.indexOf('\n')), part.slice(part.indexOf('\n') + 1)]),
    );
    const everything = `${result.stdout}\n${result.stderr}`;
    assert.match(sections.run!, /@exit 70\n/, everything);
    assert.match(result.stderr, /^flotilla: the disk holding .* is full \(database or disk is full\): free some space, then run the command again/m);
    assert.doesNotMatch(everything, /SqliteError|\n\s+at /, 'no stack trace');
    assert.match(sections.history!, /interrupted +workflow +\(/, 'the run is recorded, interrupted');
    assert.match(sections.resume!, /@exit 0\n/, everything);
    const status = JSON.parse(sections.status!.replace(/@exit \d+\n$/, '')) as { run: { state: string }; tasks: { id: string; state: string }[] };
    assert.equal(status.run.state, 'succeeded');
    assert.deepEqual(status.tasks.map((task) => task.state), ['succeeded', 'succeeded']);
    assert.equal(existsSync(path.join(dir, 'after.txt')) && readFileSync(path.join(dir, 'after.txt'), 'utf8'), 'after\n');
  });
});
