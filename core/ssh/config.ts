import { existsSync, globSync, readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import path from 'node:path';
import { wildcard } from './known-hosts.ts';
import { CodedError } from '../model/errors.ts';

/** What ~/.ssh/config says about one host, with OpenSSH's defaults filled in. */
export interface HostSettings {
  /** The name the user gave (an alias, or the host itself). */
  alias: string;
  hostName: string;
  user: string;
  port: number;
  identityFiles: string[];
  /** Whether only the identity files may be used (not every key the agent holds). */
  identitiesOnly: boolean;
  /** Jump hosts, in order (`ProxyJump a,b`), each `[user@]host[:port]` or an alias. */
  proxyJump: string[];
  /** Seconds between keepalives; 0: none. */
  serverAliveInterval: number;
  serverAliveCountMax: number;
  /** Seconds to wait for the TCP connection and the login. */
  connectTimeout: number;
  /** Known_hosts files of this host, as OpenSSH chooses them (`none` gives none). */
  userKnownHostsFiles: string[];
  globalKnownHostsFiles: string[];
  strictHostKeyChecking: 'yes' | 'ask' | 'accept-new' | 'no';
}

/** A keyword line, with where it came from. */
interface Line {
  keyword: string;
  args: string[];
  file: string;
  line: number;
}

/** A config file that cannot be read as ssh_config. */
export class SshConfigError extends CodedError {
  constructor(message: string) {
    super('ssh-config', message);
  }
}

const MULTI = new Set(['identityfile']);

/**
 * Reads an ssh_config file (with `Include`) and resolves hosts as OpenSSH does: the first
 * value obtained for a keyword wins, except that IdentityFile accumulates. `Match` blocks are
 * not evaluated: their lines are ignored.
 */
export class SshConfig {
  private readonly file: string;
  /** Read at the first host resolved: a command that reaches no host never reads (or trips on) the file. */
  private lines: Line[] | undefined;

  constructor(file: string = path.join(homedir(), '.ssh', 'config')) {
    this.file = file;
  }

  /** The settings for connecting to `name`, which may carry `user@` and `:port`. */
  resolve(name: string): HostSettings {
    if (this.lines === undefined) {
      const lines: Line[] = [];
      if (existsSync(this.file)) this.read(this.file, 0, lines);
      this.lines = lines;
    }
    const parsed = parseDestination(name);
    const found = new Map<string, string[]>();
    let active = true;
    for (const line of this.lines) {
      if (line.keyword === 'host') {
        active = hostMatches(line.args, parsed.host);
        continue;
      }
      if (line.keyword === 'match') {
        active = false;
        continue;
      }
      if (!active) continue;
      if (MULTI.has(line.keyword)) found.set(line.keyword, [...(found.get(line.keyword) ?? []), ...line.args]);
      else if (!found.has(line.keyword)) found.set(line.keyword, line.args);
    }
    const one = (keyword: string) => found.get(keyword)?.[0];
    const hostName = (one('hostname') ?? parsed.host).replaceAll('%h', parsed.host);
    const user = parsed.user ?? one('user') ?? userInfo().username;
    const port = parsed.port ?? numberOf(one('port'), 22, 'Port');
    const tokens = (text: string) =>
      expandHome(text.replace(/%[%dhpru]/g, (token) => ({ '%%': '%', '%d': homedir(), '%h': hostName, '%p': String(port), '%r': user, '%u': userInfo().username })[token]!));
    const identityFiles = (found.get('identityfile') ?? []).filter((file) => file.toLowerCase() !== 'none').map(tokens);
    const jump = one('proxyjump');
    const strict = (one('stricthostkeychecking') ?? 'ask').toLowerCase();
    return {
      alias: parsed.host,
      hostName,
      user,
      port,
      identityFiles: identityFiles.length > 0 ? identityFiles : defaultIdentities(),
      identitiesOnly: (one('identitiesonly') ?? 'no').toLowerCase() === 'yes',
      proxyJump: jump && jump.toLowerCase() !== 'none' ? jump.split(',') : [],
      serverAliveInterval: numberOf(one('serveraliveinterval'), 0, 'ServerAliveInterval'),
      serverAliveCountMax: numberOf(one('serveralivecountmax'), 3, 'ServerAliveCountMax'),
      connectTimeout: numberOf(one('connecttimeout'), 30, 'ConnectTimeout'),
      // One line names them all (the first line found wins, as for other keywords).
      userKnownHostsFiles: knownHostsFiles(found.get('userknownhostsfile') ?? ['~/.ssh/known_hosts', '~/.ssh/known_hosts2']).map(tokens),
      globalKnownHostsFiles: knownHostsFiles(found.get('globalknownhostsfile') ?? ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2']).map(tokens),
      strictHostKeyChecking: strict === 'yes' || strict === 'accept-new' || strict === 'no' ? strict : 'ask',
    };
  }

  private read(file: string, depth: number, lines: Line[]): void {
    if (depth > 16) throw new SshConfigError(`${file}: Include nested too deeply`);
    const text = readFileSync(file, 'utf8');
    text.split('\n').forEach((raw, index) => {
      const content = raw.trim();
      if (content === '' || content.startsWith('#')) return;
      const match = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(content);
      if (!match) throw new SshConfigError(`${file}:${index + 1}:1: '${content}' has no value`);
      const keyword = match[1]!.toLowerCase();
      const args = splitArgs(match[2]!);
      if (keyword === 'include') {
        for (const pattern of args) {
          const full = path.isAbsolute(expandHome(pattern)) ? expandHome(pattern) : path.join(homedir(), '.ssh', pattern);
          for (const included of globSync(full).sort()) this.read(included, depth + 1, lines);
        }
        return;
      }
      lines.push({ keyword, args, file, line: index + 1 });
    });
  }
}

/** `[user@]host[:port]`; an IPv6 host goes in brackets. */
export function parseDestination(text: string): { user?: string; host: string; port?: number } {
  const at = text.lastIndexOf('@');
  const user = at >= 0 ? text.slice(0, at) : undefined;
  const rest = at >= 0 ? text.slice(at + 1) : text;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (bracketed) return { ...(user ? { user } : {}), host: bracketed[1]!, ...(bracketed[2] ? { port: Number(bracketed[2]) } : {}) };
  const colon = rest.lastIndexOf(':');
  if (colon > 0 && rest.indexOf(':') === colon && /^\d+$/.test(rest.slice(colon + 1))) {
    return { ...(user ? { user } : {}), host: rest.slice(0, colon), port: Number(rest.slice(colon + 1)) };
  }
  return { ...(user ? { user } : {}), host: rest };
}

function hostMatches(patterns: string[], host: string): boolean {
  let matched = false;
  for (const pattern of patterns) {
    if (pattern.startsWith('!')) {
      if (wildcard(pattern.slice(1), host)) return false;
    } else if (wildcard(pattern, host)) {
      matched = true;
    }
  }
  return matched;
}

/** Arguments separated by blanks; double quotes keep blanks together. */
function splitArgs(text: string): string[] {
  const args: string[] = [];
  for (const match of text.matchAll(/"([^"]*)"|(\S+)/g)) args.push(match[1] ?? match[2]!);
  return args;
}

function knownHostsFiles(args: string[]): string[] {
  return args.length === 1 && args[0]!.toLowerCase() === 'none' ? [] : args;
}

function numberOf(text: string | undefined, fallback: number, keyword: string): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new SshConfigError(`${keyword} must be a whole number, not '${text}'`);
  return value;
}

function expandHome(file: string): string {
  return file === '~' ? homedir() : file.startsWith('~/') ? path.join(homedir(), file.slice(2)) : file;
}

function defaultIdentities(): string[] {
  return ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((name) => path.join(homedir(), '.ssh', name));
}
