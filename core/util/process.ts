import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * The start time of a process (clock ticks since boot, from /proc), used with the pid to
 * tell a process from a later one that reused its pid. `null` where /proc is missing.
 */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may contain spaces and parentheses; fields after the last ')' are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    // No such process, or no /proc (macOS): the caller falls back to a liveness check alone.
    return null;
  }
}

/** Whether `pid` is alive and, when `start` is known, is the same process as before. */
export function isProcessAlive(pid: number, start: string | null = null): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else, so it is not ours.
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? start === null : false;
  }
  if (start === null) return true;
  const now = processStartTime(pid);
  return now === null || now === start;
}

let self: string | undefined;

/** Identity of this process for run ownership: `pid:start@host` (read once). */
export function selfOwner(): string {
  return (self ??= `${process.pid}:${processStartTime(process.pid) ?? '?'}@${hostname()}`);
}

/** Whether an owner string names a process that is gone (on this host; other hosts count as alive). */
export function isOwnerGone(owner: string): boolean {
  const match = /^(\d+):([^@]*)@(.*)$/.exec(owner);
  if (!match) return true;
  if (match[3] !== hostname()) return false;
  return !isProcessAlive(Number(match[1]), match[2] === '?' ? null : match[2]!);
}

/** Sends a signal to a whole process group, ignoring a group that is already gone. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}
