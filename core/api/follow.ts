/**
 * Log lines as events: a follow tails one stream of a task's attempt (the latest unless one is
 * named) and reports what is new as it is written, from the start. When a newer attempt
 * appears (a retry, a resubmit) a follow of the latest moves to it and says so (`reset`).
 * Files are looked at every `intervalMs`; a follow ends when its owner unfollows or goes away.
 */
import type { Store } from '../store/store.ts';
import { readFrom } from '../util/files.ts';

export interface LogEvent {
  type: 'log';
  follow: string;
  /** The host connection (web socket, window) that asked for it. */
  session: string;
  runId: string;
  taskId: string;
  attempt: number;
  stream: 'stdout' | 'stderr';
  text: string;
  /** The text starts a new attempt's output: drop what was shown before. */
  reset: boolean;
}

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
}

/** Most bytes one follow reports per look (a huge log arrives over several looks). */
const CHUNK = 256 * 1024;

export class LogFollower {
  private readonly follows = new Map<string, Follow>();
  private timer: NodeJS.Timeout | undefined;
  private readonly store: Store;
  private readonly emit: (event: LogEvent) => void;
  private readonly intervalMs: number;

  constructor(store: Store, emit: (event: LogEvent) => void, intervalMs = 250) {
    this.store = store;
    this.emit = emit;
    this.intervalMs = intervalMs;
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
    const attempts = this.store.attempts(follow.runId, follow.taskIdx);
    const attempt = follow.attempt === undefined ? attempts.at(-1) : attempts.find((a) => a.n === follow.attempt);
    if (!attempt) return;
    let reset = false;
    if (attempt.n !== follow.current) {
      reset = follow.current !== undefined;
      follow.current = attempt.n;
      follow.offset = 0;
    }
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
    let end = bytes.length;
    if (follow.offset + end < chunk.size) {
      while (end > 0 && (bytes[end - 1]! & 0xc0) === 0x80) end--;
      if (end > 0 && bytes[end - 1]! >= 0xc0) end--;
    }
    follow.offset += end;
    this.emit(this.event(follow, bytes.subarray(0, end).toString('utf8'), reset));
  }

  private event(follow: Follow, text: string, reset: boolean): LogEvent {
    return { type: 'log', follow: follow.id, session: follow.session, runId: follow.runId, taskId: follow.taskId, attempt: follow.current!, stream: follow.stream, text, reset };
  }
}
