import { createHash, createHmac, randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** One usable line of a known_hosts file. */
interface Entry {
  file: string;
  line: number;
  marker: '' | '@revoked' | '@cert-authority';
  patterns: string[];
  type: string;
  blob: Buffer;
}

/** What the known_hosts files say about a presented key. */
export type HostKeyVerdict =
  | { kind: 'known'; file: string; line: number }
  /** The host is known with other keys: refuse (a man in the middle, or a reinstalled host). */
  | { kind: 'changed'; known: { fingerprint: string; type: string; file: string; line: number }[] }
  | { kind: 'revoked'; file: string; line: number }
  | { kind: 'unknown' };

/** `SHA256:…` of a key's wire form, as `ssh-keygen -l` prints it. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named at the start of a key's wire form. */
export function keyType(blob: Buffer): string {
  const length = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + length).toString('latin1');
}

/** How known_hosts names a host: `host` on port 22, `[host]:port` otherwise. */
export function hostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** Where the known_hosts of a connection come from: chosen per host, as OpenSSH does. */
export interface KnownHostsSource {
  /** The known_hosts to check `host`'s key against (`files`: those OpenSSH would read for it). */
  forHost(host: { userKnownHostsFiles: string[]; globalKnownHostsFiles: string[] }): KnownHosts;
}

/**
 * The files OpenSSH reads for each host: its `UserKnownHostsFile`s (default
 * ~/.ssh/known_hosts, ~/.ssh/known_hosts2) and `GlobalKnownHostsFile`s (default
 * /etc/ssh/ssh_known_hosts, /etc/ssh/ssh_known_hosts2), read afresh at each connection; a key
 * the user accepts is saved to the first user file, as OpenSSH saves it.
 */
export const OPENSSH_KNOWN_HOSTS: KnownHostsSource = openSshKnownHosts();

/**
 * OPENSSH_KNOWN_HOSTS, also reading `legacy` (where Flotilla 0.1 saved the keys its users
 * accepted) for hosts that none of OpenSSH's files knows: a key there never outweighs them.
 */
export function openSshKnownHosts(legacy?: string): KnownHostsSource {
  return {
    forHost: (host) => new KnownHosts([...host.userKnownHostsFiles, ...host.globalKnownHostsFiles], host.userKnownHostsFiles[0], legacy === undefined ? [] : [legacy]),
  };
}

/**
 * Known_hosts files as OpenSSH reads them (plain and hashed entries, wildcards, negations,
 * `@revoked`), read together; new keys are saved to `saveTo` (none: they cannot be saved).
 * As a source it stands for the same files for every host (tests, fixed setups).
 */
export class KnownHosts implements KnownHostsSource {
  private readonly entries: Entry[] = [];
  private readonly fallbackEntries: Entry[] = [];
  private readonly saveTo: string | undefined;

  /**
   * `files`: read in order (missing ones are skipped); `saveTo`: where accepted keys go (also
   * read); `fallback`: files consulted only for a host that none of the others names.
   */
  constructor(files: string[], saveTo: string | undefined, fallback: string[] = []) {
    this.saveTo = saveTo;
    for (const file of [...new Set([...files, ...(saveTo === undefined ? [] : [saveTo])])]) this.read(file, this.entries);
    for (const file of fallback) this.read(file, this.fallbackEntries);
  }

  /** The entries that speak for a host: the main files', or the fallback's when those name it nowhere. */
  private entriesFor(name: string): Entry[] {
    return this.entries.some((entry) => entry.marker !== '@cert-authority' && matchesHost(entry.patterns, name)) ? this.entries : this.fallbackEntries;
  }

  forHost(): KnownHosts {
    return this;
  }

  /** Whether an accepted key can be remembered (a user known_hosts file is set). */
  get canSave(): boolean {
    return this.saveTo !== undefined;
  }

  /** Key types known for the host (to ask the server for one of those first). */
  knownTypes(host: string, port: number): string[] {
    const name = hostName(host, port);
    return [...new Set(this.entriesFor(name).filter((entry) => entry.marker === '' && matchesHost(entry.patterns, name)).map((entry) => entry.type))];
  }

  check(host: string, port: number, blob: Buffer): HostKeyVerdict {
    const name = hostName(host, port);
    const entries = this.entriesFor(name);
    const matching = entries.filter((entry) => entry.marker !== '@cert-authority' && matchesHost(entry.patterns, name));
    // A key revoked in any file stays revoked.
    const revoked = [...this.entries, ...this.fallbackEntries].find((entry) => entry.marker === '@revoked' && entry.blob.equals(blob));
    if (revoked) return { kind: 'revoked', file: revoked.file, line: revoked.line };
    const same = matching.find((entry) => entry.marker === '' && entry.blob.equals(blob));
    if (same) return { kind: 'known', file: same.file, line: same.line };
    const others = matching.filter((entry) => entry.marker === '');
    if (others.length > 0) return { kind: 'changed', known: others.map((entry) => ({ fingerprint: fingerprint(entry.blob), type: entry.type, file: entry.file, line: entry.line })) };
    return { kind: 'unknown' };
  }

  /** Saves a key the user accepted, as a hashed entry (like `HashKnownHosts yes`). */
  save(host: string, port: number, blob: Buffer): void {
    if (this.saveTo === undefined) return;
    mkdirSync(path.dirname(this.saveTo), { recursive: true });
    const salt = randomBytes(20);
    const hash = createHmac('sha1', salt).update(hostName(host, port)).digest();
    const pattern = `|1|${salt.toString('base64')}|${hash.toString('base64')}`;
    appendFileSync(this.saveTo, `${pattern} ${keyType(blob)} ${blob.toString('base64')}\n`, { mode: 0o600 });
    this.entries.push({ file: this.saveTo, line: 0, marker: '', patterns: [pattern], type: keyType(blob), blob });
  }

  private read(file: string, into: Entry[]): void {
    if (!existsSync(file)) return;
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((text, index) => {
        const fields = text.trim().split(/\s+/);
        if (fields[0] === '' || fields[0]!.startsWith('#')) return;
        const marker = fields[0] === '@revoked' || fields[0] === '@cert-authority' ? (fields.shift() as Entry['marker']) : '';
        const [patterns, type, key] = fields;
        if (!patterns || !type || !key) return;
        const blob = Buffer.from(key, 'base64');
        if (blob.length < 8) return;
        into.push({ file, line: index + 1, marker, patterns: patterns.split(','), type, blob });
      });
  }
}

/** Whether a host's patterns name it: some positive pattern matches and no negated one does. */
function matchesHost(patterns: string[], name: string): boolean {
  let matched = false;
  for (const pattern of patterns) {
    if (pattern.startsWith('|1|')) {
      const [, , salt, hash] = pattern.split('|');
      if (salt && hash && createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash) matched = true;
    } else if (pattern.startsWith('!')) {
      if (wildcard(pattern.slice(1), name)) return false;
    } else if (wildcard(pattern, name)) {
      matched = true;
    }
  }
  return matched;
}

/** OpenSSH's pattern match: `*` any run, `?` one character, case-insensitive. */
export function wildcard(pattern: string, text: string): boolean {
  const source = pattern
    .toLowerCase()
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(text.toLowerCase());
}
