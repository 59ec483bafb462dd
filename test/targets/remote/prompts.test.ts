/**
 * The `flotilla` command on a terminal meets a cluster whose host key it does not know: it
 * shows the key and asks (core/host/cli/remote.ts), and the answer decides.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import pty from 'node-pty';
import { clusterFacts } from '../../cluster.ts';
import { CLI, tempDir, waitFor, writeWorkflow } from '../../helpers.ts';

const facts = clusterFacts();

/** Runs a one-task workflow on the cluster through the CLI on a terminal, answering the host-key question. */
async function runAnswering(t: Parameters<typeof tempDir>[0], answer: string) {
  const dir = tempDir(t);
  const home = path.join(dir, 'home');
  // A user with no ~/.ssh: the cluster's key is known nowhere.
  const user = path.join(dir, 'user');
  mkdirSync(user);
  const config = path.join(dir, 'ssh_config');
  writeFileSync(config, `Host cluster\n  HostName ${facts.host}\n  Port ${facts.port}\n  User ${facts.keyUser.name}\n  IdentityFile ${facts.keyUser.key}\n  IdentitiesOnly yes\n`);
  const root = `${facts.keyUser.home}/prompt-${path.basename(dir)}`;
  const file = writeWorkflow(dir, `version: 1
targets:
  box: { type: ssh, host: cluster, root: ${root}, poll: 1 }
defaults: { target: box, retries: 0 }
tasks:
  hello: { run: echo hello > hello.txt, outputs: [hello.txt] }
`);
  const env = { ...process.env, HOME: user, FLOTILLA_HOME: home, FLOTILLA_SSH_CONFIG: config, SSH_AUTH_SOCK: '' };
  const terminal = pty.spawn(process.execPath, [CLI, 'run', file], { cwd: dir, env, cols: 150, rows: 40 });
  let screen = '';
  terminal.onData((data) => (screen += data));
  const exited = new Promise<number>((resolve) => terminal.onExit(({ exitCode }) => resolve(exitCode)));
  t.after(() => terminal.kill());
  await waitFor(() => screen.includes('Trust it?'), 'the host-key question', 30_000);
  terminal.write(`${answer}\r`);
  const code = await Promise.race([exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no exit; the screen:\n${screen}`)), 60_000))]);
  return { dir, home, user, screen, code };
}

describe('the CLI on a terminal (test cluster)', () => {
  it('shows an unknown host key and, answered no, connects to nothing and records no key', async (t) => {
    const { home, user, screen, code } = await runAnswering(t, 'n');
    // Named as in known_hosts: [host]:port unless the port is 22.
    assert.ok(screen.includes(`The host [${facts.host}]:${facts.port} is not known.`), screen);
    assert.ok(screen.includes(facts.hostKeyFingerprint), screen);
    assert.equal(code, 1, screen);
    assert.match(screen, /was not accepted/);
    for (const file of [path.join(home, 'known_hosts'), path.join(user, '.ssh', 'known_hosts')]) {
      assert.ok(!existsSync(file) || !readFileSync(file, 'utf8').includes(facts.hostKey.split(' ')[1]!), `no key saved in ${file}`);
    }
  });

  it('answered yes, runs the workflow and remembers the key in ~/.ssh/known_hosts, as ssh would', async (t) => {
    const { dir, user, screen, code } = await runAnswering(t, 'y');
    assert.equal(code, 0, screen);
    assert.equal(readFileSync(path.join(dir, 'hello.txt'), 'utf8'), 'hello\n');
    const saved = readFileSync(path.join(user, '.ssh', 'known_hosts'), 'utf8');
    assert.ok(saved.includes(facts.hostKey.split(' ')[1]!), saved);
  });

  it('without a terminal, an unknown host key fails the tasks at once with the reason and what to do (exit 1)', (t) => {
    const dir = tempDir(t);
    const user = path.join(dir, 'user');
    mkdirSync(user);
    const config = path.join(dir, 'ssh_config');
    writeFileSync(config, `Host cluster\n  HostName ${facts.host}\n  Port ${facts.port}\n  User ${facts.keyUser.name}\n  IdentityFile ${facts.keyUser.key}\n  IdentitiesOnly yes\n`);
    const file = writeWorkflow(dir, `version: 1
targets:
  box: { type: ssh, host: cluster, root: flotilla-tests/nottys, poll: 1 }
defaults: { target: box, retries: 2 }
tasks:
  hello: { run: echo hello }
`);
    const result = spawnSync(process.execPath, [CLI, 'run', file], {
      cwd: dir,
      env: { ...process.env, HOME: user, FLOTILLA_HOME: path.join(dir, 'home'), FLOTILLA_SSH_CONFIG: config, SSH_AUTH_SOCK: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(result.signal, null, 'it did not wait to be killed');
    assert.equal(result.status, 1, result.stderr);
    const said = result.stdout + result.stderr;
    assert.match(said, /presents an unknown host key \(SHA256:[^)]+\).*there is no terminal to ask on: run the command on a terminal to answer/);
    // Another attempt could not fare better: none is made.
    assert.doesNotMatch(said, /retrying/);
  });
});
