/**
 * A remote target's hold on its host: the connection (shared by every run's targets on that
 * host, see clusters.ts), the run's folder there, and whether the host refused us. Connecting
 * prompts only when a person is there to answer; a refusal is final for the run, so nobody's
 * account is locked by repeated logins.
 */
import path from 'node:path';
import type { RemoteTargetSpec } from '../../model/types.ts';
import { SshError } from '../../ssh/errors.ts';
import type { SshConnection } from '../../ssh/connection.ts';
import type { ClusterStatus, Clusters } from './clusters.ts';
import type { TransferProgress } from './staging.ts';
import { remoteRunRoot } from './scripts.ts';

const posix = path.posix;

/** What a remote target (and its hold on its host) is given. */
export interface RemoteTargetOptions {
  clusters: Clusters;
  runId: string;
  /** The run's local root: inputs are found and outputs land relative to it. */
  localRoot: string;
  /** Whether connecting may prompt (a person is there to answer). */
  interactive?: boolean;
  /** Overrides the target's poll interval (tests). */
  pollMs?: number;
  /** Compare staged files by content hash instead of size and modification time. */
  hashFiles?: boolean;
  onTransfer?: (taskId: string, n: number, progress: TransferProgress) => void;
  onCluster?: (status: ClusterStatus) => void;
}

/** What a host answers that only the user can change. */
const REFUSALS = ['host-key-changed', 'host-key-revoked', 'host-key-rejected', 'auth-failed', 'auth-cancelled'];

export class HostSession {
  readonly connection: SshConnection;
  /** The run's remote folder, absolute (known once connected: a relative root starts at the remote home). */
  runRoot = '';
  /** Why this host refused us (host key, login), once it did. */
  refused: string | undefined;
  /** Remote commands run (tests and the status view count them). */
  commands = 0;
  private readonly spec: RemoteTargetSpec;
  private readonly runId: string;
  private readonly interactive: boolean;

  constructor(spec: RemoteTargetSpec, options: Pick<RemoteTargetOptions, 'clusters' | 'runId' | 'interactive'>) {
    this.spec = spec;
    this.runId = options.runId;
    this.interactive = options.interactive === true;
    this.connection = options.clusters.connection(spec.host);
  }

  /** Connects if needed and learns the run's remote folder; false while the host cannot be reached or refused us (`refused`). */
  async ensureOnline(): Promise<boolean> {
    // Refused: no login is tried again from here; but a connection someone else brought back
    // (another run, the app's Connect) is used, so what is out there is still watched.
    if (this.refused && this.connection.state !== 'online') return false;
    try {
      if (this.connection.state !== 'online') {
        if (this.connection.state === 'needs-login' && !this.interactive) {
          return this.refuse(withoutAsking(this.connection.lastError ?? 'it needs a login prompt or an unknown host key checked'));
        }
        // Lost and waiting out its back-off: polls do not hurry it (the 'online' event wakes us).
        if (this.connection.reconnecting) return false;
        await this.connection.connect(this.interactive);
      }
      if (!this.runRoot) {
        const root = remoteRunRoot(this.spec, this.runId);
        if (posix.isAbsolute(root)) this.runRoot = root;
        else {
          this.commands++;
          const home = (await this.connection.exec('pwd')).stdout.trim();
          if (!posix.isAbsolute(home)) return false;
          this.runRoot = posix.join(home, root);
        }
      }
      return true;
    } catch (error) {
      if (!(error instanceof SshError)) throw error;
      // Unreachable: keep trying in the background, with back-off.
      if (error.code === 'offline' || error.code === 'connect-failed') this.connection.reconnectLater();
      if (REFUSALS.includes(error.code)) return this.refuse(error.message);
      // Nobody to ask: waiting would be forever.
      if (error.code === 'needs-login' && !this.interactive) return this.refuse(withoutAsking(error.message));
      return false;
    }
  }

  /** Runs a script with the host's /bin/sh. */
  exec(script: string): ReturnType<SshConnection['exec']> {
    this.commands++;
    return this.connection.exec('/bin/sh -s', script);
  }

  private refuse(message: string): false {
    this.refused = `cannot reach ${this.spec.host}: ${message}`;
    return false;
  }
}

/** Why a host that needs the user cannot be reached without one, and what to do. */
function withoutAsking(message: string): string {
  return `${message}; there is no terminal to ask on: run the command on a terminal to answer, or check the host once with ssh (its key is then in known_hosts) and use a key login`;
}
