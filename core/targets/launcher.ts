import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, appendFileSync, constants, mkdirSync, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import { isPackaged, resourceFile, unpacked } from '../util/resources.ts';

/**
 * One process to start: `shell -c script flotilla marker` in its own process group. The
 * marker among the arguments lets a later core recognize the process; the launcher appends
 * `pid PID` to the marker file (at once, or — the C launcher — only when the core went away
 * before recording it).
 */
export interface LaunchRequest {
  shell: string;
  script: string;
  marker: string;
  /** Log files, for a launcher that captures output itself (`capturesOutput`). */
  stdout: string;
  stderr: string;
  /** Folders to create first. */
  folders: string[];
  /** Launches (their ids) that must exit 0 first, for a launcher that `followsEdges`. */
  after?: number[];
}

/** A launch handed to a launcher: its id, and how to drop it if it has not started. */
export interface LaunchHandle {
  id: number;
  drop(): void;
}

export interface LaunchCallbacks {
  onStarted(pid: number): void;
  /**
   * `code` is null when killed by `signal`; `ranMs`, when the launcher measures it, is how
   * long it ran; `lost`, from a launcher that `capturesOutput`, says what output could not
   * be written to the log files (a full disk…).
   */
  onExit(code: number | null, signal: NodeJS.Signals | null, ranMs?: number, lost?: string): void;
  /** It could not be started at all. */
  onFailed(message: string): void;
  /** It will never start: it was dropped, or a launch in its `after` did not exit 0. */
  onWithdrawn(): void;
}

/** Starts processes in their own process group and reports their ends. */
export interface Launcher {
  /**
   * Whether it queues requests beyond its slots and starts the next itself when one ends
   * (so the core may hand it more than it runs at once).
   */
  readonly queues: boolean;
  /**
   * Whether it writes the attempt's output to the log files itself (creating them only when
   * output comes) and records ends in the status marker when the core cannot. If not, the
   * script must redirect its output and trap its exit status (see `attemptScript`).
   */
  readonly capturesOutput: boolean;
  /** Whether it holds a launch until the launches in its `after` exited 0. */
  readonly followsEdges: boolean;
  /**
   * Lets starts and successes wait (at most `ms`) while it holds at least `below` launches,
   * and while no slot idles with `coreHasReady` (the core has launches ready to hand it):
   * the core is then woken once for many ends. Failures and withdrawals come at once. Only
   * a launcher that `queues`; others report everything at once.
   */
  holdReports?(below: number, ms: number, coreHasReady: boolean): void;
  /** Starts (or queues) a process. */
  launch(request: LaunchRequest, callbacks: LaunchCallbacks): LaunchHandle;
  /** Every end reported so far is committed to the store. */
  committed(): void;
  dispose(): void;
}

/** What a protocol field may not hold as it is: the separators, and the escape itself. */
const SEPARATORS = /[\\\t\n]/;
const EVERY_SEPARATOR = new RegExp(SEPARATORS.source, 'g');
const ESCAPED: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n' };

/**
 * A field of a launch request as the launchers read it: a backslash, tab or newline is
 * written `\\`, `\t` or `\n`, and every other character as it is (so a request stays readable,
 * and costs the core nothing for the usual field that holds none of them).
 */
export function protocolField(text: string): string {
  return SEPARATORS.test(text) ? text.replace(EVERY_SEPARATOR, (c) => ESCAPED[c]!) : text;
}

/** What a launcher's `lost STREAM BYTES MESSAGE` report (or marker line) says, in words. */
export function lostOutput(stream: string, bytes: number, message: string): string {
  return `${bytes.toLocaleString('en')} bytes of its ${stream} could not be written to the log file (${message})`;
}

const SIGNAL_NAMES = new Map(Object.entries(osConstants.signals).map(([name, number]) => [number, name as NodeJS.Signals]));

/** Which launcher starts local attempts. */
export type LauncherKind = 'c' | 'perl' | 'node';

/**
 * The launcher to use: the C helper `npm ci` builds (out/launcher) where a compiler was
 * found, else the Perl one (Perl is on every Linux and macOS), else Node's own spawn.
 * `FLOTILLA_LAUNCHER=c|perl|node` picks one.
 */
export function createLauncher(slots: number, env: NodeJS.ProcessEnv = process.env): Launcher {
  const wanted = env.FLOTILLA_LAUNCHER as LauncherKind | undefined;
  if (wanted === undefined || wanted === 'c') {
    const source = resourceFile('launcher.c');
    const binary = unpacked(path.join(path.dirname(path.dirname(source)), 'out', 'launcher'));
    // A binary older than its source is stale (npm run build:launcher rebuilds it); a packaged app's is built with it.
    if (isExecutable(binary) && (isPackaged(binary) || statSync(binary).mtimeMs >= statSync(source).mtimeMs)) return new HelperLauncher(binary, [String(slots)], { capturesOutput: true, followsEdges: true, holdsReports: true });
    if (wanted === 'c') throw new Error(`FLOTILLA_LAUNCHER=c, but ${binary} is missing or older than its source (npm run build:launcher)`);
  }
  if (wanted === undefined || wanted === 'perl') {
    const perl = findPerl(env);
    if (perl) return new HelperLauncher(perl, [resourceFile('launcher.pl'), String(slots)], { capturesOutput: false, followsEdges: false });
    if (wanted === 'perl') throw new Error('FLOTILLA_LAUNCHER=perl, but there is no perl on PATH');
  }
  return new DirectLauncher();
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    // Not built here.
    return false;
  }
}

function findPerl(env: NodeJS.ProcessEnv): string | undefined {
  return (env.PATH ?? '/usr/bin:/bin')
    .split(':')
    .map((folder) => `${folder || '.'}/perl`)
    .find(isExecutable);
}

/**
 * Starts attempts through a small helper process (launcher.c or launcher.pl), so the core's
 * main thread never pays for a fork of itself.
 */
export class HelperLauncher implements Launcher {
  readonly queues = true;
  readonly capturesOutput: boolean;
  readonly followsEdges: boolean;
  /** Ends reported but not yet acknowledged to the helper as committed. */
  private unacknowledged: number[] = [];
  /** Output a launch could not save, reported just before its end. */
  private readonly lost = new Map<number, string>();
  private child: ChildProcess | undefined;
  private readonly pending = new Map<number, LaunchCallbacks>();
  private readonly command: string;
  private readonly args: string[];
  private nextId = 1;
  private broken: string | undefined;
  /** Lines not yet written to the helper. */
  private outbox = '';
  /** The last `hold` line sent, and whether the helper takes one. */
  private held = '';
  private readonly holds: boolean;

  constructor(command: string, args: string[], features: { capturesOutput: boolean; followsEdges: boolean; holdsReports?: boolean }) {
    this.command = command;
    this.args = args;
    this.capturesOutput = features.capturesOutput;
    this.followsEdges = features.followsEdges;
    this.holds = features.holdsReports === true;
  }

  holdReports(below: number, ms: number, coreHasReady: boolean): void {
    const line = `hold ${below} ${ms} ${coreHasReady ? 1 : 0}\n`;
    if (!this.holds || line === this.held) return;
    this.held = line;
    if (this.child) this.send(this.child, line);
  }

  launch(request: LaunchRequest, callbacks: LaunchCallbacks): LaunchHandle {
    const id = this.nextId++;
    if (this.broken) {
      callbacks.onFailed(this.broken);
      return { id, drop: () => {} };
    }
    const after = request.after?.length ? `<${request.after.join(',')}` : '';
    if (after && !this.followsEdges) throw new Error('this launcher does not follow edges');
    const child = this.child ?? this.spawnHelper();
    this.pending.set(id, callbacks);
    let line = `${id}${after}\t${protocolField(request.shell)}\t${protocolField(request.script)}\t${protocolField(request.marker)}\t${protocolField(request.stdout)}\t${protocolField(request.stderr)}`;
    for (const folder of request.folders) line += `\t${protocolField(folder)}`;
    this.send(child, `${line}\n`);
    return {
      id,
      drop: () => {
        if (this.pending.has(id) && this.child === child) this.send(child, `cancel ${id}\n`);
      },
    };
  }

  committed(): void {
    if (this.child && this.unacknowledged.length > 0) {
      this.send(this.child, `ack ${this.unacknowledged.join(' ')}\n`);
      this.unacknowledged = [];
    }
  }

  /**
   * Queues a line for the helper. Everything one commit hands over (its launches, then the
   * acknowledgement of the ends it recorded) goes in one write: one system call here, one
   * wake-up there.
   */
  private send(child: ChildProcess, line: string): void {
    this.outbox += line;
    if (this.outbox.length === line.length) process.nextTick(() => this.post(child));
  }

  private post(child: ChildProcess): void {
    const text = this.outbox;
    this.outbox = '';
    if (this.child === child && text) child.stdin!.write(text);
  }

  dispose(): void {
    if (!this.child) return;
    // A goodbye tells the helper every end was recorded; it exits once its attempts end.
    this.child.stdin!.end(`${this.outbox}bye\n`);
    this.outbox = '';
    this.child.stdout!.destroy();
    this.child.unref();
    this.child = undefined;
  }

  private spawnHelper(): ChildProcess {
    const child = spawn(this.command, this.args, { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child = child;
    if (this.held) this.send(child, this.held);
    child.on('error', (error) => this.breakDown(`cannot run the launcher (${this.command}): ${error.message}`));
    child.on('exit', (code, signal) => {
      if (this.child === child) this.breakDown(`the launcher stopped (${signal ?? `exit ${code}`})`);
    });
    // Lines by hand: readline costs more per line than everything done with the line.
    let partial = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      for (const line of lines) this.onLine(line);
    });
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
      this.unacknowledged.push(id);
      const code = Number(rest[0]);
      const signal = Number(rest[1]);
      const lost = this.lost.get(id);
      this.lost.delete(id);
      callbacks.onExit(code >= 0 ? code : null, signal > 0 ? (SIGNAL_NAMES.get(signal) ?? null) : null, rest[2] === undefined ? undefined : Number(rest[2]), lost);
    } else if (kind === 'lost') {
      // `lost ID STREAM BYTES MESSAGE`
      const [stream, bytes, ...message] = rest;
      const text = lostOutput(stream!, Number(bytes), message.join(' '));
      const earlier = this.lost.get(id);
      this.lost.set(id, earlier ? `${earlier}; ${text}` : text);
    } else if (kind === 'failed') {
      this.pending.delete(id);
      callbacks.onFailed(rest.join(' '));
    } else if (kind === 'withdrawn') {
      this.pending.delete(id);
      callbacks.onWithdrawn();
    }
  }

  private breakDown(message: string): void {
    this.broken = message;
    this.child = undefined;
    for (const callbacks of this.pending.values()) callbacks.onFailed(message);
    this.pending.clear();
  }
}

/** Node's own spawn: a fallback where neither the C nor the Perl launcher can run. */
export class DirectLauncher implements Launcher {
  readonly queues = false;
  readonly capturesOutput = false;
  readonly followsEdges = false;
  private nextId = 1;

  launch(request: LaunchRequest, callbacks: LaunchCallbacks): LaunchHandle {
    const handle = { id: this.nextId++, drop: () => {} };
    if (request.after?.length) throw new Error('this launcher does not follow edges');
    let child: ChildProcess;
    try {
      for (const folder of request.folders) mkdirSync(folder, { recursive: true });
      child = spawn(request.shell, ['-c', request.script, 'flotilla', request.marker], { detached: true, stdio: 'ignore' });
    } catch (error) {
      queueMicrotask(() => callbacks.onFailed((error as Error).message));
      return handle;
    }
    if (child.pid === undefined) {
      child.once('error', (error) => callbacks.onFailed(`cannot run ${request.shell}: ${error.message}`));
      return handle;
    }
    const pid = child.pid;
    appendFileSync(request.marker, `pid ${pid}\n`);
    child.once('exit', (code, signal) => callbacks.onExit(code, signal));
    queueMicrotask(() => callbacks.onStarted(pid));
    return handle;
  }

  committed(): void {}

  dispose(): void {}
}
