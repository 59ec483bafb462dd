import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseDestination, SshConfig, SshConfigError } from '../../core/ssh/config.ts';
import { fingerprint, KnownHosts } from '../../core/ssh/known-hosts.ts';
import { tempDir } from '../helpers.ts';

function config(t: Parameters<typeof tempDir>[0], text: string, files: Record<string, string> = {}): SshConfig {
  const dir = tempDir(t);
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
  const file = path.join(dir, 'config');
  writeFileSync(file, text.replaceAll('DIR', dir));
  return new SshConfig(file);
}

/** A fake ed25519 key blob (wire form) with a given fill byte. */
function blob(fill: number): Buffer {
  const type = Buffer.from('ssh-ed25519');
  const key = Buffer.alloc(32, fill);
  const out = Buffer.alloc(4 + type.length + 4 + key.length);
  out.writeUInt32BE(type.length, 0);
  type.copy(out, 4);
  out.writeUInt32BE(key.length, 4 + type.length);
  key.copy(out, 8 + type.length);
  return out;
}

describe('ssh_config', () => {
  it('resolves a host: first value wins, identity files add up, tokens and ~ expand', (t) => {
    const c = config(
      t,
      `Host hpc
  HostName login.%h.example.org
  User alice
  Port 2201
  IdentityFile ~/.ssh/id_hpc
  ServerAliveInterval 20
Host h* !hidden
  User bob
  IdentityFile ~/.ssh/%r@%h
  ProxyJump gate,gate2:2022
  ServerAliveCountMax=5
Host *
  Port 22
  ConnectTimeout 7
  StrictHostKeyChecking accept-new
`,
    );
    const hpc = c.resolve('hpc');
    assert.equal(hpc.hostName, 'login.hpc.example.org');
    assert.equal(hpc.user, 'alice');
    assert.equal(hpc.port, 2201);
    assert.deepEqual(hpc.identityFiles, [path.join(homedir(), '.ssh/id_hpc'), path.join(homedir(), '.ssh/alice@login.hpc.example.org')]);
    assert.deepEqual(hpc.proxyJump, ['gate', 'gate2:2022']);
    assert.equal(hpc.serverAliveInterval, 20);
    assert.equal(hpc.serverAliveCountMax, 5);
    assert.equal(hpc.connectTimeout, 7);
    assert.equal(hpc.strictHostKeyChecking, 'accept-new');
    const hidden = c.resolve('hidden');
    assert.equal(hidden.user === 'bob', false, 'a negated pattern excludes the host');
    assert.deepEqual(hidden.proxyJump, []);
    const explicit = c.resolve('carol@hpc:2300');
    assert.equal(explicit.user, 'carol');
    assert.equal(explicit.port, 2300);
  });

  it('follows Include and skips Match blocks', (t) => {
    const c = config(t, `Include DIR/extra\nMatch exec "false"\n  User nobody\nHost *\n  User fallback\n`, { extra: 'Host inc\n  HostName included.example.org\n' });
    assert.equal(c.resolve('inc').hostName, 'included.example.org');
    assert.equal(c.resolve('inc').user, 'fallback');
  });

  it('reports a bad value with the keyword', (t) => {
    assert.throws(() => config(t, 'Host x\n  Port twenty\n').resolve('x'), (error: unknown) => error instanceof SshConfigError && /Port must be a whole number, not 'twenty'/.test(error.message));
  });

  it('parses destinations', () => {
    assert.deepEqual(parseDestination('u@h:2222'), { user: 'u', host: 'h', port: 2222 });
    assert.deepEqual(parseDestination('[::1]:22'), { host: '::1', port: 22 });
    assert.deepEqual(parseDestination('me@example.org'), { user: 'me', host: 'example.org' });
  });
});

describe('known_hosts', () => {
  it('matches plain, bracketed, wildcard, negated and hashed entries, and @revoked keys', (t) => {
    const dir = tempDir(t);
    const salt = Buffer.alloc(20, 7);
    const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('[secret.example.org]:2200').digest('base64')}`;
    const file = path.join(dir, 'known_hosts');
    writeFileSync(
      file,
      [
        `plain.example.org ssh-ed25519 ${blob(1).toString('base64')}`,
        `[ported.example.org]:2222 ssh-ed25519 ${blob(2).toString('base64')}`,
        `*.cluster.org,!bad.cluster.org ssh-ed25519 ${blob(3).toString('base64')}`,
        `${hashed} ssh-ed25519 ${blob(4).toString('base64')}`,
        `@revoked * ssh-ed25519 ${blob(9).toString('base64')}`,
        `@cert-authority *.example.org ssh-ed25519 ${blob(8).toString('base64')}`,
        '# comment',
        '',
      ].join('\n'),
    );
    const known = new KnownHosts([file, path.join(dir, 'missing')], path.join(dir, 'saved'));
    assert.equal(known.check('plain.example.org', 22, blob(1)).kind, 'known');
    assert.equal(known.check('ported.example.org', 2222, blob(2)).kind, 'known');
    assert.equal(known.check('ported.example.org', 22, blob(2)).kind, 'unknown');
    assert.equal(known.check('node7.cluster.org', 22, blob(3)).kind, 'known');
    assert.equal(known.check('bad.cluster.org', 22, blob(3)).kind, 'unknown');
    assert.equal(known.check('secret.example.org', 2200, blob(4)).kind, 'known');
    assert.deepEqual(known.check('anything.org', 22, blob(9)), { kind: 'revoked', file, line: 5 });
    const changed = known.check('plain.example.org', 22, blob(5));
    assert.deepEqual(changed, { kind: 'changed', known: [{ fingerprint: fingerprint(blob(1)), type: 'ssh-ed25519', file, line: 1 }] });
    assert.deepEqual(known.knownTypes('plain.example.org', 22), ['ssh-ed25519']);
    known.save('new.example.org', 2222, blob(6));
    assert.equal(new KnownHosts([], path.join(dir, 'saved')).check('new.example.org', 2222, blob(6)).kind, 'known');
  });

  it('keys saved by an older Flotilla count only for hosts that the user\'s files do not name', (t) => {
    const dir = tempDir(t);
    const user = path.join(dir, 'user_known_hosts');
    const legacy = path.join(dir, 'legacy_known_hosts');
    writeFileSync(user, `named.example.org ssh-ed25519 ${blob(1).toString('base64')}\n`);
    writeFileSync(legacy, `named.example.org ssh-ed25519 ${blob(2).toString('base64')}\nold.example.org ssh-ed25519 ${blob(3).toString('base64')}\n`);
    const known = new KnownHosts([user], user, [legacy]);
    // The user's file names the host with another key: the legacy entry cannot outweigh it.
    assert.equal(known.check('named.example.org', 22, blob(2)).kind, 'changed');
    assert.equal(known.check('named.example.org', 22, blob(1)).kind, 'known');
    assert.equal(known.check('old.example.org', 22, blob(3)).kind, 'known');
    assert.equal(known.check('old.example.org', 22, blob(4)).kind, 'changed');
  });
});
