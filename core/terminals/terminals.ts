/**
 * Terminals in a task's folder: a shell on a pty, on this machine (node-pty) or on the task's
 * host (an SSH channel with a pty, over the cluster's one connection). The CLI's `flotilla
 * shell` and the desktop app's Terminal tab both use this one interface.
 */
import { createRequire } from 'node:module';
import type { IPty } from 'node-pty';
import type { SshConnection } from '../ssh/connection.ts';
import { shellQuote } from '../util/shell.ts';

export interface TerminalExit {
  code: number | null;
  signal: string | null;
}

export interface TerminalSession {
  /** Sends keystrokes (or pasted text). */
  write(data: string): void;
  resize(cols: number, rows: number): void;
  /** Ends the session (hangs up the shell). */
  kill(): void;
  /** Stops reading output until `resume` (flow control: the viewer is behind). */
  pause(): void;
  resume(): void;
  /** Output as it comes; returns the unsubscribe. */
  onData(listener: (data: string) => void): () => void;
  /** Called once, when the shell has exited. */
  onExit(listener: (exit: TerminalExit) => void): () => void;
}

export interface TerminalOptions {
  /** The folder the shell starts in. */
  cwd: string;
  cols?: number;
  rows?: number;
  /** Extra environment (local terminals). */
  env?: Record<string, string>;
}

/** Listeners of one kind, and the last value for late subscribers of a one-shot event. */
class Emitter<T> {
  private readonly listeners = new Set<(value: T) => void>();
  last: T | undefined;
  on(listener: (value: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(value: T): void {
    this.last = value;
    for (const listener of this.listeners) listener(value);
  }
}

/** A session from a shell's controls and the emitters its output and exit feed. */
function session(controls: Pick<TerminalSession, 'write' | 'resize' | 'kill' | 'pause' | 'resume'>, data: Emitter<string>, exit: Emitter<TerminalExit>): TerminalSession {
  return {
    ...controls,
    onData: (listener) => data.on(listener),
    onExit: (listener) => {
      if (exit.last) queueMicrotask(() => listener(exit.last!));
      return exit.on(listener);
    },
  };
}

/** A shell on a local pty in `cwd` (the user's $SHELL, else /bin/sh). */
export function openLocalTerminal(options: TerminalOptions): TerminalSession {
  // node-pty is native: loaded on first use, so nothing else pays for it.
  const pty = createRequire(import.meta.url)('node-pty') as typeof import('node-pty');
  const shell = process.env.SHELL || '/bin/sh';
  const child: IPty = pty.spawn(shell, [], {
    name: 'xterm-256color',
    cols: options.cols ?? 80,
    rows: options.rows ?? 24,
    cwd: options.cwd,
    env: { ...process.env, ...options.env } as Record<string, string>,
  });
  const data = new Emitter<string>();
  const exit = new Emitter<TerminalExit>();
  child.onData((chunk) => data.emit(chunk));
  child.onExit(({ exitCode, signal }) => exit.emit({ code: signal ? null : exitCode, signal: signal ? `signal ${signal}` : null }));
  return session(
    { write: (text) => child.write(text), resize: (cols, rows) => child.resize(cols, rows), kill: () => child.kill('SIGHUP'), pause: () => child.pause(), resume: () => child.resume() },
    data,
    exit,
  );
}

/**
 * A login shell on the remote host in `cwd`, over the host's shared connection. A relative
 * `cwd` starts at the remote home. A folder that does not exist yet (a task that has not run)
 * is said so, and the shell starts in the closest existing parent.
 */
export async function openRemoteTerminal(connection: SshConnection, options: TerminalOptions): Promise<TerminalSession> {
  const folder = options.cwd.startsWith('/') ? shellQuote(options.cwd) : `"$HOME"/${shellQuote(options.cwd)}`;
  const command =
    `d=${folder}; while [ ! -d "$d" ] && [ "$d" != / ]; do echo "flotilla: $d does not exist (yet)" >&2; d=$(dirname "$d"); done; ` +
    `cd "$d" && exec "\${SHELL:-/bin/sh}" -l`;
  const channel = await connection.shell({ rows: options.rows ?? 24, cols: options.cols ?? 80 }, `/bin/sh -c ${shellQuote(command)}`);
  const data = new Emitter<string>();
  const exit = new Emitter<TerminalExit>();
  channel.on('data', (chunk: Buffer) => data.emit(chunk.toString('utf8')));
  channel.stderr.on('data', (chunk: Buffer) => data.emit(chunk.toString('utf8')));
  let status: TerminalExit = { code: null, signal: null };
  channel.on('exit', (code: number | null, signal?: string) => (status = { code: code ?? null, signal: signal ?? null }));
  channel.on('close', () => exit.emit(status));
  return session(
    { write: (text) => channel.write(text), resize: (cols, rows) => channel.setWindow(rows, cols, 0, 0), kill: () => channel.close(), pause: () => channel.pause(), resume: () => channel.resume() },
    data,
    exit,
  );
}
