/**
 * File staging over the connection's one SFTP session: inputs up before an attempt is
 * submitted, outputs back after it succeeds. A file whose size and modification time already
 * match on the other side is skipped (or, when asked, whose SHA-256 matches); each file is
 * written under a temporary name, given the source's modification time, then renamed, so a
 * reader never sees half a file.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, globSync, lstatSync, mkdirSync, realpathSync, renameSync, statSync, utimesSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SFTPWrapper, Stats } from 'ssh2';
import type { SshConnection } from '../../ssh/connection.ts';
import { leavesFolder } from '../../util/files.ts';
import { sha256File } from '../../util/hash.ts';
import { shellQuote } from '../../util/shell.ts';
import type { AttemptExit } from '../target.ts';

const posix = path.posix;

/** Progress of one staging step, for the CLI and the UI. */
export interface TransferProgress {
  direction: 'up' | 'down';
  files: number;
  totalFiles: number;
  bytes: number;
  totalBytes: number;
  /** Files left alone because they were already up to date. */
  skipped: number;
}

export interface TransferOptions {
  /** Compare contents by SHA-256 instead of size and modification time. */
  hash?: boolean;
  /** Files transferred at once. */
  parallel?: number;
  onProgress?: (progress: TransferProgress) => void;
}

/** A file to move: the local path, the remote path, and (for downloads) what the remote listed. */
export interface FilePair {
  local: string;
  remote: string;
  size?: number;
  mtime?: number;
}

/** Thrown for a staging problem: names the file and what went wrong. */
export class StagingError extends Error {
  readonly code = 'staging-failed';
}

/**
 * The local files of `patterns` (paths, folders or globs relative to `root`), each with the
 * path it gets below `remoteRoot`. A pattern that matches nothing is an error.
 */
export function inputFiles(root: string, patterns: string[], remoteRoot: string): FilePair[] {
  const files = new Map<string, FilePair>();
  const realRoot = realpathSync(root);
  for (const pattern of patterns) {
    const matches = /[*?[{]/.test(pattern) ? globSync(pattern, { cwd: root }) : [pattern];
    let found = 0;
    for (const match of matches) {
      const local = path.resolve(root, match);
      let stat;
      try {
        stat = statSync(local);
      } catch {
        continue;
      }
      const walk = stat.isDirectory() ? globSync('**/*', { cwd: local }).map((inner) => path.join(local, inner)) : [local];
      for (const file of walk) {
        const fileStat = file === local ? stat : statSync(file);
        if (!fileStat.isFile()) continue;
        const relative = path.relative(root, file);
        // Judged by where it really leads: a link inside the folder may point anywhere.
        const real = path.relative(realRoot, realpathSync(file));
        if (leavesFolder(relative) || leavesFolder(real)) throw new StagingError(`input '${pattern}' reaches outside the workflow folder (${file}); stage only files below ${root}`);
        files.set(file, { local: file, remote: posix.join(remoteRoot, relative.split(path.sep).join('/')) });
        found++;
      }
    }
    if (found === 0) throw new StagingError(`input '${pattern}' matches no file in ${root}`);
  }
  return [...files.values()];
}

/**
 * Makes the folders of a download's local path below `root`, refusing to go through a symbolic
 * link (a task's folder may hold one that leads anywhere) or out of `root`.
 */
export function prepareLocalPath(root: string, file: string): void {
  const relative = path.relative(root, file);
  if (leavesFolder(relative) || relative === '') throw new StagingError(`output ${file} is not below the task's folder ${root}`);
  mkdirSync(root, { recursive: true });
  let folder = root;
  for (const part of relative.split(path.sep).slice(0, -1)) {
    folder = path.join(folder, part);
    let stat;
    try {
      stat = lstatSync(folder);
    } catch {
      mkdirSync(folder);
      continue;
    }
    if (stat.isSymbolicLink()) throw new StagingError(`output ${file} would be written through the symbolic link ${folder}; outputs are not fetched through links`);
    if (!stat.isDirectory()) throw new StagingError(`output ${file} needs ${folder} to be a folder, and it is not`);
  }
}

/**
 * Uploads files whose remote copy differs. `known` remembers what this process already
 * uploaded or found (remote path → "size mtime"), so a sweep sharing inputs stats them once.
 */
export async function upload(connection: SshConnection, files: FilePair[], known: Map<string, string>, options: TransferOptions = {}): Promise<TransferProgress> {
  const sftp = await connection.sftp();
  // Size and mtime as they are now (a file may have changed since it was listed).
  const wanted = files.map((file) => {
    const local = statSync(file.local);
    return { ...file, size: local.size, mtime: Math.floor(local.mtimeMs / 1000) };
  });
  const progress: TransferProgress = { direction: 'up', files: 0, totalFiles: wanted.length, bytes: 0, totalBytes: 0, skipped: 0 };
  const todo: typeof wanted = [];
  const alike: typeof wanted = [];
  await Promise.all(
    wanted.map(async (file) => {
      if (known.get(file.remote) === `${file.size} ${file.mtime}` && !options.hash) return progress.skipped++;
      const remote = await stat(sftp, file.remote);
      if (remote !== undefined && remote.size === file.size && remote.mtime === file.mtime) alike.push(file);
      else todo.push(file);
    }),
  );
  const changed = await contentChanged(connection, alike, options.hash);
  for (const file of alike) {
    if (changed.has(file)) {
      todo.push(file);
      continue;
    }
    known.set(file.remote, `${file.size} ${file.mtime}`);
    progress.skipped++;
  }
  const folders = new Set(todo.map((file) => posix.dirname(file.remote)));
  progress.totalBytes = todo.reduce((sum, file) => sum + file.size, 0);
  progress.totalFiles = todo.length;
  options.onProgress?.({ ...progress });
  for (const folder of folders) await makeFolders(sftp, folder, known, connection.destination);
  await eachLimited(todo, options.parallel ?? 8, async (file) => {
    const temporary = `${file.remote}.flotilla-part-${randomBytes(4).toString('hex')}`;
    const count = tracker(progress, options.onProgress);
    try {
      await fastPut(sftp, file.local, temporary, count.step);
      await utimes(sftp, temporary, file.mtime);
      await rename(sftp, temporary, file.remote);
    } catch (error) {
      sftp.unlink(temporary, () => {});
      throw new StagingError(`cannot upload ${file.local} to ${connection.destination}:${file.remote}: ${(error as Error).message}`, { cause: error });
    }
    known.set(file.remote, `${file.size} ${file.mtime}`);
    count.done(file.size);
  });
  return progress;
}

/**
 * Downloads files (size and mtime as the remote listed them) whose local copy differs. Each is
 * written below `root` only, never through a symbolic link; a link where a file goes is
 * replaced, not followed.
 */
export async function download(connection: SshConnection, root: string, files: FilePair[], options: TransferOptions = {}): Promise<TransferProgress> {
  const sftp = await connection.sftp();
  const todo: FilePair[] = [];
  const alike: FilePair[] = [];
  const progress: TransferProgress = { direction: 'down', files: 0, totalFiles: 0, bytes: 0, totalBytes: 0, skipped: 0 };
  for (const file of files) {
    let local;
    try {
      local = lstatSync(file.local);
    } catch {
      local = undefined;
    }
    if (local?.isSymbolicLink()) local = undefined;
    if (local && local.size === file.size && Math.floor(local.mtimeMs / 1000) === file.mtime) alike.push(file);
    else todo.push(file);
  }
  const changed = await contentChanged(connection, alike, options.hash);
  for (const file of alike) {
    if (changed.has(file)) todo.push(file);
    else progress.skipped++;
  }
  progress.totalFiles = todo.length;
  progress.totalBytes = todo.reduce((sum, file) => sum + (file.size ?? 0), 0);
  options.onProgress?.({ ...progress });
  await eachLimited(todo, options.parallel ?? 8, async (file) => {
    prepareLocalPath(root, file.local);
    const temporary = `${file.local}.flotilla-part-${randomBytes(4).toString('hex')}`;
    const count = tracker(progress, options.onProgress);
    try {
      await fastGet(sftp, file.remote, temporary, count.step);
      if (file.mtime !== undefined) utimesSync(temporary, file.mtime, file.mtime);
      renameSync(temporary, file.local);
    } catch (error) {
      rmSync(temporary, { force: true });
      throw new StagingError(`cannot download ${connection.destination}:${file.remote} to ${file.local}: ${(error as Error).message}`, { cause: error });
    }
    count.done(file.size);
  });
  return progress;
}

/** Most of an attempt's log copied here: its last this many bytes (the rest stays on the host, and the copy says where). */
export const MAX_LOG_BYTES = 64 * 1024 * 1024;

/**
 * Copies an ended attempt's logs from the host into their files here, so they can be read
 * after the host purged its folder: each whole, or its last MAX_LOG_BYTES after a line saying
 * where the rest is. A log the host does not have (nothing was written) is left out, and so is
 * one that is not a regular file. A log that cannot be read is noted in its copy; a lost
 * connection throws (the caller tries again once it is back).
 */
export async function fetchLogs(connection: SshConnection, logs: { remote: string; local: string }[]): Promise<void> {
  const sftp = await connection.sftp();
  for (const log of logs) {
    const found = await new Promise<Stats | undefined>((resolve) => sftp.lstat(log.remote, (error: Error | undefined, stats: Stats) => resolve(error ? undefined : stats)));
    if (!found?.isFile() || found.size === 0) continue;
    const start = Math.max(0, found.size - MAX_LOG_BYTES);
    mkdirSync(path.dirname(log.local), { recursive: true });
    const temporary = `${log.local}.flotilla-part-${randomBytes(4).toString('hex')}`;
    try {
      await new Promise<void>((resolve, reject) => {
        const out = createWriteStream(temporary, { flags: 'wx' });
        if (start > 0) out.write(`[flotilla: the first ${start} bytes of this log are on ${connection.destination}:${log.remote}]\n`);
        const input = sftp.createReadStream(log.remote, { start });
        input.once('error', reject);
        out.once('error', reject);
        out.once('finish', resolve);
        input.pipe(out);
      });
      renameSync(temporary, log.local);
    } catch (error) {
      rmSync(temporary, { force: true });
      if (connection.state !== 'online') throw error;
      writeFileSync(log.local, `[flotilla: could not fetch ${connection.destination}:${log.remote}: ${(error as Error).message}]\n`);
    }
  }
}

/** `mkdir -p` over SFTP (folders made or found are remembered in `known`). */
async function makeFolders(sftp: SFTPWrapper, folder: string, known: Map<string, string>, host: string): Promise<void> {
  if (known.get(folder) === 'dir' || folder === '/' || folder === '.' || folder === '') return;
  const existing = await stat(sftp, folder);
  if (!existing) {
    await makeFolders(sftp, posix.dirname(folder), known, host);
    const error = await new Promise<Error | undefined>((resolve) => sftp.mkdir(folder, (failure) => resolve(failure ?? undefined)));
    // Made meanwhile by another transfer: fine.
    if (error && !(await stat(sftp, folder))) throw new StagingError(`cannot create ${host}:${folder}: ${error.message}`);
  }
  known.set(folder, 'dir');
}

/** Counts one file's bytes into `progress` as they move (`step`), then the file (`done`). */
function tracker(progress: TransferProgress, onProgress: TransferOptions['onProgress']): { step: (total: number) => void; done: (size: number | undefined) => void } {
  let moved = 0;
  return {
    step: (total) => {
      progress.bytes += total - moved;
      moved = total;
      onProgress?.({ ...progress });
    },
    done: (size) => {
      progress.bytes += (size ?? moved) - moved;
      progress.files++;
      onProgress?.({ ...progress });
    },
  };
}

async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (next < items.length && failure === undefined) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure;
}

function stat(sftp: SFTPWrapper, file: string): Promise<{ size: number; mtime: number } | undefined> {
  return new Promise((resolve) => sftp.stat(file, (error: Error | undefined, stats: Stats) => resolve(error ? undefined : { size: stats.size, mtime: stats.mtime })));
}

function utimes(sftp: SFTPWrapper, file: string, mtime: number): Promise<void> {
  return new Promise((resolve, reject) => sftp.utimes(file, mtime, mtime, (error) => (error ? reject(error) : resolve())));
}

/** Replaces the target atomically (OpenSSH's posix-rename; plain rename elsewhere). */
function rename(sftp: SFTPWrapper, from: string, to: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error: Error | undefined | null) => (error ? reject(error) : resolve());
    try {
      sftp.ext_openssh_rename(from, to, done);
    } catch {
      sftp.rename(from, to, done);
    }
  });
}

const CHUNK = 255 * 1024;

function fastPut(sftp: SFTPWrapper, local: string, remote: string, step: (total: number) => void): Promise<void> {
  return new Promise((resolve, reject) => sftp.fastPut(local, remote, { concurrency: 32, chunkSize: CHUNK, step: (total) => step(total) }, (error) => (error ? reject(error) : resolve())));
}

function fastGet(sftp: SFTPWrapper, remote: string, local: string, step: (total: number) => void): Promise<void> {
  return new Promise((resolve, reject) => sftp.fastGet(remote, local, { concurrency: 32, chunkSize: CHUNK, step: (total) => step(total) }, (error) => (error ? reject(error) : resolve())));
}

/**
 * Of files alike in size and time on both sides, those whose contents differ: with checksums
 * (`hash`) compared by SHA-256, one remote command for all; without, none.
 */
async function contentChanged<T extends FilePair>(connection: SshConnection, alike: T[], hash: boolean | undefined): Promise<Set<T>> {
  if (!hash || alike.length === 0) return new Set();
  const remote = await remoteHashOf(connection, alike.map((file) => file.remote));
  return new Set(alike.filter((file) => remote.get(file.remote) !== sha256File(file.local)));
}

/** SHA-256 of remote files, in one command (a file that cannot be read is left out). */
async function remoteHashOf(connection: SshConnection, files: string[]): Promise<Map<string, string>> {
  const result = await connection.exec(`sha256sum -z -- ${files.map(shellQuote).join(' ')} 2>/dev/null`);
  const hashes = new Map<string, string>();
  // -z: each line is `HASH  PATH` ended by NUL, so paths may hold newlines.
  for (const entry of result.stdout.split('\0')) {
    const match = /^([0-9a-f]{64}) [ *](.*)$/s.exec(entry);
    if (match) hashes.set(match[2]!, match[1]!);
  }
  return hashes;
}

/**
 * What an attempt that ended on the host leaves here before its end is reported: its logs, and
 * when it succeeded its output files, so both are here even after the host purged them.
 * Returns its exit (a failed download fails it), or undefined when the connection was lost
 * meanwhile (the next poll after the reconnect tries again). A host that is online but will not
 * give the logs (it refuses SFTP, say) does not hold the end back: they stay on the host.
 */
export async function fetchResults(
  connection: SshConnection,
  attempt: { dir: string; stdout: string; stderr: string; localCwd: string },
  ended: { exit: AttemptExit; files: FilePair[] },
  options: TransferOptions,
): Promise<AttemptExit | undefined> {
  try {
    await fetchLogs(connection, [
      { remote: `${attempt.dir}/stdout`, local: attempt.stdout },
      { remote: `${attempt.dir}/stderr`, local: attempt.stderr },
    ]);
  } catch {
    if (connection.state !== 'online') return undefined;
  }
  if (ended.files.length === 0) return ended.exit;
  try {
    await download(connection, attempt.localCwd, ended.files, options);
    return ended.exit;
  } catch (error) {
    if (connection.state !== 'online') return undefined;
    return { ...ended.exit, exitCode: null, reason: `outputs could not be fetched: ${(error as Error).message}` };
  }
}
