/**
 * The Flotilla home (where the store and the runs' files are), and what an error of the disk
 * it is on means to a person.
 */
import { homedir } from 'node:os';
import path from 'node:path';

/** `$FLOTILLA_HOME`, or `~/.flotilla`. */
export function flotillaHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.FLOTILLA_HOME ? path.resolve(env.FLOTILLA_HOME) : path.join(homedir(), '.flotilla');
}

/**
 * What a person should know of an error the store's disk gave (full, failing), with what to
 * do; undefined for any other error. Such an error rolled its commit back: what was recorded
 * before it stands.
 */
export function diskProblem(error: unknown, home: string): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  const detail = (error as Error).message;
  if (code === 'SQLITE_FULL') {
    return `the disk holding ${home} is full (${detail}): free some space, then run the command again ('flotilla resume RUN' continues a run this stopped; its tasks ran on). Nothing was recorded wrongly.`;
  }
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return `a disk is full or over its quota (${detail}): free some space, then run the command again ('flotilla resume RUN' continues a run this stopped). Nothing was recorded wrongly.`;
  }
  if (code.startsWith('SQLITE_IOERR') || code === 'EIO' || code === 'EROFS' || code === 'SQLITE_READONLY') {
    return `cannot write to ${home} (${code}: ${detail}): check the disk it is on, then run the command again ('flotilla resume RUN' continues a run this stopped). Nothing was recorded wrongly.`;
  }
  return undefined;
}
