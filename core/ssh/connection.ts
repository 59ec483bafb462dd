import net from 'node:net';
import type { Client as SshClient, ClientChannel, ConnectConfig, SFTPWrapper } from 'ssh2';
import { SshConfig } from './config.ts';
import type { HostSettings } from './config.ts';
import { SshError } from './errors.ts';
import type { KnownHostsSource } from './known-hosts.ts';
import { Login } from './login.ts';
import type { HostKeyPolicy, Prompter } from './ports.ts';
import { ssh2 } from './ssh2.ts';

type Client = SshClient;

import type { ConnectionState } from './status.ts';

export type { ConnectionState } from './status.ts';

export interface SshConnectionOptions {
  /** ~/.ssh/config, parsed (default: the user's). */
  config?: SshConfig;
  /** The known_hosts of each host (OPENSSH_KNOWN_HOSTS: the files ~/.ssh/config chooses). */
  knownHosts: KnownHostsSource;
  hostKeyPolicy: HostKeyPolicy;
  /** Answers passphrase and keyboard-interactive prompts; without it, no prompt is possible. */
  prompter?: Prompter;
  /** The ssh-agent socket (default: $SSH_AUTH_SOCK; empty: none). */
  agent?: string;
  /**
   * The server's MaxSessions (default 10, sshd's default). Flotilla keeps two below it (a
   * server frees a closed session a moment after the client sees it close) and lowers the
   * limit further when the server refuses a channel anyway.
   */
  maxSessions?: number;
  /** Reconnect delays after a lost connection: the first, and the cap (doubling between). */
  reconnectMs?: { first: number; max: number };
  onState?: (state: ConnectionState, detail: string | null) => void;
}

/** What a remote command did. */
export interface ExecResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  /** stdout as it came, for byte counts (a piece of a log may end inside a character). */
  stdoutBytes?: Buffer;
  stderr: string;
}

const DEFAULT_RECONNECT = { first: 15_000, max: 600_000 };

/** Host key algorithms to ask for, by the key types known for a host. */
const ALGORITHMS_OF_TYPE: Record<string, string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
};

/**
 * One SSH connection to one cluster, shared by everything that talks to it: commands, SFTP,
 * shells. Host keys are checked against known_hosts (an unknown one goes to the HostKeyPolicy,
 * a changed one is refused); passphrases and keyboard-interactive prompts go to the Prompter,
 * once per connection, and a rejected answer is never sent again on its own. Channels are kept
 * under the server's MaxSessions. A lost connection is retried with exponential back-off, but
 * only where no prompt is needed: otherwise it waits in `needs-login` for the user.
 */
export class SshConnection {
  readonly destination: string;
  readonly settings: HostSettings;
  private readonly options: SshConnectionOptions;
  private readonly config: SshConfig;
  private client: Client | undefined;
  private hops: Client[] = [];
  private connecting: Promise<void> | undefined;
  private stateValue: ConnectionState = 'offline';
  private stateDetail: string | null = null;
  private lastSeenAt: number | null = null;
  private closedByUser = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectDelay: number;
  /** Host keys accepted once and passphrases given, kept for reconnects. */
  private readonly auth: Login;
  private readonly waiting: (() => void)[] = [];
  private sessions = 0;
  private sessionLimit: number;
  private sftpSession: Promise<SFTPWrapper> | undefined;
  /** TCP connections opened so far (hops included). */
  connections = 0;
  /** The local ports of those connections (what the server logs them by). */
  readonly localPorts: number[] = [];

  constructor(destination: string, options: SshConnectionOptions) {
    this.destination = destination;
    this.options = options;
    this.config = options.config ?? new SshConfig();
    this.settings = this.config.resolve(destination);
    this.reconnectDelay = (options.reconnectMs ?? DEFAULT_RECONNECT).first;
    this.sessionLimit = Math.max(1, (options.maxSessions ?? 10) - 2);
    this.auth = new Login(options);
  }

  /** What the last change of state said (why it needs a login, why it went offline). */
  get lastError(): string | null {
    return this.stateDetail;
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  /** When the server last answered (ms since the epoch), or null. */
  get lastSeen(): number | null {
    return this.lastSeenAt;
  }

  /**
   * Connects (once; concurrent callers share the attempt). `interactive`: prompts may be
   * shown; otherwise a login that needs one fails with `needs-login`.
   */
  connect(interactive = true): Promise<void> {
    if (this.stateValue === 'online') return Promise.resolve();
    if (this.stateValue === 'closed') return Promise.reject(new SshError('closed', `connection to ${this.destination} was closed`));
    clearTimeout(this.reconnectTimer);
    this.connecting ??= this.open(interactive).finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** Runs a command (sent as is: quote every argument with `shellQuote`). */
  async exec(command: string, input?: string | Buffer): Promise<ExecResult> {
    const channel = await this.channel((client, callback) => client.exec(command, callback));
    const result = await collect(channel, input);
    this.lastSeenAt = Date.now();
    return result;
  }

  /**
   * Opens a session channel within the limit; it counts until it closes. A channel the server
   * refuses (its MaxSessions reached) lowers the limit and is asked for again shortly.
   */
  private async channel(open: (client: Client, callback: (error: Error | undefined, channel: ClientChannel) => void) => void): Promise<ClientChannel> {
    for (let attempt = 1; ; attempt++) {
      const client = this.online();
      await this.acquire();
      const opened = await new Promise<ClientChannel | Error>((resolve) =>
        open(client, (error, channel) => {
          // The exit status can arrive before anyone awaiting this listens: keep it now.
          if (!error) watchExit(channel);
          resolve(error ?? channel);
        }),
      );
      if (!(opened instanceof Error)) {
        opened.once('close', () => this.release());
        return opened;
      }
      this.release();
      if (!/open failed/i.test(opened.message) || attempt === 5) throw this.failure(opened);
      this.sessionLimit = Math.max(1, Math.min(this.sessionLimit, this.sessions) - 1);
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }

  /** The connection's one SFTP session (opened on first use; it holds one channel). */
  sftp(): Promise<SFTPWrapper> {
    const client = this.online();
    this.sftpSession ??= this.acquire().then(
      () =>
        new Promise<SFTPWrapper>((resolve, reject) => {
          client.sftp((error, sftp) => {
            if (error) {
              this.release();
              this.sftpSession = undefined;
              return reject(this.failure(error));
            }
            sftp.on('close', () => {
              this.release();
              this.sftpSession = undefined;
            });
            resolve(sftp);
          });
        }),
    );
    return this.sftpSession;
  }

  /**
   * An interactive shell with a pty (for terminals); holds a channel until closed. With
   * `command` (quoted by the caller), that command runs on the pty instead of the login shell.
   */
  shell(window: { rows: number; cols: number; term?: string }, command?: string): Promise<ClientChannel> {
    const pty = { rows: window.rows, cols: window.cols, term: window.term ?? 'xterm-256color' };
    if (command !== undefined) return this.channel((client, callback) => client.exec(command, { pty }, callback));
    return this.channel((client, callback) => client.shell(pty, callback));
  }

  /** Closes for good (no reconnect). */
  close(): void {
    this.closedByUser = true;
    clearTimeout(this.reconnectTimer);
    this.teardown();
    this.setState('closed', null);
  }

  private online(): Client {
    if (this.stateValue !== 'online' || !this.client) throw new SshError('offline', `${this.destination} is ${this.stateValue}`);
    return this.client;
  }

  private async open(interactive: boolean): Promise<void> {
    this.setState('connecting', null);
    try {
      const chain = [...this.settings.proxyJump.map((jump) => this.config.resolve(jump)), this.settings];
      let sock: ClientChannel | undefined;
      const clients: Client[] = [];
      for (const [index, settings] of chain.entries()) {
        const client = await this.login(settings, interactive, sock);
        clients.push(client);
        if (index < chain.length - 1) {
          const next = chain[index + 1]!;
          sock = await new Promise<ClientChannel>((resolve, reject) =>
            client.forwardOut('127.0.0.1', 0, next.hostName, next.port, (error, channel) => (error ? reject(new SshError('connect-failed', `jump host ${settings.alias} cannot reach ${next.hostName}:${next.port}: ${error.message}`)) : resolve(channel))),
          );
        }
      }
      this.hops = clients.slice(0, -1);
      this.client = clients.at(-1)!;
      this.watch(this.client);
      this.lastSeenAt = Date.now();
      this.reconnectDelay = (this.options.reconnectMs ?? DEFAULT_RECONNECT).first;
      this.setState('online', null);
    } catch (error) {
      this.teardown();
      const failure = error instanceof SshError ? error : new SshError('connect-failed', `cannot connect to ${this.destination}: ${(error as Error).message}`);
      const needsUser = ['needs-login', 'auth-failed', 'auth-cancelled', 'host-key-changed', 'host-key-revoked', 'host-key-rejected'].includes(failure.code);
      this.setState(needsUser ? 'needs-login' : 'offline', failure.message);
      if (!needsUser && !interactive) this.scheduleReconnect();
      throw failure;
    }
  }

  /** One TCP connection (or one through `sock`), host key checked, logged in. */
  private login(settings: HostSettings, interactive: boolean, through?: ClientChannel): Promise<Client> {
    const client = new (ssh2().Client)();
    this.connections++;
    let sock: net.Socket | ClientChannel | undefined = through;
    if (!sock) {
      // No Nagle: SFTP and polls are request/answer; waiting to batch small packets costs a
      // delayed-ACK round (tens of ms) per request.
      const socket = net.connect({ host: settings.hostName, port: settings.port, noDelay: true });
      socket.once('connect', () => this.localPorts.push(socket.localPort!));
      sock = socket;
    }
    let failure: SshError | undefined;
    const knownHosts = this.options.knownHosts.forHost(settings);
    const knownTypes = knownHosts.knownTypes(settings.hostName, settings.port);
    const serverHostKey = knownTypes.flatMap((type) => ALGORITHMS_OF_TYPE[type] ?? [type]);
    const config: ConnectConfig = {
      host: settings.hostName,
      port: settings.port,
      username: settings.user,
      readyTimeout: settings.connectTimeout * 1000,
      keepaliveInterval: (settings.serverAliveInterval || 15) * 1000,
      keepaliveCountMax: settings.serverAliveCountMax,
      sock,
      ...(serverHostKey.length > 0 ? { algorithms: { serverHostKey: serverHostKey as never } } : {}),
      hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
        this.auth.verifyHost(settings, knownHosts, key, interactive).then(
          () => verify(true),
          (error: SshError) => {
            failure = error;
            verify(false);
          },
        );
      },
      authHandler: this.auth.authHandler(settings, interactive, (error) => (failure ??= error)),
    };
    return new Promise<Client>((resolve, reject) => {
      client.once('ready', () => resolve(client));
      // `on`, not `once`: a handshake that times out can be followed by a second error (the
      // connection lost before the handshake), and an error nobody listens for kills the process.
      client.on('error', (error) => {
        client.end();
        reject(failure ?? new SshError('connect-failed', `cannot connect to ${settings.alias} (${settings.hostName}:${settings.port}): ${error.message}`));
      });
      client.connect(config);
    });
  }

  private watch(client: Client): void {
    client.on('close', () => {
      if (this.client !== client) return;
      this.teardown();
      if (this.closedByUser) return;
      this.setState('offline', 'connection lost');
      this.scheduleReconnect();
    });
    client.on('error', () => {
      // A keepalive timeout or a reset: 'close' follows.
    });
  }

  /** Whether a reconnect is scheduled (the connection was lost and waits out its back-off). */
  get reconnecting(): boolean {
    return this.reconnectTimer !== undefined;
  }

  /**
   * After a failed `connect`, keep trying in the background with back-off (without prompts);
   * `onState` reports `online` when it succeeds.
   */
  reconnectLater(): void {
    if (this.stateValue === 'offline') this.scheduleReconnect();
  }

  /** Tries again after the current delay, without prompts; doubles the delay up to its cap. */
  private scheduleReconnect(): void {
    if (this.closedByUser || this.reconnectTimer) return;
    const delay = this.reconnectDelay;
    const { max } = this.options.reconnectMs ?? DEFAULT_RECONNECT;
    this.reconnectDelay = Math.min(delay * 2, max);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      // A failure is not lost: `connect` makes it the state (offline or needs-login, with the
      // reason, which the app shows) and schedules the next try.
      if (this.stateValue === 'offline') this.connect(false).catch(() => undefined);
    }, delay);
    this.reconnectTimer.unref();
  }

  private teardown(): void {
    const client = this.client;
    this.client = undefined;
    this.sftpSession = undefined;
    this.sessions = 0;
    client?.end();
    for (const hop of this.hops.reverse()) hop.end();
    this.hops = [];
    for (const wake of this.waiting.splice(0)) wake();
  }

  private setState(state: ConnectionState, detail: string | null): void {
    if (this.stateValue === 'closed') return;
    this.stateValue = state;
    this.stateDetail = detail;
    this.options.onState?.(state, detail);
  }

  private async acquire(): Promise<void> {
    while (this.sessions >= this.sessionLimit) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
      this.online();
    }
    this.sessions++;
  }

  private release(): void {
    if (this.sessions > 0) this.sessions--;
    this.waiting.shift()?.();
  }

  private failure(error: Error): SshError {
    return new SshError(this.stateValue === 'online' ? 'connect-failed' : 'offline', `${this.destination}: ${error.message}`);
  }
}

/** Reads a channel to its end. */
/** Exit statuses of open channels, recorded from the moment each opened. */
const exits = new WeakMap<ClientChannel, { code: number | null; signal: string | null }>();

function watchExit(channel: ClientChannel): void {
  const status = { code: null as number | null, signal: null as string | null };
  exits.set(channel, status);
  channel.on('exit', (exitCode: number | null, exitSignal?: string) => {
    status.code = exitCode ?? null;
    status.signal = exitSignal ?? null;
  });
}

function collect(channel: ClientChannel, input?: string | Buffer): Promise<ExecResult> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    channel.on('data', (chunk: Buffer) => out.push(chunk));
    channel.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    channel.on('close', () => {
      const status = exits.get(channel) ?? { code: null, signal: null };
      const bytes = Buffer.concat(out);
      resolve({ code: status.code, signal: status.signal, stdout: bytes.toString('utf8'), stdoutBytes: bytes, stderr: Buffer.concat(err).toString('utf8') });
    });
    channel.end(input);
  });
}
