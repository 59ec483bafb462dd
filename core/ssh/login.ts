/**
 * Logging in to a host: its key checked against known_hosts (a changed or revoked one refused,
 * an unknown one asked about through the HostKeyPolicy), then the user authenticated by the
 * agent, each identity file (a passphrase asked once per process) and one round of
 * keyboard-interactive through the Prompter. One per connection, so what was accepted or
 * given is remembered for its reconnects.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { AuthenticationType, NextAuthHandler, ParsedKey } from 'ssh2';
import type { HostSettings } from './config.ts';
import { SshError } from './errors.ts';
import { fingerprint, hostName, keyType } from './known-hosts.ts';
import type { KnownHosts } from './known-hosts.ts';
import type { HostKeyPolicy, Prompter } from './ports.ts';
import { ssh2 } from './ssh2.ts';

export interface LoginOptions {
  hostKeyPolicy: HostKeyPolicy;
  /** Answers passphrase and keyboard-interactive prompts; without it, no prompt is possible. */
  prompter?: Prompter;
  /** The ssh-agent socket (default: $SSH_AUTH_SOCK; empty: none). */
  agent?: string;
}

export class Login {
  private readonly options: LoginOptions;
  /** Host keys the user accepted for this process only ("once"). */
  private readonly acceptedOnce = new Set<string>();
  /** Passphrases given, by key file: asked once. */
  private readonly passphrases = new Map<string, string>();

  constructor(options: LoginOptions) {
    this.options = options;
  }

  /** Checks a host's key against known_hosts; an unknown one is asked about (or refused without anyone to ask). */
  async verifyHost(settings: HostSettings, knownHosts: KnownHosts, key: Buffer, interactive: boolean): Promise<void> {
    const { hostName: host, port } = settings;
    const verdict = knownHosts.check(host, port, key);
    const presented = fingerprint(key);
    if (verdict.kind === 'known') return;
    if (verdict.kind === 'revoked') throw new SshError('host-key-revoked', `the host key of ${hostName(host, port)} (${presented}) is revoked in ${verdict.file}:${verdict.line}; not connecting`);
    if (verdict.kind === 'changed') {
      const known = verdict.known.map((entry) => `${entry.type} ${entry.fingerprint} (${entry.file}:${entry.line})`).join(', ');
      throw new SshError(
        'host-key-changed',
        `the host key of ${hostName(host, port)} has changed: it presented ${keyType(key)} ${presented}, but known_hosts has ${known}. Someone may be intercepting the connection, or the host was reinstalled; not connecting. If the change is expected, remove the old key from known_hosts.`,
      );
    }
    if (this.acceptedOnce.has(`${hostName(host, port)} ${presented}`)) return;
    if (settings.strictHostKeyChecking === 'yes') throw new SshError('host-key-rejected', `${hostName(host, port)} is not in known_hosts (StrictHostKeyChecking yes); its key is ${keyType(key)} ${presented}`);
    if (!interactive) throw new SshError('needs-login', `${hostName(host, port)} presents an unknown host key (${presented}); connect by hand to check it`);
    const decision = await this.options.hostKeyPolicy.unknownHost({ host: hostName(host, port), port, type: keyType(key), fingerprint: presented, blob: key });
    if (decision === 'reject') throw new SshError('host-key-rejected', `the host key of ${hostName(host, port)} (${presented}) was not accepted`);
    if (decision === 'accept-and-save' && knownHosts.canSave) knownHosts.save(host, port, key);
    else this.acceptedOnce.add(`${hostName(host, port)} ${presented}`);
  }

  /**
   * Tries, in order: the agent, each identity file (asking for its passphrase once), and one
   * round of keyboard-interactive. Nothing is tried twice; with `interactive` false, nothing
   * that needs the user is tried.
   */
  authHandler(settings: HostSettings, interactive: boolean, fail: (error: SshError) => void) {
    const agent = this.options.agent ?? process.env.SSH_AUTH_SOCK ?? '';
    const steps: ((allowed: AuthenticationType[], next: NextAuthHandler) => boolean)[] = [];
    if (agent && existsSync(agent) && !settings.identitiesOnly) {
      steps.push((allowed, next) => allowed.includes('publickey') && (next({ type: 'agent', username: settings.user, agent }), true));
    }
    for (const file of settings.identityFiles.filter((candidate) => existsSync(candidate))) {
      steps.push((allowed, next) => {
        if (!allowed.includes('publickey')) return false;
        void this.identity(settings, file, interactive).then(
          (key) => (key ? next({ type: 'publickey', username: settings.user, key }) : advance(next)),
          (error: SshError) => {
            fail(error);
            next(false as never);
          },
        );
        return true;
      });
    }
    steps.push((allowed, next) => {
      if (!allowed.includes('keyboard-interactive')) return false;
      if (!interactive || !this.options.prompter) {
        fail(new SshError('needs-login', `${settings.alias} asks for a login prompt (password or one-time code)${interactive ? ', and there is nobody to ask' : '; connect by hand'}`));
        return false;
      }
      const prompter = this.options.prompter;
      next({
        type: 'keyboard-interactive',
        username: settings.user,
        prompt: (name, instructions, _language, prompts, finish) => {
          if (prompts.length === 0) return finish([]);
          prompter.keyboardInteractive({ host: settings.alias, user: settings.user, name, instructions, prompts: prompts.map((prompt) => ({ prompt: prompt.prompt, echo: prompt.echo === true })) }).then(
            (answers) => {
              if (answers) return finish(answers);
              fail(new SshError('auth-cancelled', `login to ${settings.alias} cancelled`));
              finish([]);
            },
            () => {
              fail(new SshError('auth-cancelled', `login to ${settings.alias} cancelled`));
              finish([]);
            },
          );
        },
      });
      // A rejected answer ends the login: the next call finds no step left.
      return true;
    });
    let allowedNow: AuthenticationType[] = ['publickey', 'keyboard-interactive'];
    const advance = (next: NextAuthHandler): void => {
      while (steps.length > 0) if (steps.shift()!(allowedNow, next)) return;
      fail(new SshError('auth-failed', `login to ${settings.user}@${settings.alias} failed (tried: agent, keys, keyboard-interactive as the server allowed)`));
      next(false as never);
    };
    return (methodsLeft: AuthenticationType[] | null, _partial: boolean | null, next: NextAuthHandler) => {
      if (methodsLeft) allowedNow = methodsLeft;
      advance(next);
    };
  }

  /** A parsed identity file, asking for its passphrase if it is encrypted; undefined to skip it. */
  private async identity(settings: HostSettings, file: string, interactive: boolean): Promise<ParsedKey | undefined> {
    const data = readFileSync(file);
    let parsed = ssh2().utils.parseKey(data, this.passphrases.get(file));
    if (!(parsed instanceof Error)) return parsed;
    if (!/encrypted|passphrase/i.test(parsed.message)) return undefined;
    if (!interactive || !this.options.prompter) return undefined;
    const passphrase = await this.options.prompter.passphrase({ host: settings.alias, user: settings.user, keyFile: file }).catch(() => undefined);
    if (passphrase === undefined) throw new SshError('auth-cancelled', `no passphrase given for ${file}`);
    parsed = ssh2().utils.parseKey(data, passphrase);
    if (parsed instanceof Error) throw new SshError('auth-failed', `wrong passphrase for ${file}`);
    this.passphrases.set(file, passphrase);
    return parsed;
  }
}
