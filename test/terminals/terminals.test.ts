import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Store } from '../../core/store/store.ts';
import { openLocalTerminal } from '../../core/terminals/terminals.ts';
import { CLI, REPO, cli, tempDir, writeWorkflow } from '../helpers.ts';
import { remoteHarness } from '../targets/remote/harness.ts';

/** Runs `flotilla shell` with `input` on its stdin; resolves with its output and exit code. */
function shell(args: string[], env: Record<string, string>, input: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [CLI, 'shell', ...args], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // Typed once the shell is there, as a person would.
  setTimeout(() => child.stdin.write(input), 500);
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
}

describe('terminals', () => {
  it('a local pty session: data, resize, exit code', async (t) => {
    const dir = tempDir(t);
    const session = openLocalTerminal({ cwd: dir, cols: 100, rows: 30 });
    let output = '';
    session.onData((data) => (output += data));
    const exited = new Promise<{ code: number | null }>((resolve) => session.onExit(resolve));
    session.resize(120, 40);
    session.write('echo "$(pwd) $(stty size)"; exit 5\r');
    assert.equal((await exited).code, 5);
    assert.match(output, new RegExp(`${dir} 40 120`));
  });

  it('`flotilla shell RUN TASK` opens a shell in a local task\'s folder', async (t) => {
    const dir = tempDir(t);
    const home = path.join(dir, 'home');
    mkdirSync(path.join(dir, 'stage one'));
    const file = writeWorkflow(dir, `version: 1\ntasks:\n  prep: { cwd: stage one, run: echo ready > ready.txt }\n`);
    assert.equal(cli(['run', file, '-q'], { home }).code, 0);
    const runId = (() => {
      const store = Store.open(home);
      try {
        return store.listRuns(1)[0]!.id;
      } finally {
        store.close();
      }
    })();
    const result = await shell([runId, 'prep'], { FLOTILLA_HOME: home }, 'cat ready.txt; echo "in $PWD"; exit 3\n');
    assert.equal(result.code, 3, result.output);
    assert.match(result.output, /ready\r?\n/);
    assert.match(result.output, new RegExp(`in ${path.join(dir, 'stage one')}`));
  });

  it('`flotilla shell RUN TASK` opens a shell on the cluster in a remote task\'s folder', async (t) => {
    const h = remoteHarness(t);
    const env = h.cliEnv();
    const file = writeWorkflow(h.dir, `version: 1
targets:
  hpc: { type: slurm, host: cluster, root: ${h.root}, poll: 1 }
tasks:
  sim: { target: hpc, cwd: "run 1", run: echo "computed on $(hostname)" > result.txt }
`);
    const ran = cli(['run', file, '-q'], { home: env.FLOTILLA_HOME!, env });
    assert.equal(ran.code, 0, ran.stdout + ran.stderr);
    const result = await shell(['last', 'sim'], env, 'cat result.txt; echo "at $PWD as $(id -un)"; exit\n');
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /computed on \S+/);
    assert.match(result.output, new RegExp(`at /\\S+/${h.root}/\\S+/run 1 as hpc`));
  });
});
