import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { createInterface } from 'node:readline';
import { resourceFile } from '../util/resources.ts';

/**
 * One process to start: `shell -c script flotilla folder…` in a new session. The script sets
 * up its own output files, working folder and environment (see `attemptScript`), so that a
 * launcher only creates the folders, forks and execs.
 */
export interface LaunchRequest {
  shell: string;
  script: string;
  /** Folders to create first; also passed as the script's arguments. */
  folders: string[];
}

export interface LaunchCallbacks {
  onStarted(pid: number): void;
  /** `code` is null when killed by `signal`. */
  onExit(code: number | null, signal: NodeJS.Signals | null): void;
  /** It could not be started at all. */
  onFailed(message: string): void;
}

/** Starts processes in their own session (process group) and reports their ends. */
export interface Launcher {
  launch(request: LaunchRequest, callbacks: LaunchCallbacks): void;
  dispose(): void;
}

const SIGNAL_NAMES = new Map(Object.entries(osConstants.signals).map(([name, number]) => [number, name as NodeJS.Signals]));

/**
 * The launcher to use: the Perl fork server where Perl exists (every Linux and macOS), else
 * Node's own spawn. `FLOTILLA_LAUNCHER=node` forces the latter.
 */
export function createLauncher(env: NodeJS.ProcessEnv = process.env): Launcher {
  if (env.FLOTILLA_LAUNCHER !== 'node') {
    const perl = findPerl(env);
    if (perl) return new PerlLauncher(perl);
  }
  return new DirectLauncher();
}

function findPerl(env: NodeJS.ProcessEnv): string | undefined {
  for (const folder of (env.PATH ?? '/usr/bin:/bin').split(':')) {
    const candidate = `${folder || '.'}/perl`;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this folder; keep looking.
    }
  }
  return undefined;
}

/** Forks in a small Perl helper, so the core's main thread never pays for a fork. */
export class PerlLauncher implements Launcher {
  private child: ChildProcess | undefined;
  private readonly pending = new Map<number, LaunchCallbacks>();
  private readonly perl: string;
  private nextId = 1;
  private broken: string | undefined;

  constructor(perl: string) {
    this.perl = perl;
  }

  launch(request: LaunchRequest, callbacks: LaunchCallbacks): void {
    if (this.broken) return callbacks.onFailed(this.broken);
    const child = this.child ?? this.spawnHelper();
    const id = this.nextId++;
    this.pending.set(id, callbacks);
    const fields = [request.shell, request.script, ...request.folders];
    child.stdin!.write(`${id}\t${fields.map((field) => Buffer.from(field, 'utf8').toString('base64')).join('\t')}\n`);
  }

  dispose(): void {
    if (!this.child) return;
    // Ending its input ends the helper; monitors of running attempts finish on their own.
    this.child.stdin!.end();
    this.child.stdout!.destroy();
    this.child.unref();
    this.child = undefined;
  }

  private spawnHelper(): ChildProcess {
    const child = spawn(this.perl, [resourceFile('launcher.pl')], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child = child;
    child.on('error', (error) => this.breakDown(`cannot run the launcher (${this.perl}): ${error.message}`));
    child.on('exit', (code, signal) => {
      if (this.child === child) this.breakDown(`the launcher stopped (${signal ?? `exit ${code}`})`);
    });
    createInterface({ input: child.stdout! }).on('line', (line) => this.onLine(line));
    return child;
  }

  private onLine(line: string): void {
    const [kind, idText, ...rest] = line.split(' ');
    const id = Number(idText);
    const callbacks = this.pending.get(id);
    if (!callbacks) return;
    if (kind === 'started') {
      callbacks.onStarted(Number(rest[0]));
    } else if (kind === 'exit') {
      this.pending.delete(id);
      const code = Number(rest[0]);
      const signal = Number(rest[1]);
      callbacks.onExit(code >= 0 ? code : null, signal > 0 ? (SIGNAL_NAMES.get(signal) ?? null) : null);
    } else if (kind === 'failed') {
      this.pending.delete(id);
      callbacks.onFailed(rest.join(' '));
    }
  }

  private breakDown(message: string): void {
    this.broken = message;
    this.child = undefined;
    for (const callbacks of this.pending.values()) callbacks.onFailed(message);
    this.pending.clear();
  }
}

/** Node's own spawn: a fallback where Perl is missing. */
export class DirectLauncher implements Launcher {
  launch(request: LaunchRequest, callbacks: LaunchCallbacks): void {
    let child: ChildProcess;
    try {
      for (const folder of request.folders) mkdirSync(folder, { recursive: true });
      child = spawn(request.shell, ['-c', request.script, 'flotilla', ...request.folders], { detached: true, stdio: 'ignore' });
    } catch (error) {
      queueMicrotask(() => callbacks.onFailed((error as Error).message));
      return;
    }
    if (child.pid === undefined) {
      child.once('error', (error) => callbacks.onFailed(`cannot run ${request.shell}: ${error.message}`));
      return;
    }
    const pid = child.pid;
    child.once('exit', (code, signal) => callbacks.onExit(code, signal));
    queueMicrotask(() => callbacks.onStarted(pid));
  }

  dispose(): void {}
}
