/**
 * Log lines as events: a follow tails one stream of a task's attempt (the latest unless one is
 * named) and reports what is new as it is written, from the start. When a newer attempt
 * appears (a retry, a resubmit) a follow of the latest moves to it and says so (`reset`).
 * Files are looked at every `intervalMs`; a follow ends when its owner unfollows or goes away.
 *
 * An attempt running on a cluster writes its logs there: while it runs, each look of a follow
 * reads what is new from the host (`tail` from the follow's offset, one command at a time per
 * follow, over the cluster's one connection, only while it is online). Once the attempt has
 * ended, its logs have been copied here, and the follow goes on from the local copy.
 */
import type { AttemptRecord, Store } from '../store/store.ts';
import type { SshConnection } from '../ssh/connection.ts';
import type { Clusters } from '../targets/remote/clusters.ts';
import { remoteAttemptDir, remoteCwd, remoteRunRoot } from '../targets/remote/scripts.ts';
import { readFrom } from '../util/files.ts';
import { shellQuote } from '../util/shell.ts';

import type { LogEvent } from './types.ts';

interface Follow {
  id: string;
  session: string;
  runId: string;
  taskId: string;
  taskIdx: number;
  stream: 'stdout' | 'stderr';
  /** Fixed attempt, or undefined for the latest. */
  attempt: number | undefined;
  current: number | undefined;
  offset: number;
  /** A read from the host is on its way (the next look waits for it). */
  reading?: boolean;
  /** Where the followed attempt's stream is on its host (null: it runs here), worked out once per attempt. */
  remote?: { n: number; place: { host: string; file: string } | null };
}

/** Most bytes one follow reports per look (a huge log arrives over several looks). */
const CHUNK = 256 * 1024;

export class LogFollower {
  private readonly follows = new Map<string, Follow>();
  private timer: NodeJS.Timeout | undefined;
  private readonly store: Store;
  private readonly emit: (event: LogEvent) => void;
  private readonly intervalMs: number;

  private readonly clusters: Clusters | undefined;

  constructor(store: Store, emit: (event: LogEvent) => void, intervalMs = 250, clusters?: Clusters) {
    this.store = store;
    this.emit = emit;
    this.intervalMs = intervalMs;
    this.clusters = clusters;
  }

  add(follow: Omit<Follow, 'current' | 'offset'>): void {
    this.follows.set(follow.id, { ...follow, current: undefined, offset: 0 });
    this.look(this.follows.get(follow.id)!);
    this.timer ??= setInterval(() => {
      for (const each of this.follows.values()) this.look(each);
    }, this.intervalMs);
  }

  remove(id: string, session: string): boolean {
    const follow = this.follows.get(id);
    if (!follow || follow.session !== session) return false;
    this.follows.delete(id);
    this.stopIfIdle();
    return true;
  }

  /** Ends every follow of a session (its socket closed, its window went away). */
  endSession(session: string): void {
    for (const [id, follow] of this.follows) if (follow.session === session) this.follows.delete(id);
    this.stopIfIdle();
  }

  close(): void {
    this.follows.clear();
    this.stopIfIdle();
  }

  private stopIfIdle(): void {
    if (this.follows.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private look(follow: Follow): void {
    if (follow.reading) return;
    const attempts = this.store.attempts(follow.runId, follow.taskIdx);
    const attempt = follow.attempt === undefined ? attempts.at(-1) : attempts.find((a) => a.n === follow.attempt);
    if (!attempt) return;
    let reset = false;
    if (attempt.n !== follow.current) {
      reset = follow.current !== undefined;
      follow.current = attempt.n;
      follow.offset = 0;
    }
    if (attempt.state === 'running' && this.remotely(follow, attempt, reset)) return;
    const file = follow.stream === 'stdout' ? attempt.stdout : attempt.stderr;
    let chunk = readFrom(file, follow.offset, CHUNK);
    if (chunk && chunk.size < follow.offset) {
      // Truncated (rewritten): start over.
      follow.offset = 0;
      reset = true;
      chunk = readFrom(file, 0, CHUNK);
    }
    if (!chunk || chunk.bytes.length === 0) {
      if (reset) this.emit(this.event(follow, '', true));
      return;
    }
    // Never split a UTF-8 character between two events.
    const { bytes } = chunk;
    const end = follow.offset + bytes.length < chunk.size ? wholeCharacters(bytes) : bytes.length;
    follow.offset += end;
    this.emit(this.event(follow, bytes.subarray(0, end).toString('utf8'), reset));
  }

  /**
   * Reads what is new of a running remote attempt's stream from its host; false when the
   * attempt runs here (or its host is not connected: nothing new can be read then).
   */
  private remotely(follow: Follow, attempt: AttemptRecord, reset: boolean): boolean {
    if (follow.remote?.n !== attempt.n) follow.remote = { n: attempt.n, place: remoteLogPlace(this.store, follow.runId, follow.taskIdx, attempt, follow.stream) };
    const place = follow.remote.place;
    if (!place) return false;
    const connection = this.clusters?.connection(place.host);
    if (!connection || connection.state !== 'online') return true;
    follow.reading = true;
    void readRemoteLog(connection, place.file, follow.offset)
      .then((bytes) => {
        if (!this.follows.has(follow.id) || follow.current !== attempt.n) return;
        if (bytes.length === 0 && !reset) return;
        follow.offset += bytes.length;
        this.emit(this.event(follow, bytes.toString('utf8'), reset));
      })
      .catch(() => {
        // The connection dropped: the next look (once it is back) reads on from the same offset.
      })
      .finally(() => (follow.reading = false));
    return true;
  }

  private event(follow: Follow, text: string, reset: boolean): LogEvent {
    return { type: 'log', follow: follow.id, session: follow.session, runId: follow.runId, taskId: follow.taskId, attempt: follow.current!, stream: follow.stream, text, reset };
  }
}

/** The host and path of a remote attempt's stream; null when it runs here. */
export function remoteLogPlace(store: Store, runId: string, taskIdx: number, attempt: AttemptRecord, stream: 'stdout' | 'stderr'): { host: string; file: string } | null {
  const run = store.getRun(runId);
  const target = run?.plan.targets[attempt.target];
  const spec = store.taskSpec(runId, taskIdx);
  if (!run || !target || target.type === 'local' || !spec) return null;
  const cwd = remoteCwd(remoteRunRoot(target, run.id), spec.cwd);
  return { host: target.host, file: `${remoteAttemptDir(cwd, run.id, spec.id, attempt.n)}/${stream}` };
}

/**
 * What a remote log file holds from `offset` (at most one chunk, cut at whole UTF-8
 * characters unless `whole` is false), read on its host with one command. Rejects when the
 * connection drops.
 */
export async function readRemoteLog(connection: SshConnection, file: string, offset: number, limit = CHUNK, whole = true): Promise<Buffer> {
  // (A relative run root is relative to the home folder, where the command starts.)
  const result = await connection.exec(`tail -c +${offset + 1} -- ${shellQuote(file)} 2>/dev/null | head -c ${Math.floor(limit)}`);
  const bytes = result.stdoutBytes ?? Buffer.from(result.stdout);
  return whole ? bytes.subarray(0, wholeCharacters(bytes)) : bytes;
}

/** How many of `bytes` make whole UTF-8 characters (a character cut at the end waits for the next read). */
export function wholeCharacters(bytes: Buffer): number {
  let start = bytes.length;
  while (start > 0 && bytes.length - start < 4 && (bytes[start - 1]! & 0xc0) === 0x80) start--;
  if (start === 0) return bytes.length;
  const lead = bytes[start - 1]!;
  const needed = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return start - 1 + needed <= bytes.length ? bytes.length : start - 1;
}
