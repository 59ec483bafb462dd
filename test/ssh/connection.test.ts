import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import { SshConfig } from '../../core/ssh/config.ts';
import { SshConnection } from '../../core/ssh/connection.ts';
import { SshError } from '../../core/ssh/errors.ts';
import { KnownHosts, OPENSSH_KNOWN_HOSTS } from '../../core/ssh/known-hosts.ts';
import type { HostKeyDecision, HostKeyPolicy, PresentedKey, Prompter } from '../../core/ssh/ports.ts';
import { shellQuote } from '../../core/util/shell.ts';
import { clusterFacts, logLength, nextOtp, sshdLogSince } from '../cluster.ts';
import { tempDir, waitFor } from '../helpers.ts';

const facts = clusterFacts();

/** A HostKeyPolicy that answers as told and remembers what it was asked. */
function policy(decision: HostKeyDecision): HostKeyPolicy & { asked: PresentedKey[] } {
  const asked: PresentedKey[] = [];
  return { asked, unknownHost: async (key) => (asked.push(key), decision) };
}

/** A Prompter that answers from lists and records every request. */
function prompter(answers: { keyboard?: (prompt: string) => string; passphrase?: string }): Prompter & { rounds: string[][]; passphrases: string[] } {
  const rounds: string[][] = [];
  const passphrases: string[] = [];
  return {
    rounds,
    passphrases,
    keyboardInteractive: async (request) => {
      rounds.push(request.prompts.map((prompt) => prompt.prompt));
      return request.prompts.map((prompt) => answers.keyboard!(prompt.prompt));
    },
    passphrase: async (request) => {
      passphrases.push(request.keyFile);
      return answers.passphrase;
    },
  };
}

/** An ssh_config for the test cluster (aliases `cluster`, `otp`, `locked`, `jump`, `inner`). */
function sshConfig(t: Parameters<typeof tempDir>[0]): { config: SshConfig; dir: string } {
  const dir = tempDir(t);
  const file = path.join(dir, 'config');
  writeFileSync(
    file,
    `# test cluster
Host cluster inner jump
  HostName ${facts.host}
  Port ${facts.port}
  User ${facts.keyUser.name}
  IdentityFile ${facts.keyUser.key}
  IdentitiesOnly yes

Host inner
  ProxyJump jump

Host agentonly
  HostName ${facts.host}
  Port ${facts.port}
  User ${facts.keyUser.name}
  IdentityFile none

Host otp
  HostName ${facts.host}
  Port=${facts.port}
  User ${facts.otpUser.name}
  IdentityFile none

Host locked
  HostName ${facts.host}
  Port ${facts.port}
  User ${facts.keyUser.name}
  IdentityFile "${facts.keyUser.passphraseKey}"
`,
  );
  return { config: new SshConfig(file), dir };
}

function connection(t: Parameters<typeof tempDir>[0], destination: string, extra: { policy?: HostKeyPolicy; prompter?: Prompter; knownHosts?: KnownHosts; maxSessions?: number; agent?: string } = {}) {
  const { config, dir } = sshConfig(t);
  const knownHosts = extra.knownHosts ?? new KnownHosts([facts.knownHosts], path.join(dir, 'flotilla_known_hosts'));
  const ssh = new SshConnection(destination, { config, knownHosts, hostKeyPolicy: extra.policy ?? policy('reject'), agent: extra.agent ?? '', ...(extra.prompter ? { prompter: extra.prompter } : {}), ...(extra.maxSessions ? { maxSessions: extra.maxSessions } : {}) });
  t.after(() => ssh.close());
  return ssh;
}

/** Where sshd's log stood when this file began (ports are reused over a long log). */
const fileStart = logLength(facts);

/** Waits until sshd's log (written a moment after the fact) gives a non-empty selection. */
async function waitForLog(select: (lines: string[]) => string[], what: string, since = fileStart): Promise<string[]> {
  let found: string[] = [];
  await waitFor(() => (found = select(sshdLogSince(facts, since))).length > 0, what);
  return found;
}

/** The server logged these connections closing without anyone logging in on them. */
async function assertNoLogin(ports: number[], since: number): Promise<void> {
  assert.ok(ports.length > 0);
  for (const port of ports) {
    const lines = await waitForLog((all) => all.filter((line) => line.includes(`port ${port}`) && /^(Connection closed|Disconnected|Received disconnect|Connection reset)/.test(line)), `sshd to log the end of port ${port}`, since);
    assert.ok(lines.length > 0);
    assert.ok(!sshdLogSince(facts, since).some((line) => line.startsWith('Accepted') && line.includes(`port ${port} `)), `nothing logged in from port ${port}`);
  }
}

describe('ssh against the test cluster', () => {
  it('a host that accepts and never answers fails the connect after ConnectTimeout, and nothing else', async (t) => {
    // (ssh2 reports such a handshake twice: the timeout, then the connection lost.)
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    t.after(() => silent.close());
    const dir = tempDir(t);
    const file = path.join(dir, 'config');
    writeFileSync(file, `Host silent\n  HostName 127.0.0.1\n  Port ${(silent.address() as net.AddressInfo).port}\n  ConnectTimeout 1\n`);
    const ssh = new SshConnection('silent', { config: new SshConfig(file), knownHosts: new KnownHosts([], path.join(dir, 'known_hosts')), hostKeyPolicy: policy('reject'), agent: '' });
    t.after(() => ssh.close());
    const uncaught: unknown[] = [];
    const record = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', record);
    t.after(() => process.off('uncaughtException', record));
    await assert.rejects(ssh.connect(false), (error: unknown) => error instanceof SshError && error.code === 'connect-failed' && /Timed out while waiting for handshake/.test(error.message));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.deepEqual(uncaught, []);
  });

  it('logs in through ssh-agent: no key file given, nothing asked', async (t) => {
    const dir = tempDir(t);
    const socket = path.join(dir, 'agent.sock');
    const started = execFileSync('ssh-agent', ['-a', socket, '-s'], { encoding: 'utf8' });
    const pid = /SSH_AGENT_PID=(\d+)/.exec(started)![1]!;
    t.after(() => process.kill(Number(pid)));
    const keyCopy = path.join(dir, 'key');
    copyFileSync(facts.keyUser.passphraseKey, keyCopy);
    execFileSync('ssh-keygen', ['-p', '-P', facts.keyUser.passphrase, '-N', '', '-f', keyCopy], { stdio: 'ignore' });
    execFileSync('ssh-add', [keyCopy], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'ignore' });
    const asked = prompter({});
    const ssh = connection(t, 'agentonly', { agent: socket, prompter: asked });
    await ssh.connect();
    assert.equal((await ssh.exec('id -un')).stdout.trim(), facts.keyUser.name);
    assert.deepEqual([asked.rounds.length, asked.passphrases.length], [0, 0], 'nothing was asked');
    const port = ssh.localPorts[0]!;
    await waitForLog((lines) => lines.filter((line) => line.startsWith('Accepted publickey') && line.includes(`port ${port} `)), 'sshd to log the key login');
  });

  it('logs in with a key and runs commands, many at once on one TCP connection within MaxSessions', async (t) => {
    const before = logLength(facts);
    const ssh = connection(t, 'cluster');
    await ssh.connect();
    assert.equal(ssh.state, 'online');
    const odd = `it's "odd" $(touch /tmp/flotilla-injected) ; échec`;
    const echoed = await ssh.exec(`printf '%s' ${shellQuote(odd)}`);
    assert.deepEqual({ ...echoed, stdoutBytes: undefined }, { code: 0, signal: null, stdout: odd, stdoutBytes: undefined, stderr: '' });
    assert.equal(echoed.stdoutBytes?.toString('utf8'), odd);
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => ssh.exec(`echo ${i}; sleep 0.1`)));
    assert.deepEqual(
      results.map((result) => result.stdout.trim()),
      Array.from({ length: 30 }, (_, i) => String(i)),
    );
    assert.equal((await ssh.exec('exit 3')).code, 3);
    // Commands that end at once still report their status (it can come before the caller listens).
    const quick = await Promise.all(Array.from({ length: 60 }, (_, i) => ssh.exec(`exit ${i % 3}`)));
    assert.deepEqual(quick.map((result) => result.code), Array.from({ length: 60 }, (_, i) => i % 3));
    assert.equal(ssh.connections, 1);
    // One TCP connection in all that, which the server saw (other tests connect meanwhile:
    // lines from other ports are theirs).
    assert.equal(ssh.localPorts.length, 1);
    const connects = sshdLogSince(facts, before).filter((line) => line.startsWith('Connection from') && line.includes(`port ${ssh.localPorts[0]} `));
    assert.equal(connects.length, 1, connects.join('\n'));
  });

  it('asks the HostKeyPolicy about an unknown key: accept once, accept and save (hashed), or reject', async (t) => {
    const dir = tempDir(t);
    const saved = path.join(dir, 'known_hosts');
    const once = policy('accept-once');
    const first = connection(t, 'cluster', { policy: once, knownHosts: new KnownHosts([], saved) });
    await first.connect();
    assert.equal(once.asked.length, 1);
    assert.equal(once.asked[0]!.fingerprint, facts.hostKeyFingerprint);
    assert.equal(once.asked[0]!.host, `[${facts.host}]:${facts.port}`);

    const save = policy('accept-and-save');
    await connection(t, 'cluster', { policy: save, knownHosts: new KnownHosts([], saved) }).connect();
    assert.equal(save.asked.length, 1);
    assert.match(readFileSync(saved, 'utf8'), /^\|1\|[^ ]+ ssh-ed25519 [A-Za-z0-9+/=]+\n$/);
    const again = policy('reject');
    await connection(t, 'cluster', { policy: again, knownHosts: new KnownHosts([], saved) }).connect();
    assert.equal(again.asked.length, 0, 'a saved key is known');

    const no = policy('reject');
    const beforeRefusal = logLength(facts);
    const refused = connection(t, 'cluster', { policy: no, knownHosts: new KnownHosts([], path.join(dir, 'other')) });
    await assert.rejects(refused.connect(), (error: unknown) => error instanceof SshError && error.code === 'host-key-rejected');
    assert.equal(refused.state, 'needs-login');
    await assertNoLogin(refused.localPorts, beforeRefusal);
  });

  it('refuses a changed host key, showing both fingerprints, and runs nothing', async (t) => {
    const dir = tempDir(t);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'other')]);
    const otherKey = readFileSync(path.join(dir, 'other.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
    const otherFingerprint = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', path.join(dir, 'other.pub')], { encoding: 'utf8' }).split(' ')[1]!;
    const file = path.join(dir, 'known_hosts');
    writeFileSync(file, `# an old key\n[${facts.host}]:${facts.port} ${otherKey}\n`);
    const asked = policy('accept-and-save');
    const before = logLength(facts);
    const ssh = connection(t, 'cluster', { policy: asked, knownHosts: new KnownHosts([file], path.join(dir, 'flotilla')) });
    await assert.rejects(ssh.connect(), (error: unknown) => {
      assert.ok(error instanceof SshError);
      assert.equal(error.code, 'host-key-changed');
      assert.ok(error.message.includes(facts.hostKeyFingerprint), error.message);
      assert.ok(error.message.includes(otherFingerprint), error.message);
      assert.ok(error.message.includes(`${file}:2`), error.message);
      return true;
    });
    assert.equal(asked.asked.length, 0, 'a changed key is never offered for acceptance');
    await assertNoLogin(ssh.localPorts, before);
  });

  it('checks each host against the known_hosts files its ssh_config names, as OpenSSH does, and saves to the first', async (t) => {
    const dir = tempDir(t);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'other')]);
    const otherKey = readFileSync(path.join(dir, 'other.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
    const impostor = path.join(dir, 'named_known_hosts');
    writeFileSync(impostor, `[${facts.host}]:${facts.port} ${otherKey}\n`);
    const saved = path.join(dir, 'new', 'known_hosts');
    const host = (alias: string, lines: string) => `Host ${alias}\n  HostName ${facts.host}\n  Port ${facts.port}\n  User ${facts.keyUser.name}\n  IdentityFile ${facts.keyUser.key}\n  IdentitiesOnly yes\n${lines}`;
    const file = path.join(dir, 'config');
    writeFileSync(
      file,
      host('named', `  UserKnownHostsFile ${impostor}\n  GlobalKnownHostsFile none\n`) +
        host('right', `  UserKnownHostsFile ${path.join(dir, 'missing')} ${facts.knownHosts}\n  GlobalKnownHostsFile none\n`) +
        host('global', `  UserKnownHostsFile none\n  GlobalKnownHostsFile ${facts.knownHosts}\n`) +
        host('fresh', `  UserKnownHostsFile ${saved}\n  GlobalKnownHostsFile none\n`),
    );
    const open = (alias: string, decision: HostKeyDecision = 'reject') => {
      const asked = policy(decision);
      const ssh = new SshConnection(alias, { config: new SshConfig(file), knownHosts: OPENSSH_KNOWN_HOSTS, hostKeyPolicy: asked, agent: '' });
      t.after(() => ssh.close());
      return { ssh, asked };
    };
    // The file the user named has another key for the host: refused, whatever else knows it.
    await assert.rejects(open('named').ssh.connect(), (error: unknown) => error instanceof SshError && error.code === 'host-key-changed' && error.message.includes(impostor));
    await open('right').ssh.connect();
    await open('global').ssh.connect();
    const fresh = open('fresh', 'accept-and-save');
    await fresh.ssh.connect();
    assert.equal(fresh.asked.asked.length, 1);
    assert.ok(readFileSync(saved, 'utf8').includes(facts.hostKey.split(' ')[1]!), 'saved to its UserKnownHostsFile');
    const again = open('fresh');
    await again.ssh.connect();
    assert.equal(again.asked.asked.length, 0, 'known from then on');
  });

  it('reads hashed known_hosts entries written by ssh-keygen -H', async (t) => {
    const dir = tempDir(t);
    const file = path.join(dir, 'known_hosts');
    copyFileSync(facts.knownHosts, file);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', file], { stdio: 'pipe' });
    assert.match(readFileSync(file, 'utf8'), /^\|1\|/);
    const asked = policy('reject');
    await connection(t, 'cluster', { policy: asked, knownHosts: new KnownHosts([file], path.join(dir, 'flotilla')) }).connect();
    assert.equal(asked.asked.length, 0);
  });

  it('answers a two-step login (password, then a one-time code) through the Prompter, once', async (t) => {
    const answers = prompter({ keyboard: (prompt) => (/^password/i.test(prompt) ? facts.otpUser.password : nextOtp(facts)) });
    const ssh = connection(t, 'otp', { prompter: answers });
    await ssh.connect();
    assert.equal(answers.rounds.length, 2, JSON.stringify(answers.rounds));
    assert.match(answers.rounds[0]![0]!, /^Password/);
    assert.match(answers.rounds[1]![0]!, /One-time password/);
    assert.equal((await ssh.exec('id -un')).stdout.trim(), facts.otpUser.name);
  });

  it('never sends a rejected code again', async (t) => {
    const answers = prompter({ keyboard: (prompt) => (/^password/i.test(prompt) ? facts.otpUser.password : '000000') });
    const ssh = connection(t, 'otp', { prompter: answers });
    await assert.rejects(ssh.connect(), (error: unknown) => error instanceof SshError && error.code === 'auth-failed');
    assert.equal(answers.rounds.length, 2, 'one password and one code, no second try');
    assert.equal(ssh.connections, 1);
    assert.equal(ssh.state, 'needs-login');
    const port = ssh.localPorts[0]!;
    const failed = await waitForLog((lines) => lines.filter((line) => line.startsWith('Failed keyboard-interactive') && line.includes(`port ${port} `)), 'the failure in sshd log');
    assert.equal(failed.length, 1, failed.join('\n'));
  });

  it('does not prompt when it may not (a reconnect without the user)', async (t) => {
    const answers = prompter({ keyboard: () => 'x' });
    const ssh = connection(t, 'otp', { prompter: answers });
    await assert.rejects(ssh.connect(false), (error: unknown) => error instanceof SshError && error.code === 'needs-login');
    assert.equal(answers.rounds.length, 0);
  });

  it('asks for the passphrase of an encrypted key once, and refuses a wrong one', async (t) => {
    const right = prompter({ passphrase: facts.keyUser.passphrase });
    const ssh = connection(t, 'locked', { prompter: right });
    await ssh.connect();
    assert.deepEqual(right.passphrases, [facts.keyUser.passphraseKey]);
    assert.equal((await ssh.exec('id -un')).stdout.trim(), facts.keyUser.name);

    const wrong = prompter({ passphrase: 'not it' });
    await assert.rejects(connection(t, 'locked', { prompter: wrong }).connect(), (error: unknown) => error instanceof SshError && error.code === 'auth-failed' && /wrong passphrase/.test(error.message));
    assert.equal(wrong.passphrases.length, 1);
  });

  it('goes through a ProxyJump host over a forwarded channel', async (t) => {
    const ssh = connection(t, 'inner');
    assert.deepEqual(ssh.settings.proxyJump, ['jump']);
    await ssh.connect();
    assert.equal(ssh.connections, 2);
    const result = await ssh.exec('echo "$SSH_CONNECTION"');
    // The inner connection comes from the jump host's side of the loopback, not from us directly.
    assert.match(result.stdout, new RegExp(`^${facts.host.replaceAll('.', '\\.')} \\d+ ${facts.host.replaceAll('.', '\\.')} ${facts.port}`));
  });
});
